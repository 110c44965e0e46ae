#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "cityops/common/clock.h"
#include "cityops/common/proto_time.h"
#include "open311/backend.h"
#include "open311/open311_api.h"

namespace cityops::calls::open311 {
namespace {

using common::HttpRequest;
using common::HttpResponse;
using common::TimePoint;
using Json = nlohmann::json;
using std::chrono::hours;
using std::chrono::minutes;

// 2026-11-26T09:00:00Z.
const TimePoint kNow = TimePoint(std::chrono::sys_days(std::chrono::year(2026) / 11 / 26) + hours(9));

v1::Category MakeCategory(const std::string& code, const std::string& name, int target_hours,
                          std::vector<std::string> keywords) {
  v1::Category category;
  category.set_code(code);
  category.set_name(name);
  category.set_description(name + " problems.");
  category.set_group("Public space");
  category.set_target_hours(target_hours);
  for (const auto& keyword : keywords) category.add_keywords(keyword);
  return category;
}

// Resident calls in memory: ListRequests filters and pages as the contract says.
class FakeBackend final : public RequestsBackend {
 public:
  FakeBackend() {
    categories.push_back(MakeCategory("street_lighting", "Street lighting", 48, {"lamp", "dark street"}));
    categories.push_back(MakeCategory("roads", "Roads and pavements", 120, {}));
    categories.push_back(MakeCategory("bulky_items", "Bulky items", 72, {"mattress"}));
  }

  absl::StatusOr<v1::ListCategoriesResponse> ListCategories() override {
    ++category_calls;
    if (down.has_value()) return *down;
    v1::ListCategoriesResponse response;
    for (const auto& category : categories) *response.add_categories() = category;
    return response;
  }

  absl::StatusOr<v1::CreateRequestResponse> CreateRequest(const v1::CreateRequestRequest& request) override {
    creates.push_back(request);
    if (down.has_value()) return *down;
    if (create_error.has_value()) return *create_error;
    v1::CreateRequestResponse response;
    v1::ResidentRequest& stored = *response.mutable_request()->mutable_request();
    stored.set_id(absl::StrCat("REQ-", 1000 + creates.size()));
    stored.set_category(request.category());
    stored.set_description(request.description());
    stored.set_status(v1::REQUEST_STATUS_OPEN);
    *stored.mutable_created_at() = common::ToProtoTime(kNow);
    if (request.has_resident()) *response.mutable_request()->add_residents() = request.resident();
    response.set_created(!replay);
    return response;
  }

  absl::StatusOr<v1::RequestDetail> GetRequest(const std::string& id) override {
    if (down.has_value()) return *down;
    for (const auto& request : requests) {
      if (request.id() != id) continue;
      v1::RequestDetail detail;
      *detail.mutable_request() = request;
      // As if the backend gave personal data away: the adapter must not show it.
      v1::Resident* resident = detail.add_residents();
      resident->set_first_name("Jeanne");
      resident->set_last_name("Dupontel");
      resident->set_phone("+33380000000");
      resident->set_email("jeanne@example.org");
      detail.set_callers(1);
      return detail;
    }
    return absl::NotFoundError(absl::StrCat("request ", id, " not found"));
  }

  absl::StatusOr<v1::ListRequestsResponse> ListRequests(const v1::ListRequestsRequest& request) override {
    lists.push_back(request);
    if (down.has_value()) return *down;
    if (request.page_size() < 0 || request.page_size() > 500) return absl::InvalidArgumentError("page_size");
    if (request.ids_size() > 100) return absl::InvalidArgumentError("ids");
    const size_t page_size = request.page_size() == 0 ? 50 : static_cast<size_t>(request.page_size());
    std::vector<v1::ResidentRequest> matching;
    const std::set<std::string> ids(request.ids().begin(), request.ids().end());
    for (const auto& stored : requests) {
      const TimePoint created = common::FromProtoTime(stored.created_at());
      if (!ids.empty() && ids.count(stored.id()) == 0) continue;
      if (request.status() != v1::REQUEST_STATUS_UNSPECIFIED && stored.status() != request.status()) continue;
      if (!request.category().empty() && stored.category() != request.category()) continue;
      if (request.has_created_from() && created < common::FromProtoTime(request.created_from())) continue;
      if (request.has_created_to() && created >= common::FromProtoTime(request.created_to())) continue;
      matching.push_back(stored);
    }
    std::sort(matching.begin(), matching.end(), [](const auto& a, const auto& b) {
      const TimePoint ta = common::FromProtoTime(a.created_at());
      const TimePoint tb = common::FromProtoTime(b.created_at());
      return ta != tb ? ta > tb : a.id() < b.id();  // ties: a different order than the adapter's
    });
    size_t offset = 0;
    if (!request.page_token().empty() && !absl::SimpleAtoi(request.page_token(), &offset)) {
      return absl::InvalidArgumentError("page_token");
    }
    v1::ListRequestsResponse response;
    for (size_t i = offset; i < matching.size() && i < offset + page_size; ++i) *response.add_requests() = matching[i];
    if (offset + page_size < matching.size()) response.set_next_page_token(std::to_string(offset + page_size));
    return response;
  }

