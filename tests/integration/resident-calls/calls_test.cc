// resident-calls on the real broker and database: requests recorded, bad
// input refused with nothing changed, personal data kept apart and purged,
// duplicates suggested; linked by the real incident correlation and closed
// when the incident is resolved; Open311 GeoReport v2 over HTTP.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <thread>

#include <grpcpp/grpcpp.h>
#include <nlohmann/json.hpp>

#include "cityops/calls/v1/resident_calls.grpc.pb.h"
#include "cityops/common/proto_time.h"
#include "cityops/common/topic_names.h"
#include "cityops/incidents/v1/incident_correlation.grpc.pb.h"
#include "cityops_test_support.h"
#include "service_fixture.h"
#include "service_process.h"

namespace cityops::testing {
namespace {

using namespace std::chrono_literals;
namespace cv1 = ::cityops::calls::v1;
namespace iv1 = ::cityops::incidents::v1;

constexpr const char* kApiKey = "test-app-key-0123456789";
// Dijon's centre, and a metre of latitude in degrees.
constexpr double kLat = 47.322;
constexpr double kLon = 5.041;
constexpr double kMetre = 1.0 / 111195.0;

class Calls : public ServiceFixture {
 public:
  explicit Calls(std::vector<std::string> more = {})
      : ServiceFixture(RESIDENT_CALLS_BINARY, "rc", WithDefaults(std::move(more))) {
    setenv("CITYOPS_OPEN311_API_KEYS", (std::string("city-app:") + kApiKey).c_str(), 1);
    Start();
  }
  cv1::ResidentCalls::Stub& stub() { return *stub_; }
  int http_port() { return service().http_port(); }

  // role: the "cityops-role" metadata ("" for none).
  grpc::Status Create(const cv1::CreateRequestRequest& request, cv1::CreateRequestResponse* out,
                      const std::string& role = "operator") {
    grpc::ClientContext c;
    if (!role.empty()) c.AddMetadata("cityops-role", role);
    return stub_->CreateRequest(&c, request, out);
  }
  cv1::RequestDetail Get(const std::string& id, const std::string& role = "") {
    grpc::ClientContext c;
    if (!role.empty()) c.AddMetadata("cityops-role", role);
    cv1::GetRequestRequest r;
    r.set_id(id);
    cv1::RequestDetail out;
    const auto s = stub_->GetRequest(&c, r, &out);
    REQUIRE(s.ok());
    return out;
  }
  std::string Count(const std::string& table) const { return Scalar("SELECT count(*) FROM " + table); }

 protected:
  void OnStarted() override {
    stub_ = cv1::ResidentCalls::NewStub(grpc::CreateChannel(address(), grpc::InsecureChannelCredentials()));
  }