  v1::ResidentRequest& Add(const std::string& id, const std::string& category, v1::RequestStatus status,
                           TimePoint created) {
    v1::ResidentRequest& request = requests.emplace_back();
    request.set_id(id);
    request.set_category(category);
    request.set_status(status);
    request.set_description("Lamp out");
    request.set_address("1 rue de la Liberté, Dijon");
    request.mutable_location()->set_lat(47.3220);
    request.mutable_location()->set_lon(5.0415);
    request.set_district(3);
    request.set_recorded_by("operator-anne");
    request.set_incident_id("INC-00000007");
    *request.mutable_created_at() = common::ToProtoTime(created);
    *request.mutable_updated_at() = common::ToProtoTime(created + minutes(5));
    *request.mutable_expected_at() = common::ToProtoTime(created + hours(48));
    return request;
  }

  std::vector<v1::Category> categories;
  std::vector<v1::ResidentRequest> requests;
  std::optional<absl::Status> down;
  std::optional<absl::Status> create_error;
  bool replay = false;
  int category_calls = 0;
  std::vector<v1::CreateRequestRequest> creates;
  std::vector<v1::ListRequestsRequest> lists;
};

HttpRequest Get(const std::string& target) {
  HttpRequest request;
  request.method = "GET";
  request.target = target;
  const size_t question = target.find('?');
  request.path = target.substr(0, question);
  if (question != std::string::npos) request.query = target.substr(question + 1);
  return request;
}

HttpRequest Post(const std::string& target, const std::string& body) {
  HttpRequest request = Get(target);
  request.method = "POST";
  request.headers.emplace("Content-Type", "application/x-www-form-urlencoded; charset=utf-8");
  request.body = body;
  return request;
}

Json Body(const HttpResponse& response) { return Json::parse(response.body); }

std::string Header(const HttpResponse& response, const std::string& name) {
  for (const auto& [key, value] : response.headers) {
    if (key == name) return value;
  }
  return {};
}

// The error array's one error has `status` for code.
void CheckError(const HttpResponse& response, int status) {
  INFO(response.body);
  CHECK(response.status == status);
  CHECK(response.content_type == "application/json; charset=utf-8");
  const Json body = Body(response);
  REQUIRE(body.is_array());
  REQUIRE(body.size() == 1);
  CHECK(body[0]["code"] == status);
  CHECK(body[0]["description"].is_string());
  CHECK_FALSE(body[0]["description"].get<std::string>().empty());
}

struct Fixture {
  Fixture() : clock(kNow) {
    options.jurisdiction_id = "dijon.fr";
    options.agency_responsible = "Ville de Dijon";
    options.clock = &clock;
    options.api_key_validator = [](std::string_view key) -> std::optional<std::string> {
      if (key == "key-app") return std::string("dijon-app");
      return std::nullopt;
    };
  }
  Open311Api& api() {
    if (!api_) api_ = std::make_unique<Open311Api>(backend, options);
    return *api_;
  }