 private:
  static std::vector<std::string> WithDefaults(std::vector<std::string> more) {
    std::vector<std::string> args = {"--http-address=127.0.0.1:0"};
    args.insert(args.end(), more.begin(), more.end());
    return args;
  }
  std::unique_ptr<cv1::ResidentCalls::Stub> stub_;
};

cv1::CreateRequestRequest Request(const std::string& category, double lat, double lon) {
  cv1::CreateRequestRequest r;
  r.set_category(category);
  r.set_description("Bin bags and an old sofa left on the pavement.");
  r.mutable_location()->set_lat(lat);
  r.mutable_location()->set_lon(lon);
  r.set_address("3 place Darcy");
  r.set_channel(cv1::REQUEST_CHANNEL_PHONE);
  r.set_recorded_by("operator-7");
  r.mutable_resident()->set_first_name("Camille");
  r.mutable_resident()->set_last_name("Durand");
  r.mutable_resident()->set_phone("+33 3 80 00 00 00");
  r.mutable_resident()->set_email("camille.durand@example.org");
  return r;
}

TEST_CASE("Requests are recorded with their district and history - personal data only to allowed roles") {
  Calls calls;
  cv1::CreateRequestResponse created;
  REQUIRE(calls.Create(Request("bulky_items", kLat, kLon), &created).ok());
  CHECK(created.created());
  const cv1::ResidentRequest& r = created.request().request();
  CHECK(r.id().rfind("RQ-", 0) == 0);
  CHECK(r.district() >= 1);
  CHECK(r.status() == cv1::REQUEST_STATUS_OPEN);
  CHECK(r.callers() == 1);
  CHECK(common::FromProtoTime(r.expected_at()) - common::FromProtoTime(r.created_at()) == 72h);
  REQUIRE(created.request().history_size() == 1);
  CHECK(created.request().history(0).actor() == "operator-7");
  REQUIRE(created.request().residents_size() == 1);

  // A viewer, or a client without a role, sees the request, not the resident.
  CHECK(calls.Get(r.id(), "viewer").residents_size() == 0);
  CHECK(calls.Get(r.id()).residents_size() == 0);
  CHECK(calls.Get(r.id(), "integration").residents_size() == 0);
  const auto for_operator = calls.Get(r.id(), "supervisor");
  REQUIRE(for_operator.residents_size() == 1);
  CHECK(for_operator.residents(0).email() == "camille.durand@example.org");

  // The event on Kafka carries the request, never the resident.
  std::vector<common::ConsumedMessage> events;
  REQUIRE(Eventually([&] {
    events = ConsumeAll(calls.topics().Name(topics::kCallsRequests), 1s, 10s);
    return !events.empty();
  }));
  cv1::RequestEvent event;
  REQUIRE(event.ParseFromString(events[0].value));
  CHECK(event.change() == cv1::REQUEST_CHANGE_CREATED);
  CHECK(event.request().id() == r.id());
  CHECK(event.meta().event_id() == r.id() + "/1");
  for (const char* secret : {"Camille", "Durand", "80 00 00", "example.org"}) {
    INFO(secret);
    CHECK(events[0].value.find(secret) == std::string::npos);
    CHECK(ReadFile(calls.service().log_path()).find(secret) == std::string::npos);
  }
}

TEST_CASE("Bad input gets a clear status and changes nothing") {
  Calls calls;
  cv1::CreateRequestResponse created;
  REQUIRE(calls.Create(Request("roads", kLat, kLon), &created).ok());
  const std::string id = created.request().request().id();

  struct Case {
    const char* name;
    cv1::CreateRequestRequest request;
    grpc::StatusCode code;
    const char* message;
  };
  std::vector<Case> cases;
  auto add = [&](const char* name, auto mutate, grpc::StatusCode code, const char* message) {
    cv1::CreateRequestRequest r = Request("roads", kLat, kLon);
    mutate(r);
    cases.push_back({name, r, code, message});
  };
  add(
      "unknown category", [](auto& r) { r.set_category("potholes"); }, grpc::INVALID_ARGUMENT, "unknown category");
  add(
      "outside the city", [](auto& r) { r.mutable_location()->set_lat(45.76); }, grpc::INVALID_ARGUMENT,
      "outside the city");
  add(
      "empty description", [](auto& r) { r.set_description(""); }, grpc::INVALID_ARGUMENT, "description");
  add(
      "oversized description", [](auto& r) { r.set_description(std::string(5000, 'x')); }, grpc::INVALID_ARGUMENT,
      "longer than");
  add(
      "link to an unknown request", [](auto& r) { r.set_link_to("RQ-99999999"); }, grpc::NOT_FOUND, "RQ-99999999");
  for (const auto& c : cases) {
    INFO(c.name);
    cv1::CreateRequestResponse out;
    const auto s = calls.Create(c.request, &out);
    CHECK(s.error_code() == c.code);
    CHECK_THAT(s.error_message(), Catch::Contains(c.message));
  }
  CHECK(calls.Count("requests") == "1");
  CHECK(calls.Count("residents") == "1");

  // An invalid transition: in progress cannot go back to acknowledged.
  auto change = [&](cv1::RequestStatus to, const std::string& note) {
    grpc::ClientContext c;
    cv1::ChangeStatusRequest r;
    r.set_id(id);
    r.set_status(to);
    r.set_note(note);
    r.set_actor("operator-7");
    cv1::RequestDetail out;
    return calls.stub().ChangeStatus(&c, r, &out);
  };
  REQUIRE(change(cv1::REQUEST_STATUS_IN_PROGRESS, "A crew is on its way.").ok());
  auto refused = change(cv1::REQUEST_STATUS_ACKNOWLEDGED, "back");
  CHECK(refused.error_code() == grpc::FAILED_PRECONDITION);
  CHECK_THAT(refused.error_message(), Catch::Contains("in_progress to acknowledged"));
  CHECK(change(cv1::REQUEST_STATUS_CLOSED, "").error_code() == grpc::INVALID_ARGUMENT);
  const auto detail = calls.Get(id);
  CHECK(detail.request().status() == cv1::REQUEST_STATUS_IN_PROGRESS);
  CHECK(detail.history_size() == 2);
  CHECK(detail.request().status_note() == "A crew is on its way.");
  CHECK(calls.Count("status_history") == "2");
  // Counted by code.
  CHECK(ScrapeMetric(calls.service().metrics_port(),
                     "cityops_resident_calls_rejected_total{code=\"INVALID_ARGUMENT\"}") >= 5);
}

TEST_CASE("Duplicates are suggested at intake, and a call can be linked to the open request") {
  Calls calls;
  cv1::CreateRequestResponse first;
  REQUIRE(calls.Create(Request("refuse_collection", kLat, kLon), &first).ok());
  const std::string id = first.request().request().id();

  auto suggest = [&](const std::string& category, double lat) {
    grpc::ClientContext c;
    cv1::SuggestDuplicatesRequest r;
    r.set_category(category);
    r.mutable_location()->set_lat(lat);
    r.mutable_location()->set_lon(kLon);
    cv1::SuggestDuplicatesResponse out;
    REQUIRE(calls.stub().SuggestDuplicates(&c, r, &out).ok());
    return out;
  };
  auto near = suggest("bulky_items", kLat + 30 * kMetre);  // related category, 30 m
  REQUIRE(near.candidates_size() == 1);
  CHECK(near.candidates(0).request().id() == id);
  CHECK(near.candidates(0).distance_m() == Approx(30).margin(1));
  CHECK_FALSE(near.candidates(0).same_category());
  CHECK(suggest("refuse_collection", kLat + 70 * kMetre).candidates_size() == 0);  // too far
  CHECK(suggest("street_lighting", kLat).candidates_size() == 0);                  // unrelated

  // The operator links the second caller instead of creating a request.
  auto second = Request("refuse_collection", kLat + 30 * kMetre, kLon);
  second.set_link_to(id);
  second.mutable_resident()->set_email("other@example.org");
  cv1::CreateRequestResponse linked;
  REQUIRE(calls.Create(second, &linked).ok());
  CHECK_FALSE(linked.created());
  CHECK(linked.request().request().id() == id);
  CHECK(linked.request().callers() == 2);
  CHECK(linked.request().residents_size() == 2);
  CHECK(calls.Count("requests") == "1");

  // Closed: no longer suggested, and no longer a target for a link.
  grpc::ClientContext c;
  cv1::ChangeStatusRequest close;
  close.set_id(id);
  close.set_status(cv1::REQUEST_STATUS_CLOSED);
  close.set_note("Collected this morning.");
  close.set_actor("operator-7");
  cv1::RequestDetail closed;
  REQUIRE(calls.stub().ChangeStatus(&c, close, &closed).ok());
  CHECK(suggest("refuse_collection", kLat).candidates_size() == 0);
  cv1::CreateRequestResponse refused;
  CHECK(calls.Create(second, &refused).error_code() == grpc::FAILED_PRECONDITION);
}

TEST_CASE("Lists page newest first with filters - statistics count per category, district and day") {
  Calls calls;
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    cv1::CreateRequestResponse out;
    REQUIRE(calls.Create(Request(i < 3 ? "roads" : "green_spaces", kLat + i * 0.002, kLon), &out).ok());
    ids.push_back(out.request().request().id());
  }
  std::vector<std::string> seen;
  std::string token;
  int pages = 0;
  do {
    grpc::ClientContext c;
    cv1::ListRequestsRequest r;
    r.set_category("roads");
    r.set_page_size(2);
    r.set_page_token(token);
    cv1::ListRequestsResponse out;
    REQUIRE(calls.stub().ListRequests(&c, r, &out).ok());
    for (const auto& q : out.requests()) seen.push_back(q.id());
    token = out.next_page_token();
    ++pages;
  } while (!token.empty() && pages < 10);
  CHECK(pages == 2);
  CHECK(seen == std::vector<std::string>{ids[2], ids[1], ids[0]});