  common::FakeClock clock;
  FakeBackend backend;
  Open311Options options;
  std::unique_ptr<Open311Api> api_;
};

const char kPostBody[] =
    "api_key=key-app&jurisdiction_id=dijon.fr&service_code=street_lighting&lat=47.3220&long=5.0415"
    "&address_string=1+rue+de+la+Libert%C3%A9&email=jeanne%40example.org&device_id=tt222111&account_id=123456"
    "&first_name=Jeanne&last_name=Dupontel&phone=%2B33380000000&description=Lamp+out+since+Monday"
    "&media_url=http%3A%2F%2Fexample.org%2Fa.jpg&attribute%5BWHISPAWN%5D=123456&idempotency_key=app-42";

// ---------------------------------------------------------------------------

TEST_CASE("W3C dates: zones, fractions, a date alone - written in UTC with Z", "[open311]") {
  const TimePoint t = TimePoint(std::chrono::sys_days(std::chrono::year(1994) / 11 / 5) + hours(13) + minutes(15) +
                                std::chrono::seconds(30));
  CHECK(*ParseW3cDateTime("1994-11-05T13:15:30Z", "d") == t);
  CHECK(*ParseW3cDateTime("1994-11-05T08:15:30-05:00", "d") == t);
  CHECK(*ParseW3cDateTime("1994-11-05T14:15:30+01:00", "d") == t);
  CHECK(*ParseW3cDateTime("1994-11-05T14:15:30 01:00", "d") == t);  // '+' unescaped in a query
  CHECK(*ParseW3cDateTime("1994-11-05T13:15Z", "d") == t - std::chrono::seconds(30));
  CHECK(*ParseW3cDateTime("1994-11-05T13:15:30.25Z", "d") == t + std::chrono::milliseconds(250));
  CHECK(*ParseW3cDateTime("1994-11-05", "d") == t - hours(13) - minutes(15) - std::chrono::seconds(30));
  for (const char* bad : {"", "1994", "1994-11-05T13:15:30", "1994-13-05T00:00:00Z", "1994-02-30T00:00:00Z",
                          "1994-11-05T24:00:00Z", "1994-11-05T13:60Z", "1994-11-05 13:15:30Z", "1994-11-05T13:15:30.Z",
                          "1994-11-05T13:15:30+0100", "1994-11-05T13:15:30Zjunk", "yesterday", "1994-11-5"}) {
    INFO(bad);
    const auto parsed = ParseW3cDateTime(bad, "start_date");
    CHECK(parsed.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK(absl::StrContains(parsed.status().message(), "start_date"));
  }
  CHECK(FormatW3cDateTime(t + std::chrono::milliseconds(999)) == "1994-11-05T13:15:30Z");
  CHECK(FormatW3cDateTime(kNow) == "2026-11-26T09:00:00Z");
}

TEST_CASE("GET services.json lists the categories with every field of the specification", "[open311]") {
  Fixture f;
  const HttpResponse response = f.api().Handle(Get("/open311/v2/services.json"));
  REQUIRE(response.status == 200);
  CHECK(response.content_type == "application/json; charset=utf-8");
  const Json body = Body(response);
  REQUIRE(body.size() == 3);
  const Json& lighting = body[0];
  CHECK(lighting["service_code"] == "street_lighting");
  CHECK(lighting["service_name"] == "Street lighting");
  CHECK(lighting["description"] == "Street lighting problems.");
  CHECK(lighting["metadata"] == false);
  CHECK(lighting["type"] == "realtime");
  CHECK(lighting["keywords"] == "lamp, dark street");
  CHECK(lighting["group"] == "Public space");
  CHECK(body[1]["keywords"].is_null());
  // The same jurisdiction is fine, another is 404.
  CHECK(f.api().Handle(Get("/open311/v2/services.json?jurisdiction_id=dijon.fr")).status == 200);
  CheckError(f.api().Handle(Get("/open311/v2/services.json?jurisdiction_id=city.gov")), 404);
}

TEST_CASE("The categories are read once per TTL", "[open311]") {
  Fixture f;
  f.api().Handle(Get("/open311/v2/services.json"));
  f.api().Handle(Get("/open311/v2/services.json"));
  CHECK(f.backend.category_calls == 1);
  f.clock.Advance(std::chrono::seconds(61));
  f.api().Handle(Get("/open311/v2/services.json"));
  CHECK(f.backend.category_calls == 2);
}

TEST_CASE("GET services/<code>.json is the definition - an unknown code is 404", "[open311]") {
  Fixture f;
  const HttpResponse response = f.api().Handle(Get("/open311/v2/services/roads.json"));
  REQUIRE(response.status == 200);
  const Json body = Body(response);
  CHECK(body["service_code"] == "roads");
  CHECK(body["attributes"] == Json::array());
  CheckError(f.api().Handle(Get("/open311/v2/services/potholes.json")), 404);
  CheckError(f.api().Handle(Get("/open311/v2/services/roads.json?jurisdiction_id=x")), 404);
}

TEST_CASE("POST requests.json maps the form onto CreateRequest exactly", "[open311]") {
  Fixture f;
  const HttpResponse response = f.api().Handle(Post("/open311/v2/requests.json", kPostBody));
  INFO(response.body);
  REQUIRE(response.status == 201);
  REQUIRE(f.backend.creates.size() == 1);
  const v1::CreateRequestRequest& create = f.backend.creates[0];
  CHECK(create.category() == "street_lighting");
  CHECK(create.location().lat() == 47.3220);
  CHECK(create.location().lon() == 5.0415);
  CHECK(create.address() == "1 rue de la Libert\xC3\xA9");
  CHECK(create.description() == "Lamp out since Monday");
  CHECK(create.channel() == v1::REQUEST_CHANNEL_APP);
  CHECK(create.recorded_by() == "open311:dijon-app");
  CHECK(create.resident().first_name() == "Jeanne");
  CHECK(create.resident().last_name() == "Dupontel");
  CHECK(create.resident().email() == "jeanne@example.org");
  CHECK(create.resident().phone() == "+33380000000");
  CHECK(create.idempotency_key() == "app-42");
  CHECK(create.link_to().empty());

  const Json body = Body(response);
  REQUIRE(body.size() == 1);
  CHECK(body[0]["service_request_id"] == "REQ-1001");
  CHECK(body[0]["service_notice"] == "The city aims to deal with requests of this kind within 48 hours.");
  CHECK(body[0].contains("account_id"));
  CHECK(body[0]["account_id"].is_null());
  // The resident the backend echoed is not in the answer.
  CHECK(response.body.find("Jeanne") == std::string::npos);
  CHECK(response.body.find("example.org") == std::string::npos);
}

TEST_CASE("POST without personal data sends no Resident - a retry with a seen key is 200", "[open311]") {
  Fixture f;
  f.backend.replay = true;
  const HttpResponse response = f.api().Handle(
      Post("/open311/v2/requests.json", "api_key=key-app&service_code=roads&lat=47.3&long=5.04&description=hole"));
  REQUIRE(response.status == 200);
  REQUIRE(f.backend.creates.size() == 1);
  CHECK_FALSE(f.backend.creates[0].has_resident());
  CHECK(f.backend.creates[0].idempotency_key().empty());
}

TEST_CASE("POST without a valid api_key is 403 and reaches nothing", "[open311]") {
  Fixture f;
  CheckError(f.api().Handle(Post("/open311/v2/requests.json", "service_code=roads&lat=47.3&long=5.04")), 403);
  CheckError(f.api().Handle(Post("/open311/v2/requests.json", "api_key=&service_code=roads&lat=47.3&long=5.04")), 403);
  CheckError(f.api().Handle(Post("/open311/v2/requests.json", "api_key=stolen&service_code=roads&lat=47.3&long=5.04")),
             403);
  CHECK(f.backend.creates.empty());
  // Without a validator every key is refused.
  Fixture g;
  g.options.api_key_validator = nullptr;
  CheckError(g.api().Handle(Post("/open311/v2/requests.json", "api_key=key-app&service_code=roads&lat=1&long=1")), 403);
}

TEST_CASE("POST: service_code missing is 400, unknown is 404 (as the specification lists)", "[open311]") {
  Fixture f;
  CheckError(f.api().Handle(Post("/open311/v2/requests.json", "api_key=key-app&lat=47.3&long=5.04")), 400);
  const HttpResponse unknown =
      f.api().Handle(Post("/open311/v2/requests.json", "api_key=key-app&service_code=potholes&lat=47.3&long=5.04"));
  CheckError(unknown, 404);
  CHECK(Body(unknown)[0]["description"] == "service_code was not found");
  CHECK(f.backend.creates.empty());
}

TEST_CASE("POST: lat and long are required and must be numbers in range", "[open311]") {
  Fixture f;
  const HttpResponse address_only = f.api().Handle(
      Post("/open311/v2/requests.json", "api_key=key-app&service_code=roads&address_string=1+rue+Jean+Jaures"));
  CheckError(address_only, 400);
  CHECK(Body(address_only)[0]["description"] == "lat and long are required");
  for (const char* coordinates : {"lat=47.3", "long=5.04", "lat=abc&long=5.04", "lat=47.3&long=5,04", "lat=91&long=5",
                                  "lat=47.3&long=-181", "lat=nan&long=5", "lat=inf&long=5", "lat=47.3x&long=5"}) {
    INFO(coordinates);
    CheckError(f.api().Handle(
                   Post("/open311/v2/requests.json", absl::StrCat("api_key=key-app&service_code=roads&", coordinates))),
               400);
  }
  CHECK(f.backend.creates.empty());
}

TEST_CASE("POST: other bad input is 400 before the backend", "[open311]") {
  Fixture f;
  const std::string base = "api_key=key-app&service_code=roads&lat=47.3&long=5.04";
  CheckError(f.api().Handle(Post("/open311/v2/requests.json", base + "&description=%ZZ")), 400);
  CheckError(f.api().Handle(Post("/open311/v2/requests.json", base + "&description=%FF%FE")), 400);
  CheckError(f.api().Handle(Post("/open311/v2/requests.json", base + "&description=" + std::string(4001, 'a'))), 400);
  HttpRequest json = Post("/open311/v2/requests.json", "{}");
  json.headers["Content-Type"] = "application/json";
  CheckError(f.api().Handle(json), 400);
  CHECK(f.backend.creates.empty());
  // 4000 characters (not bytes) are fine.
  std::string accents;
  for (int i = 0; i < 4000; ++i) accents += "%C3%A9";
  CHECK(f.api().Handle(Post("/open311/v2/requests.json", base + "&description=" + accents)).status == 201);
}

TEST_CASE("POST: a jurisdiction other than the endpoint's is 404", "[open311]") {
  Fixture f;
  CheckError(f.api().Handle(Post("/open311/v2/requests.json",
                                 "api_key=key-app&jurisdiction_id=sfgov.org&service_code=roads&lat=47.3&long=5.04")),
             404);
  CHECK(f.backend.creates.empty());
  // An endpoint without a jurisdiction ignores it.
  Fixture g;
  g.options.jurisdiction_id.clear();
  CHECK(g.api()
            .Handle(Post("/open311/v2/requests.json",
                         "api_key=key-app&jurisdiction_id=sfgov.org&service_code=roads&lat=47.3&long=5.04"))
            .status == 201);
}

TEST_CASE("Backend errors: UNAVAILABLE is 503, INVALID_ARGUMENT is 400 with its message, NOT_FOUND 404", "[open311]") {
  Fixture f;
  f.backend.down = absl::UnavailableError("connection refused");
  CheckError(f.api().Handle(Get("/open311/v2/services.json")), 503);
  CheckError(f.api().Handle(Get("/open311/v2/requests.json")), 503);
  CheckError(f.api().Handle(Post("/open311/v2/requests.json", kPostBody)), 503);
  CheckError(f.api().Handle(Get("/open311/v2/requests/REQ-1.json")), 503);
  f.backend.down = absl::DeadlineExceededError("deadline");
  CheckError(f.api().Handle(Get("/open311/v2/requests/REQ-1.json")), 503);
  f.backend.down = absl::InternalError("secret detail");
  const HttpResponse internal = f.api().Handle(Get("/open311/v2/requests/REQ-1.json"));
  CheckError(internal, 500);
  CHECK(internal.body.find("secret detail") == std::string::npos);

  Fixture g;
  g.backend.create_error = absl::InvalidArgumentError("location is outside the city");
  const HttpResponse refused = g.api().Handle(Post("/open311/v2/requests.json", kPostBody));
  CheckError(refused, 400);
  CHECK(Body(refused)[0]["description"] == "location is outside the city");
  CheckError(g.api().Handle(Get("/open311/v2/requests/REQ-404.json")), 404);
  CheckError(g.api().Handle(Get("/open311/v2/requests/bad%20id.json")), 404);
}

TEST_CASE("GET requests/<id>.json is a one-element array with every field, and no personal data", "[open311]") {
  Fixture f;
  v1::ResidentRequest& stored =
      f.backend.Add("REQ-7", "street_lighting", v1::REQUEST_STATUS_IN_PROGRESS, kNow - hours(30));
  stored.set_status_note("A crew is on its way.");
  const HttpResponse response = f.api().Handle(Get("/open311/v2/requests/REQ-7.json"));
  REQUIRE(response.status == 200);
  const Json body = Body(response);
  REQUIRE(body.size() == 1);
  const Json& request = body[0];
  const std::vector<std::string> fields = {"service_request_id",
                                           "status",
                                           "status_notes",
                                           "service_name",
                                           "service_code",
                                           "description",
                                           "agency_responsible",
                                           "service_notice",
                                           "requested_datetime",
                                           "updated_datetime",
                                           "expected_datetime",
                                           "address",
                                           "address_id",
                                           "zipcode",
                                           "lat",
                                           "long",
                                           "media_url"};
  CHECK(request.size() == fields.size());
  for (const auto& field : fields) {
    INFO(field);
    CHECK(request.contains(field));
  }
  CHECK(request["service_request_id"] == "REQ-7");
  CHECK(request["status"] == "open");
  CHECK(request["status_notes"] == "A crew is on its way.");
  CHECK(request["service_name"] == "Street lighting");
  CHECK(request["service_code"] == "street_lighting");
  CHECK(request["description"] == "Lamp out");
  CHECK(request["agency_responsible"] == "Ville de Dijon");
  CHECK(request["service_notice"] == "The city aims to deal with requests of this kind within 48 hours.");
  CHECK(request["requested_datetime"] == "2026-11-25T03:00:00Z");
  CHECK(request["updated_datetime"] == "2026-11-25T03:05:00Z");
  CHECK(request["expected_datetime"] == "2026-11-27T03:00:00Z");
  CHECK(request["address"] == "1 rue de la Libert\xC3\xA9, Dijon");
  CHECK(request["address_id"].is_null());
  CHECK(request["zipcode"].is_null());
  CHECK(request["lat"] == 47.3220);
  CHECK(request["long"] == 5.0415);
  CHECK(request["media_url"].is_null());
  for (const char* secret : {"Jeanne", "Dupontel", "33380000000", "example.org", "operator-anne", "INC-00000007"}) {
    INFO(secret);
    CHECK(response.body.find(secret) == std::string::npos);
  }
  // XML too.
  const HttpResponse xml = f.api().Handle(Get("/open311/v2/requests/REQ-7.xml"));
  REQUIRE(xml.status == 200);
  CHECK(xml.body.find("Jeanne") == std::string::npos);
  CHECK(xml.body.find("example.org") == std::string::npos);
}

TEST_CASE("A closed request says closed and is updated when it closed", "[open311]") {
  Fixture f;
  v1::ResidentRequest& stored = f.backend.Add("REQ-8", "roads", v1::REQUEST_STATUS_CLOSED, kNow - hours(50));
  *stored.mutable_closed_at() = common::ToProtoTime(kNow - hours(2));
  *stored.mutable_updated_at() = common::ToProtoTime(kNow - hours(1));
  stored.clear_location();
  stored.clear_description();
  const Json request = Body(f.api().Handle(Get("/open311/v2/requests/REQ-8.json")))[0];
  CHECK(request["status"] == "closed");
  CHECK(request["updated_datetime"] == "2026-11-26T07:00:00Z");
  CHECK(request["lat"].is_null());
  CHECK(request["long"].is_null());
  CHECK(request["description"].is_null());
  CHECK(request["status_notes"].is_null());
}

std::vector<std::string> Ids(const HttpResponse& response) {
  INFO(response.body);
  REQUIRE(response.status == 200);
  std::vector<std::string> ids;
  for (const auto& request : Body(response)) ids.push_back(request["service_request_id"]);
  return ids;
}

TEST_CASE("GET requests.json: status open is open, acknowledged and in progress - closed is closed", "[open311]") {
  Fixture f;
  f.backend.Add("REQ-1", "roads", v1::REQUEST_STATUS_OPEN, kNow - hours(1));
  f.backend.Add("REQ-2", "roads", v1::REQUEST_STATUS_ACKNOWLEDGED, kNow - hours(2));
  f.backend.Add("REQ-3", "street_lighting", v1::REQUEST_STATUS_IN_PROGRESS, kNow - hours(3));
  f.backend.Add("REQ-4", "roads", v1::REQUEST_STATUS_CLOSED, kNow - hours(4));
  f.backend.Add("REQ-5", "bulky_items", v1::REQUEST_STATUS_CLOSED, kNow - hours(5));
  using V = std::vector<std::string>;
  CHECK(Ids(f.api().Handle(Get("/open311/v2/requests.json"))) == V{"REQ-1", "REQ-2", "REQ-3", "REQ-4", "REQ-5"});
  CHECK(Ids(f.api().Handle(Get("/open311/v2/requests.json?status=open"))) == V{"REQ-1", "REQ-2", "REQ-3"});
  CHECK(Ids(f.api().Handle(Get("/open311/v2/requests.json?status=closed"))) == V{"REQ-4", "REQ-5"});
  CHECK(Ids(f.api().Handle(Get("/open311/v2/requests.json?status=open,closed"))).size() == 5);
  CHECK(Ids(f.api().Handle(Get("/open311/v2/requests.json?status=open&service_code=roads"))) == V{"REQ-1", "REQ-2"});
  CHECK(Ids(f.api().Handle(Get("/open311/v2/requests.json?service_code=roads,bulky_items"))) ==
        V{"REQ-1", "REQ-2", "REQ-4", "REQ-5"});
  CHECK(Ids(f.api().Handle(Get("/open311/v2/requests.json?service_code=potholes"))).empty());
  CheckError(f.api().Handle(Get("/open311/v2/requests.json?status=pending")), 400);
  for (const auto& list : f.backend.lists) CHECK(list.page_size() <= 500);
  CheckError(f.api().Handle(Get("/open311/v2/requests.json?jurisdiction_id=sfgov.org")), 404);
}

TEST_CASE("GET requests.json: dates, the 90-day default and its limit", "[open311]") {
  Fixture f;
  f.backend.Add("REQ-1", "roads", v1::REQUEST_STATUS_OPEN, kNow - hours(24));
  f.backend.Add("REQ-2", "roads", v1::REQUEST_STATUS_OPEN, kNow - hours(24 * 30));
  f.backend.Add("REQ-3", "roads", v1::REQUEST_STATUS_OPEN, kNow - hours(24 * 100));
  using V = std::vector<std::string>;
  CHECK(Ids(f.api().Handle(Get("/open311/v2/requests.json"))) == V{"REQ-1", "REQ-2"});
  CHECK(Ids(f.api().Handle(Get("/open311/v2/requests.json?start_date=2026-08-01T00:00:00Z&end_date=2026-10-"
                               "28T09:00:00%2B01:00"))) == V{"REQ-2", "REQ-3"});
  // end_date is inclusive.
  CHECK(Ids(f.api().Handle(Get("/open311/v2/requests.json?end_date=2026-11-25T09:00:00Z"))) == V{"REQ-1", "REQ-2"});
  CHECK(Ids(f.api().Handle(Get("/open311/v2/requests.json?start_date=2026-08-18T09:00:00Z"))) == V{"REQ-2", "REQ-3"});
  CheckError(f.api().Handle(Get("/open311/v2/requests.json?start_date=last+week")), 400);
  // A date alone is midnight UTC.
  CHECK(Ids(f.api().Handle(Get("/open311/v2/requests.json?end_date=2026-11-25"))) == V{"REQ-2"});
  CheckError(f.api().Handle(Get("/open311/v2/requests.json?start_date=last+week")), 400);
  CheckError(f.api().Handle(Get("/open311/v2/requests.json?start_date=2026-01-01T00:00:00")), 400);
  CheckError(
      f.api().Handle(Get("/open311/v2/requests.json?start_date=2026-01-01T00:00:00Z&end_date=2026-06-01T00:00:00Z")),
      400);
  CheckError(
      f.api().Handle(Get("/open311/v2/requests.json?start_date=2026-06-01T00:00:00Z&end_date=2026-05-01T00:00:00Z")),
      400);
}

TEST_CASE("GET requests.json: service_request_id overrides every other argument", "[open311]") {
  Fixture f;
  f.backend.Add("REQ-1", "roads", v1::REQUEST_STATUS_OPEN, kNow - hours(1));
  f.backend.Add("REQ-2", "roads", v1::REQUEST_STATUS_CLOSED, kNow - hours(24 * 200));
  f.backend.Add("REQ-3", "street_lighting", v1::REQUEST_STATUS_OPEN, kNow - hours(3));
  using V = std::vector<std::string>;
  CHECK(Ids(f.api().Handle(Get("/open311/v2/requests.json?service_request_id=REQ-2,REQ-1,REQ-404&status=open"
                               "&service_code=street_lighting&start_date=2026-11-26T00:00:00Z"))) ==
        V{"REQ-1", "REQ-2"});
  CHECK(Ids(f.api().Handle(Get("/open311/v2/requests.json?service_request_id=REQ-3&service_request_id=REQ-3"))) ==
        V{"REQ-3"});
  std::string many = "/open311/v2/requests.json?service_request_id=REQ-0";
  for (int i = 1; i <= 100; ++i) absl::StrAppend(&many, ",REQ-", i);
  CheckError(f.api().Handle(Get(many)), 400);
  CheckError(f.api().Handle(Get("/open311/v2/requests.json?service_request_id=REQ-1,%27%3B+DROP")), 400);
}

TEST_CASE("GET requests.json pages through everything exactly once, ties and statuses included", "[open311]") {
  Fixture f;
  // 40 requests, many created at the same instant, all statuses, two categories.
  const std::vector<v1::RequestStatus> statuses = {v1::REQUEST_STATUS_OPEN, v1::REQUEST_STATUS_ACKNOWLEDGED,
                                                   v1::REQUEST_STATUS_IN_PROGRESS, v1::REQUEST_STATUS_CLOSED};
  for (int i = 0; i < 40; ++i) {
    const TimePoint created = kNow - hours(i < 15 ? 1 : i / 3);
    f.backend.Add(absl::StrCat("REQ-", 100 + i), i % 2 == 0 ? "roads" : "bulky_items", statuses[i % 4], created);
  }
  for (const std::string filter :
       {"", "&status=open", "&status=closed", "&service_code=roads,bulky_items", "&status=open&service_code=roads"}) {
    for (const int page_size : {1, 3, 7, 1000}) {
      INFO(filter << " page_size " << page_size);
      std::vector<std::string> all_pages;
      std::string token;
      for (int page = 0; page < 100; ++page) {
        std::string target = absl::StrCat("/open311/v2/requests.json?page_size=", page_size, filter);
        if (!token.empty()) absl::StrAppend(&target, "&page_token=", common::UrlEncode(token));
        const HttpResponse response = f.api().Handle(Get(target));
        const std::vector<std::string> ids = Ids(response);
        all_pages.insert(all_pages.end(), ids.begin(), ids.end());
        token = Header(response, "X-Next-Page-Token");
        CHECK(ids.size() <= static_cast<size_t>(page_size));
        if (token.empty()) break;
        // Every page but the last is full.
        CHECK(ids.size() == static_cast<size_t>(page_size));
      }
      // Everything matching, once each, newest first.
      std::vector<std::string> expected;
      std::vector<v1::ResidentRequest> matching;
      for (const auto& stored : f.backend.requests) {
        const bool open = stored.status() != v1::REQUEST_STATUS_CLOSED;
        if (filter.find("status=open") != std::string::npos && !open) continue;
        if (filter.find("status=closed") != std::string::npos && open) continue;
        if (filter.find("service_code=roads&") != std::string::npos || absl::EndsWith(filter, "service_code=roads")) {
          if (stored.category() != "roads") continue;
        }
        matching.push_back(stored);
      }
      std::set<std::string> unique(all_pages.begin(), all_pages.end());
      CHECK(unique.size() == all_pages.size());
      CHECK(all_pages.size() == matching.size());
      for (size_t i = 1; i < all_pages.size(); ++i) {
        const auto find = [&](const std::string& id) {
          return common::FromProtoTime(
              std::find_if(f.backend.requests.begin(), f.backend.requests.end(), [&](const auto& r) {
                return r.id() == id;
              })->created_at());
        };
        CHECK(find(all_pages[i - 1]) >= find(all_pages[i]));
      }
    }
  }
  CheckError(f.api().Handle(Get("/open311/v2/requests.json?page_size=0")), 400);
  CheckError(f.api().Handle(Get("/open311/v2/requests.json?page_size=1001")), 400);
  CheckError(f.api().Handle(Get("/open311/v2/requests.json?page_token=forged")), 400);
  CheckError(f.api().Handle(Get("/open311/v2/requests.json?page_token=0.999999999999999999.REQ-1")), 400);
}

TEST_CASE("At most 1000 requests by default, the rest on the next page", "[open311]") {
  Fixture f;
  for (int i = 0; i < 1200; ++i) {
    f.backend.Add(absl::StrCat("REQ-", 10000 + i), "roads", v1::REQUEST_STATUS_OPEN, kNow - minutes(i));
  }
  const HttpResponse first = f.api().Handle(Get("/open311/v2/requests.json"));
  CHECK(Ids(first).size() == 1000);
  const std::string token = Header(first, "X-Next-Page-Token");
  REQUIRE_FALSE(token.empty());
  const HttpResponse second = f.api().Handle(Get("/open311/v2/requests.json?page_token=" + common::UrlEncode(token)));
  CHECK(Ids(second).size() == 200);
  CHECK(Header(second, "X-Next-Page-Token").empty());
}

TEST_CASE("XML: the specification's elements, escaped text, empty elements for nulls", "[open311][xml]") {
  Fixture f;
  v1::ResidentRequest& stored = f.backend.Add("REQ-9", "roads", v1::REQUEST_STATUS_OPEN, kNow - hours(1));
  stored.set_description("Pothole <b>&amp;</b> \"deep\" 'very'\x01 end");
  const HttpResponse xml = f.api().Handle(Get("/open311/v2/requests/REQ-9.xml"));
  REQUIRE(xml.status == 200);
  CHECK(xml.content_type == "text/xml; charset=utf-8");
  CHECK(absl::StartsWith(xml.body, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<service_requests><request>"));
  CHECK(absl::StrContains(xml.body, "<service_request_id>REQ-9</service_request_id><status>open</status>"));
  CHECK(absl::StrContains(
      xml.body,
      "<description>Pothole &lt;b&gt;&amp;amp;&lt;/b&gt; &quot;deep&quot; &apos;very&apos; end</description>"));
  CHECK(absl::StrContains(xml.body, "<status_notes/>"));
  CHECK(absl::StrContains(xml.body, "<lat>47.322</lat><long>5.0415</long><media_url/></request></service_requests>"));

  const HttpResponse services = f.api().Handle(Get("/open311/v2/services.xml"));
  CHECK(absl::StrContains(services.body, "<services><service><service_code>street_lighting</service_code>"));
  CHECK(absl::StrContains(services.body, "<metadata>false</metadata><type>realtime</type>"));
  const HttpResponse definition = f.api().Handle(Get("/open311/v2/services/roads.xml"));
  CHECK(absl::StrContains(definition.body,
                          "<service_definition><service_code>roads</service_code><attributes/></service_definition>"));

  const HttpResponse created = f.api().Handle(Post("/open311/v2/requests.xml", kPostBody));
  CHECK(created.status == 201);
  CHECK(
      absl::StrContains(created.body, "<service_requests><request><service_request_id>REQ-1001</service_request_id>"));
  CHECK(absl::StrContains(created.body, "<account_id/></request></service_requests>"));

  const HttpResponse error = f.api().Handle(Post("/open311/v2/requests.xml", "service_code=roads"));
  CHECK(error.status == 403);
  CHECK(error.content_type == "text/xml; charset=utf-8");
  CHECK(absl::StrContains(error.body, "<errors><error><code>403</code><description>"));
}

TEST_CASE("Routes: unknown is 404, wrong method 405, other formats 400", "[open311]") {
  Fixture f;
  CheckError(f.api().Handle(Get("/open311/v2/tokens/1.json")), 404);
  CheckError(f.api().Handle(Get("/open311/v2/services")), 404);
  CheckError(f.api().Handle(Get("/open311/v2/requests/a/b.json")), 404);
  CheckError(f.api().Handle(Get("/open311/v3/services.json")), 404);
  CheckError(f.api().Handle(Get("/other")), 404);
  CheckError(f.api().Handle(Get("/open311/v2/services.csv")), 400);
  HttpRequest post = Post("/open311/v2/services.json", "");
  const HttpResponse not_allowed = f.api().Handle(post);
  CheckError(not_allowed, 405);
  CHECK(Header(not_allowed, "Allow") == "GET, HEAD");
  HttpRequest remove = Get("/open311/v2/requests.json");
  remove.method = "DELETE";
  const HttpResponse delete_response = f.api().Handle(remove);
  CheckError(delete_response, 405);
  CHECK(Header(delete_response, "Allow") == "GET, HEAD, POST");
  HttpRequest head = Get("/open311/v2/services.json");
  head.method = "HEAD";
  CHECK(f.api().Handle(head).status == 200);
  CheckError(f.api().Handle(Get("/open311/v2/services.json?x=%G1")), 400);
}

// ---------------------------------------------------------------------------
// The gRPC backend against a real in-process server.

class RecordingService final : public v1::ResidentCalls::Service {
 public:
  grpc::Status ListCategories(grpc::ServerContext* context, const v1::ListCategoriesRequest* /*request*/,
                              v1::ListCategoriesResponse* response) override {
    Record(context);
    response->add_categories()->set_code("roads");
    return grpc::Status::OK;
  }
  grpc::Status CreateRequest(grpc::ServerContext* context, const v1::CreateRequestRequest* request,
                             v1::CreateRequestResponse* response) override {
    Record(context);
    if (request->category() == "bad") return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "category bad");
    response->mutable_request()->mutable_request()->set_id("REQ-1");
    response->set_created(true);
    return grpc::Status::OK;
  }
  grpc::Status GetRequest(grpc::ServerContext* context, const v1::GetRequestRequest* request,
                          v1::RequestDetail* /*response*/) override {
    Record(context);
    return grpc::Status(grpc::StatusCode::NOT_FOUND, absl::StrCat("no ", request->id()));
  }
  grpc::Status ListRequests(grpc::ServerContext* context, const v1::ListRequestsRequest* request,
                            v1::ListRequestsResponse* response) override {
    Record(context);
    response->add_requests()->set_id(absl::StrCat("page-", request->page_size()));
    return grpc::Status::OK;
  }

  std::vector<std::string> roles;
  std::vector<std::chrono::system_clock::duration> deadlines;

 private:
  void Record(grpc::ServerContext* context) {
    const auto& metadata = context->client_metadata();
    const auto it = metadata.find("cityops-role");
    roles.emplace_back(it == metadata.end() ? "" : std::string(it->second.data(), it->second.size()));
    deadlines.push_back(context->deadline() - std::chrono::system_clock::now());
  }
};

TEST_CASE("The gRPC backend sends the integration role and a deadline - errors keep their code", "[open311][grpc]") {
  RecordingService service;
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  REQUIRE(server != nullptr);
  REQUIRE(port > 0);
  auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials());
  std::shared_ptr<v1::ResidentCalls::StubInterface> stub = v1::ResidentCalls::NewStub(channel);
  GrpcRequestsBackend backend(stub, std::chrono::seconds(5));

  auto categories = backend.ListCategories();
  REQUIRE(categories.ok());
  CHECK(categories->categories(0).code() == "roads");
  v1::CreateRequestRequest create;
  create.set_category("roads");
  CHECK(backend.CreateRequest(create)->request().request().id() == "REQ-1");
  create.set_category("bad");
  const auto refused = backend.CreateRequest(create);
  CHECK(refused.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(refused.status().message() == "category bad");
  CHECK(backend.GetRequest("REQ-2").status().code() == absl::StatusCode::kNotFound);
  v1::ListRequestsRequest list;
  list.set_page_size(7);
  CHECK(backend.ListRequests(list)->requests(0).id() == "page-7");

  REQUIRE(service.roles.size() == 5);
  for (const auto& role : service.roles) CHECK(role == "integration");
  for (const auto& left : service.deadlines) {
    CHECK(left > std::chrono::seconds(3));
    CHECK(left <= std::chrono::seconds(5) + std::chrono::milliseconds(200));  // the server's clock reading
  }
  server->Shutdown();

  // Nobody listening: UNAVAILABLE (the adapter answers 503).
  GrpcRequestsBackend nobody(v1::ResidentCalls::NewStub(grpc::CreateChannel(absl::StrCat("127.0.0.1:", port),
                                                                            grpc::InsecureChannelCredentials())),
                             std::chrono::milliseconds(500));
  const auto status = nobody.ListCategories().status().code();
  CHECK((status == absl::StatusCode::kUnavailable || status == absl::StatusCode::kDeadlineExceeded));
}

}  // namespace
}  // namespace cityops::calls::open311