  grpc::ClientContext bad;
  cv1::ListRequestsRequest bad_token;
  bad_token.set_page_token("not-a-token");
  cv1::ListRequestsResponse ignored;
  CHECK(calls.stub().ListRequests(&bad, bad_token, &ignored).error_code() == grpc::INVALID_ARGUMENT);

  grpc::ClientContext c;
  cv1::GetStatisticsRequest r;
  cv1::Statistics stats;
  REQUIRE(calls.stub().GetStatistics(&c, r, &stats).ok());
  CHECK(stats.total() == 5);
  REQUIRE(stats.by_category_size() == 2);
  CHECK(stats.by_category(0).key() == "green_spaces");
  CHECK(stats.by_category(0).count() == 2);
  CHECK(stats.by_category(1).count() == 3);
  REQUIRE(stats.by_day_size() >= 1);
  CHECK(ScrapeMetric(calls.service().metrics_port(),
                     "cityops_resident_calls_requests_total{category=\"roads\",channel=\"REQUEST_CHANNEL_PHONE\"}") ==
        3);
}

TEST_CASE("Residents' personal data is deleted once the retention after closing is over") {
  Calls calls({"--retention=2s", "--purge-interval=300ms"});
  cv1::CreateRequestResponse open_one, closed_one;
  REQUIRE(calls.Create(Request("cleanliness", kLat, kLon), &open_one).ok());
  REQUIRE(calls.Create(Request("cleanliness", kLat + 0.01, kLon), &closed_one).ok());
  const std::string id = closed_one.request().request().id();
  grpc::ClientContext c;
  cv1::ChangeStatusRequest close;
  close.set_id(id);
  close.set_status(cv1::REQUEST_STATUS_CLOSED);
  close.set_note("Cleaned.");
  close.set_actor("operator-7");
  cv1::RequestDetail out;
  REQUIRE(calls.stub().ChangeStatus(&c, close, &out).ok());
  CHECK(calls.Count("residents") == "2");

  REQUIRE(calls.WaitForScalar("SELECT count(*) FROM residents WHERE request_id = '" + id + "'", "0", 20s) == "0");
  const auto purged = calls.Get(id, "admin");
  CHECK(purged.personal_data_purged());
  CHECK(purged.residents_size() == 0);
  CHECK(purged.callers() == 1);
  CHECK(purged.request().description() == Request("cleanliness", 0, 0).description());
  // The open request keeps its resident.
  const auto kept = calls.Get(open_one.request().request().id(), "admin");
  CHECK_FALSE(kept.personal_data_purged());
  CHECK(kept.residents_size() == 1);
}

TEST_CASE("A request is linked by incident correlation and closed with a note when the incident is resolved") {
  Calls calls;
  TestSchema correlation_schema("ic");
  ServiceProcess correlation(INCIDENT_CORRELATION_BINARY,
                             {"--pg-dsn=" + correlation_schema.dsn(), "--pg-schema=" + correlation_schema.name(),
                              "--kafka-bootstrap=" + KafkaBootstrap(), "--topic-prefix=" + calls.topics().prefix(),
                              "--grpc-address=127.0.0.1:0", "--metrics-address=127.0.0.1:0", "--tick-interval=200ms"},
                             "/tmp/" + UniqueName("rc_ic") + ".log");
  auto incidents = iv1::IncidentCorrelation::NewStub(
      grpc::CreateChannel("127.0.0.1:" + std::to_string(correlation.grpc_port()), grpc::InsecureChannelCredentials()));

  // The first call about a dark street opens an incident; a second one 40 m
  // away is linked to it (a problem already known).
  cv1::CreateRequestResponse first, second;
  auto dark = Request("street_lighting", kLat, kLon);
  dark.set_description("The whole street is dark.");
  REQUIRE(calls.Create(dark, &first).ok());
  const std::string first_id = first.request().request().id();
  std::string incident_id;
  REQUIRE(Eventually([&] {
    incident_id = calls.Get(first_id).request().incident_id();
    return !incident_id.empty();
  }));
  dark.mutable_location()->set_lat(kLat + 40 * kMetre);
  REQUIRE(calls.Create(dark, &second).ok());
  const std::string second_id = second.request().request().id();
  REQUIRE(Eventually([&] { return calls.Get(second_id).request().incident_id() == incident_id; }));
  CHECK_FALSE(calls.Get(first_id).request().linked_to_known_incident());
  CHECK(calls.Get(second_id).request().linked_to_known_incident());

  // The control room resolves the incident: both requests close with a note the resident can read.
  grpc::ClientContext c;
  iv1::ResolveIncidentRequest resolve;
  resolve.set_id(incident_id);
  resolve.set_actor("supervisor-2");
  resolve.set_note("Cabinet fuse replaced.");
  iv1::Incident resolved;
  REQUIRE(incidents->ResolveIncident(&c, resolve, &resolved).ok());
  for (const auto& id : {first_id, second_id}) {
    INFO(id);
    REQUIRE(Eventually([&] { return calls.Get(id).request().status() == cv1::REQUEST_STATUS_CLOSED; }));
    const auto detail = calls.Get(id);
    CHECK(detail.request().status_note() ==
          "The problem you reported has been fixed. Thank you for telling us; "
          "call again if it is not.");
    CHECK(detail.history(detail.history_size() - 1).actor() == "incident-correlation");
    CHECK(detail.request().has_closed_at());
  }
  // The linked share counts the second request only.
  CHECK(calls.Scalar("SELECT count(*) FROM requests WHERE linked_known") == "1");

  // Killed, then replaying the whole incidents topic (a new consumer group):
  // nothing is applied twice.
  const std::string history = calls.Count("status_history");
  const std::string versions = calls.Scalar("SELECT sum(version) FROM requests");
  calls.service().Kill();
  calls.Start({"--consumer-group=" + UniqueName("replay")});
  REQUIRE(Eventually([&] {
    return ScrapeMetric(calls.service().metrics_port(), "cityops_resident_calls_incident_events_replayed_total") >= 3;
  }));
  CHECK(ScrapeMetric(calls.service().metrics_port(), "cityops_resident_calls_incident_events_applied_total") == 0);
  CHECK(calls.Count("status_history") == history);
  CHECK(calls.Scalar("SELECT sum(version) FROM requests") == versions);

  // An undecodable incident event is set aside and the feed goes on.
  calls.Publish(topics::kIncidents, "INC-x", "not a protobuf \xff\xfe");
  CHECK(calls.WaitForScalar("SELECT count(*) FROM dead_letters", "1") == "1");
}

nlohmann::json Json(const HttpReply& reply) {
  INFO(reply.body);
  return nlohmann::json::parse(reply.body);
}

TEST_CASE("Open311 GeoReport v2: services, POST a request, GET it back without personal data") {
  Calls calls;
  const int port = calls.http_port();
  REQUIRE(port > 0);

  const auto services = HttpExchange(port, "GET", "/open311/v2/services.json");
  REQUIRE(services.status == 200);
  const auto list = Json(services);
  REQUIRE(list.is_array());
  REQUIRE(list.size() == 9);
  for (const auto& s : list) {
    for (const char* field : {"service_code", "service_name", "description", "metadata", "type", "keywords", "group"}) {
      INFO(field);
      CHECK(s.contains(field));
    }
  }

  const std::string form = std::string("api_key=") + kApiKey +
                           "&service_code=street_lighting&lat=47.3221&long=5.0411&address_string=2+rue+Musette"
                           "&description=Lamp+out+since+Monday&email=r%40example.org&first_name=Jo&phone=0380000000";
  const auto posted = HttpExchange(port, "POST", "/open311/v2/requests.json", form);
  REQUIRE(posted.status == 201);
  const auto created = Json(posted);
  REQUIRE(created.is_array());
  REQUIRE(created.size() == 1);
  const std::string id = created[0].at("service_request_id").get<std::string>();
  CHECK(id.rfind("RQ-", 0) == 0);

  // Stored as an app request, recorded by the Open311 client, with the resident apart.
  const auto detail = calls.Get(id, "operator");
  CHECK(detail.request().channel() == cv1::REQUEST_CHANNEL_APP);
  CHECK(detail.request().recorded_by() == "open311:city-app");
  REQUIRE(detail.residents_size() == 1);
  CHECK(detail.residents(0).email() == "r@example.org");

  const auto one = HttpExchange(port, "GET", "/open311/v2/requests/" + id + ".json");
  REQUIRE(one.status == 200);
  const auto got = Json(one);
  REQUIRE(got.size() == 1);
  for (const char* field : {"service_request_id", "status", "service_code", "service_name", "description",
                            "requested_datetime", "updated_datetime", "lat", "long"}) {
    INFO(field);
    CHECK(got[0].contains(field));
  }
  CHECK(got[0].at("status") == "open");
  CHECK(got[0].at("service_code") == "street_lighting");
  for (const char* secret : {"r@example.org", "0380000000", "\"Jo\""}) {
    CHECK(one.body.find(secret) == std::string::npos);
  }
  const auto filtered = HttpExchange(port, "GET", "/open311/v2/requests.json?status=open&service_code=street_lighting");
  REQUIRE(filtered.status == 200);
  CHECK(Json(filtered).size() == 1);
  CHECK(Json(HttpExchange(port, "GET", "/open311/v2/requests.json?status=closed")).empty());

  // Bad input: an error array with the status, and nothing created.
  const auto no_key = HttpExchange(port, "POST", "/open311/v2/requests.json",
                                   "service_code=street_lighting&lat=47.3221&long=5.0411&description=x");
  CHECK(no_key.status == 403);
  const auto bad_lat = HttpExchange(
      port, "POST", "/open311/v2/requests.json",
      std::string("api_key=") + kApiKey + "&service_code=street_lighting&lat=north&long=5.0411&description=x");
  CHECK(bad_lat.status == 400);
  const auto errors = Json(bad_lat);
  REQUIRE(errors.is_array());
  CHECK(errors[0].contains("code"));
  CHECK(errors[0].contains("description"));
  const auto outside = HttpExchange(
      port, "POST", "/open311/v2/requests.json",
      std::string("api_key=") + kApiKey + "&service_code=street_lighting&lat=48.85&long=2.35&description=x");
  CHECK(outside.status == 400);
  CHECK(HttpExchange(port, "GET", "/open311/v2/requests/RQ-99999999.json").status == 404);
  CHECK(calls.Count("requests") == "1");
}

}  // namespace
}  // namespace cityops::testing
