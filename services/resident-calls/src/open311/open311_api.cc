#include "open311/open311_api.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <set>
#include <utility>
#include <vector>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "cityops/common/proto_time.h"
#include "cityops/common/status.h"

namespace cityops::calls::open311 {

using common::FormFields;
using common::HttpRequest;
using common::HttpResponse;
using common::TimePoint;
// Keeps the fields in the order the specification lists them.
using Json = nlohmann::ordered_json;

namespace {

constexpr std::chrono::hours kMaxWindow{24 * 90};
// Backend pages (ListRequests allows at most 500) read for one stream of one
// GET requests; past it the stream counts as truncated and the next page
// takes over from where it stopped.
constexpr int kMaxBackendPageSize = 500;
constexpr int kMaxBackendCallsPerStream = 10;
constexpr char kJsonContentType[] = "application/json; charset=utf-8";
constexpr char kXmlContentType[] = "text/xml; charset=utf-8";

// ---------------------------------------------------------------------------
// Small parsing helpers

// Reads `count` digits at `pos`.
bool ReadDigits(std::string_view text, size_t& pos, size_t count, int& out) {
  if (pos + count > text.size()) return false;
  out = 0;
  for (size_t k = 0; k < count; ++k) {
    const char c = text[pos + k];
    if (c < '0' || c > '9') return false;
    out = out * 10 + (c - '0');
  }
  pos += count;
  return true;
}

bool ReadChar(std::string_view text, size_t& pos, char c) {
  if (pos < text.size() && text[pos] == c) {
    ++pos;
    return true;
  }
  return false;
}

// The first value of a field, empty when absent ("Optional" in the
// specification: an empty parameter is the same as a missing one).
std::string Field(const FormFields& fields, const std::string& name) {
  const std::string* value = common::FindField(fields, name);
  return value == nullptr ? std::string() : *value;
}

// Every value of a field that may be repeated and comma-separated
// ("status=open,closed", "service_code=a&service_code=b"), trimmed, without
// empties or repeats, in their order.
std::vector<std::string> ListField(const FormFields& fields, const std::string& name) {
  std::vector<std::string> out;
  std::set<std::string, std::less<>> seen;
  const auto [begin, end] = fields.equal_range(name);
  for (auto it = begin; it != end; ++it) {
    for (absl::string_view part : absl::StrSplit(it->second, ',')) {
      std::string value(absl::StripAsciiWhitespace(part));
      if (value.empty() || !seen.insert(value).second) continue;
      out.push_back(std::move(value));
    }
  }
  return out;
}

size_t CountCodePoints(std::string_view utf8) {
  return static_cast<size_t>(
      std::count_if(utf8.begin(), utf8.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

// ---------------------------------------------------------------------------
// Rendering

Json TextOrNull(const std::string& text) { return text.empty() ? Json(nullptr) : Json(text); }

Json TimeOrNull(bool present, const google::protobuf::Timestamp& time) {
  if (!present) return nullptr;
  return FormatW3cDateTime(common::FromProtoTime(time));
}

// The plural elements of the specification's XML and their items.
absl::string_view XmlItemName(absl::string_view list) {
  if (list == "services") return "service";
  if (list == "service_requests") return "request";
  if (list == "errors") return "error";
  if (list == "attributes") return "attribute";
  if (list == "values") return "value";
  return "item";
}

void AppendXmlText(std::string& out, std::string_view text) {
  // Invalid UTF-8 cannot be written out as it is: bytes outside ASCII become '?'.
  const bool valid = common::IsValidUtf8(text);
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        // XML 1.0 has no place for the other control characters.
        if (byte < 0x20 && c != '\t' && c != '\n' && c != '\r') break;
        out.push_back(!valid && byte >= 0x80 ? '?' : c);
    }
  }
}

// The Spark convention the specification follows between XML and JSON: an
// object's fields are elements, a list is an element holding one element per
// item, null is an empty element.
void AppendXml(std::string& out, absl::string_view name, const Json& value) {
  const bool empty = value.is_null() || ((value.is_array() || value.is_object()) && value.empty()) ||
                     (value.is_string() && value.get_ref<const std::string&>().empty());
  if (empty) {
    absl::StrAppend(&out, "<", name, "/>");
    return;
  }
  absl::StrAppend(&out, "<", name, ">");
  if (value.is_object()) {
    for (const auto& [key, item] : value.items()) AppendXml(out, key, item);
  } else if (value.is_array()) {
    for (const auto& item : value) AppendXml(out, XmlItemName(name), item);
  } else if (value.is_string()) {
    AppendXmlText(out, value.get_ref<const std::string&>());
  } else {
    out += value.dump();  // numbers and booleans
  }
  absl::StrAppend(&out, "</", name, ">");
}

}  // namespace

// ---------------------------------------------------------------------------
// Dates

absl::StatusOr<TimePoint> ParseW3cDateTime(std::string_view text, std::string_view field) {
  const auto bad = [&] {
    return absl::InvalidArgumentError(
        absl::StrCat(std::string(field), " must be a W3C date and time with its zone, such as 2010-01-01T00:00:00Z"));
  };
  size_t pos = 0;
  int year = 0;
  int month = 0;
  int day = 0;
  if (!ReadDigits(text, pos, 4, year) || !ReadChar(text, pos, '-') || !ReadDigits(text, pos, 2, month) ||
      !ReadChar(text, pos, '-') || !ReadDigits(text, pos, 2, day)) {
    return bad();
  }
  const std::chrono::year_month_day date{std::chrono::year(year), std::chrono::month(static_cast<unsigned>(month)),
                                         std::chrono::day(static_cast<unsigned>(day))};
  if (!date.ok()) return bad();
  const std::chrono::sys_days midnight(date);
  if (pos == text.size()) return TimePoint(midnight);

  int hour = 0;
  int minute = 0;
  int second = 0;
  int64_t nanos = 0;
  if (!ReadChar(text, pos, 'T') || !ReadDigits(text, pos, 2, hour) || !ReadChar(text, pos, ':') ||
      !ReadDigits(text, pos, 2, minute) || hour > 23 || minute > 59) {
    return bad();
  }
  if (ReadChar(text, pos, ':')) {
    if (!ReadDigits(text, pos, 2, second) || second > 59) return bad();
    if (ReadChar(text, pos, '.')) {
      int digits = 0;
      while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
        if (digits < 9) nanos = nanos * 10 + (text[pos] - '0');
        ++digits;
        ++pos;
      }
      if (digits == 0) return bad();
      for (int k = digits; k < 9; ++k) nanos *= 10;
    }
  }
  int offset_minutes = 0;
  if (!ReadChar(text, pos, 'Z')) {
    if (pos >= text.size() || (text[pos] != '+' && text[pos] != '-' && text[pos] != ' ')) return bad();
    const int sign = text[pos] == '-' ? -1 : 1;
    ++pos;
    int offset_hours = 0;
    int offset_rest = 0;
    if (!ReadDigits(text, pos, 2, offset_hours) || !ReadChar(text, pos, ':') ||
        !ReadDigits(text, pos, 2, offset_rest) || offset_hours > 23 || offset_rest > 59) {
      return bad();
    }
    offset_minutes = sign * (offset_hours * 60 + offset_rest);
  }
  if (pos != text.size()) return bad();
  const auto local = midnight + std::chrono::hours(hour) + std::chrono::minutes(minute) + std::chrono::seconds(second) +
                     std::chrono::nanoseconds(nanos);
  return std::chrono::time_point_cast<TimePoint::duration>(local - std::chrono::minutes(offset_minutes));
}

std::string FormatW3cDateTime(TimePoint time) {
  const auto seconds = std::chrono::floor<std::chrono::seconds>(time);
  const auto days = std::chrono::floor<std::chrono::days>(seconds);
  const std::chrono::year_month_day date(days);
  const std::chrono::hh_mm_ss clock(seconds - days);
  char buffer[40];
  std::snprintf(buffer, sizeof(buffer), "%04d-%02u-%02uT%02d:%02d:%02dZ", static_cast<int>(date.year()),
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                static_cast<int>(clock.hours().count()), static_cast<int>(clock.minutes().count()),
                static_cast<int>(clock.seconds().count()));
  return buffer;
}

// ---------------------------------------------------------------------------
// Responses

namespace {

using Format = ResponseFormat;

HttpResponse Render(Format format, int status, absl::string_view root, const Json& body) {
  HttpResponse response;
  response.status = status;
  if (format == Format::kXml) {
    response.content_type = kXmlContentType;
    response.body = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n";
    AppendXml(response.body, root, body);
    response.body += "\n";
  } else {
    response.content_type = kJsonContentType;
    response.body = body.dump(-1, ' ', false, Json::error_handler_t::replace);
  }
  return response;
}

HttpResponse Error(Format format, int status, absl::string_view description) {
  Json errors = Json::array();
  errors.push_back(Json{{"code", status}, {"description", std::string(description)}});
  return Render(format, status, "errors", errors);
}

HttpResponse MethodNotAllowed(Format format, const std::string& allowed) {
  HttpResponse response = Error(format, 405, absl::StrCat("method not allowed here; allowed: ", allowed));
  response.headers.emplace_back("Allow", allowed);
  return response;
}

// A backend error as the client should see it.
HttpResponse FromStatus(Format format, const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kOutOfRange:
      return Error(format, 400, status.message());
    case absl::StatusCode::kNotFound:
      return Error(format, 404, status.message());
    case absl::StatusCode::kAlreadyExists:
      return Error(format, 409, status.message());
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kResourceExhausted:
    case absl::StatusCode::kAborted:
      spdlog::warn("open311: resident calls did not answer: {}", status.ToString());
      return Error(format, 503, "the service is unavailable, try again later");
    default:
      spdlog::error("open311: resident calls failed: {}", status.ToString());
      return Error(format, 500, "internal error");
  }
}

Format FormatOfPath(std::string_view path) { return path.ends_with(".xml") ? Format::kXml : Format::kJson; }

// Where a page of GET requests ended: requests created before `time`, or at
// `time` but not among `ids` (those already given), within the window that
// starts at `from`. Written "<from ns>.<time ns>.<id>,<id>...".
struct PageCursor {
  TimePoint from;
  TimePoint time;
  std::set<std::string, std::less<>> ids;
};

int64_t Nanos(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

TimePoint FromNanos(int64_t ns) {
  return TimePoint(std::chrono::duration_cast<TimePoint::duration>(std::chrono::nanoseconds(ns)));
}

std::string MakePageToken(const PageCursor& cursor) {
  return absl::StrCat(Nanos(cursor.from), ".", Nanos(cursor.time), ".", absl::StrJoin(cursor.ids, ","));
}

absl::StatusOr<PageCursor> ParsePageToken(absl::string_view token) {
  const auto invalid = absl::InvalidArgumentError("page_token is not one this service gave");
  const std::vector<absl::string_view> parts = absl::StrSplit(token, absl::MaxSplits('.', 2));
  int64_t from_ns = 0;
  int64_t time_ns = 0;
  if (parts.size() != 3 || !absl::SimpleAtoi(parts[0], &from_ns) || !absl::SimpleAtoi(parts[1], &time_ns) ||
      parts[2].empty()) {
    return invalid;
  }
  PageCursor cursor{FromNanos(from_ns), FromNanos(time_ns), {}};
  if (cursor.time < cursor.from || cursor.time - cursor.from > kMaxWindow + std::chrono::seconds(1)) return invalid;
  for (absl::string_view id : absl::StrSplit(parts[2], ',')) {
    if (!common::CheckId(std::string_view(id.data(), id.size()), "service_request_id").ok()) return invalid;
    cursor.ids.emplace(id);
  }
  if (cursor.ids.size() > static_cast<size_t>(kMaxRequestsPerPage) * 2) return invalid;
  return cursor;
}

TimePoint CreatedAt(const v1::ResidentRequest& request) { return common::FromProtoTime(request.created_at()); }

// Newest first; the id breaks ties so that the order is total.
bool NewerFirst(const v1::ResidentRequest& a, const v1::ResidentRequest& b) {
  const TimePoint ta = CreatedAt(a);
  const TimePoint tb = CreatedAt(b);
  if (ta != tb) return ta > tb;
  return a.id() > b.id();
}

}  // namespace

// ---------------------------------------------------------------------------
// Categories

struct Open311Api::Categories {
  std::vector<v1::Category> list;
  std::map<std::string, size_t, std::less<>> by_code;

  const v1::Category* Find(std::string_view code) const {
    const auto it = by_code.find(code);
    return it == by_code.end() ? nullptr : &list[it->second];
  }
};

namespace {

Json ServiceNotice(const v1::Category* category) {
  if (category == nullptr || category->target_hours() <= 0) return nullptr;
  return absl::StrCat("The city aims to deal with requests of this kind within ", category->target_hours(),
                      category->target_hours() == 1 ? " hour." : " hours.");
}

}  // namespace

Open311Api::Open311Api(RequestsBackend& backend, Open311Options options)
    : backend_(backend), options_(std::move(options)) {}

TimePoint Open311Api::Now() const { return options_.clock != nullptr ? options_.clock->Now() : system_clock_.Now(); }

absl::StatusOr<std::shared_ptr<const Open311Api::Categories>> Open311Api::LoadCategories() {
  std::lock_guard<std::mutex> lock(categories_mu_);
  const TimePoint now = Now();
  if (categories_ != nullptr && now - categories_loaded_at_ < options_.categories_ttl) return categories_;
  auto loaded = backend_.ListCategories();
  if (!loaded.ok()) {
    if (categories_ != nullptr) {
      spdlog::warn("open311: categories not refreshed, the last ones serve: {}", loaded.status().ToString());
      return categories_;
    }
    return loaded.status();
  }
  auto categories = std::make_shared<Categories>();
  categories->list.assign(loaded->categories().begin(), loaded->categories().end());
  for (size_t i = 0; i < categories->list.size(); ++i) categories->by_code.emplace(categories->list[i].code(), i);
  categories_ = std::move(categories);
  categories_loaded_at_ = now;
  return categories_;
}

// ---------------------------------------------------------------------------
// Routes

namespace {

// A request as Open311 shows it: public fields only, never the residents.
Json RequestJson(const v1::ResidentRequest& request, const v1::Category* category, const std::string& agency) {
  const bool closed = request.status() == v1::REQUEST_STATUS_CLOSED;
  Json out;
  out["service_request_id"] = request.id();
  out["status"] = closed ? "closed" : "open";
  out["status_notes"] = TextOrNull(request.status_note());
  out["service_name"] = category != nullptr ? category->name() : request.category();
  out["service_code"] = request.category();
  out["description"] = TextOrNull(request.description());
  out["agency_responsible"] = TextOrNull(agency);
  out["service_notice"] = ServiceNotice(category);
  out["requested_datetime"] = TimeOrNull(request.has_created_at(), request.created_at());
  // "For requests with status=closed, this will be the date the request was closed."
  out["updated_datetime"] = closed && request.has_closed_at()
                                ? TimeOrNull(true, request.closed_at())
                                : TimeOrNull(request.has_updated_at(), request.updated_at());
  out["expected_datetime"] = TimeOrNull(request.has_expected_at(), request.expected_at());
  out["address"] = TextOrNull(request.address());
  out["address_id"] = nullptr;
  out["zipcode"] = nullptr;
  out["lat"] = request.has_location() ? Json(request.location().lat()) : Json(nullptr);
  out["long"] = request.has_location() ? Json(request.location().lon()) : Json(nullptr);
  out["media_url"] = nullptr;
  return out;
}

}  // namespace

HttpResponse Open311Api::Handle(const HttpRequest& request) {
  try {
    return Route(request);
  } catch (const std::exception& e) {
    spdlog::error("open311: {} {} failed: {}", request.method, request.path, e.what());
    return Error(FormatOfPath(request.path), 500, "internal error");
  }
}

HttpResponse Open311Api::Route(const HttpRequest& request) {
  const std::string_view path = request.path;
  if (!path.starts_with(kOpen311Prefix)) return Error(Format::kJson, 404, "no such resource");
  const std::string_view rest = path.substr(kOpen311Prefix.size());
  const size_t dot = rest.rfind('.');
  const size_t slash = rest.rfind('/');
  if (dot == std::string_view::npos || (slash != std::string_view::npos && dot < slash)) {
    return Error(Format::kJson, 404, "no such resource (Open311 resources end with .json or .xml)");
  }
  const std::string_view extension = rest.substr(dot + 1);
  const std::string_view resource = rest.substr(0, dot);
  Format format = Format::kJson;
  if (extension == "xml") {
    format = Format::kXml;
  } else if (extension != "json") {
    return Error(Format::kJson, 400, "format not supported: use .json or .xml");
  }
  auto query = request.QueryFields();
  if (!query.ok()) return Error(format, 400, absl::StrCat("malformed query string: ", query.status().message()));

  const bool get = request.method == "GET" || request.method == "HEAD";
  if (resource == "services") {
    if (!get) return MethodNotAllowed(format, "GET, HEAD");
    return ListServices(format, *query);
  }
  if (resource == "requests") {
    if (get) return ListRequests(format, *query);
    if (request.method == "POST") return CreateRequest(format, request);
    return MethodNotAllowed(format, "GET, HEAD, POST");
  }
  // services/<code> and requests/<id>.
  const size_t separator = resource.find('/');
  const std::string_view collection = resource.substr(0, separator);
  const std::string_view item =
      separator == std::string_view::npos ? std::string_view() : resource.substr(separator + 1);
  if (!item.empty() && item.find('/') == std::string_view::npos &&
      (collection == "services" || collection == "requests")) {
    auto name = common::UrlDecode(item, /*plus_as_space=*/false);
    if (!name.ok()) return Error(format, 404, "no such resource");
    if (!get) return MethodNotAllowed(format, "GET, HEAD");
    if (collection == "services") return ServiceDefinition(format, *query, *name);
    return GetRequest(format, *query, *name);
  }
  return Error(format, 404, "no such resource");
}

namespace {

// 404 when a jurisdiction_id is given that this endpoint does not serve.
std::optional<HttpResponse> CheckJurisdiction(Format format, const FormFields& fields, const std::string& ours) {
  const std::string given = Field(fields, "jurisdiction_id");
  if (given.empty() || ours.empty() || given == ours) return std::nullopt;
  return Error(format, 404, absl::StrCat("jurisdiction_id was not found (this endpoint serves ", ours, ")"));
}

}  // namespace

HttpResponse Open311Api::ListServices(Format format, const FormFields& query) {
  if (auto error = CheckJurisdiction(format, query, options_.jurisdiction_id)) return *error;
  auto categories = LoadCategories();
  if (!categories.ok()) return FromStatus(format, categories.status());
  Json services = Json::array();
  for (const v1::Category& category : (*categories)->list) {
    Json service;
    service["service_code"] = category.code();
    service["service_name"] = category.name();
    service["description"] = TextOrNull(category.description());
    service["metadata"] = false;
    service["type"] = "realtime";
    service["keywords"] = category.keywords().empty() ? Json(nullptr) : Json(absl::StrJoin(category.keywords(), ", "));
    service["group"] = TextOrNull(category.group());
    services.push_back(std::move(service));
  }
  return Render(format, 200, "services", services);
}

HttpResponse Open311Api::ServiceDefinition(Format format, const FormFields& query, const std::string& code) {
  if (auto error = CheckJurisdiction(format, query, options_.jurisdiction_id)) return *error;
  auto categories = LoadCategories();
  if (!categories.ok()) return FromStatus(format, categories.status());
  if ((*categories)->Find(code) == nullptr) return Error(format, 404, "service_code was not found");
  Json definition;
  definition["service_code"] = code;
  definition["attributes"] = Json::array();
  return Render(format, 200, "service_definition", definition);
}

HttpResponse Open311Api::CreateRequest(Format format, const HttpRequest& request) {
  const std::string_view content_type = request.Header("Content-Type");
  if (!content_type.empty() && !absl::StartsWithIgnoreCase(absl::string_view(content_type.data(), content_type.size()),
                                                           "application/x-www-form-urlencoded")) {
    return Error(format, 400, "a service request is posted as application/x-www-form-urlencoded");
  }
  auto form = common::ParseFormUrlEncoded(request.body);
  if (!form.ok()) return Error(format, 400, absl::StrCat("malformed form: ", form.status().message()));

  const std::string api_key = Field(*form, "api_key");
  if (api_key.empty()) return Error(format, 403, "api_key was not provided");
  const std::optional<std::string> client =
      options_.api_key_validator ? options_.api_key_validator(api_key) : std::nullopt;
  if (!client.has_value()) return Error(format, 403, "api_key is not valid");
  if (auto error = CheckJurisdiction(format, *form, options_.jurisdiction_id)) return *error;

  const std::string service_code = Field(*form, "service_code");
  if (service_code.empty()) return Error(format, 400, "service_code was not provided");
  const std::string lat_text = Field(*form, "lat");
  const std::string long_text = Field(*form, "long");
  if (lat_text.empty() || long_text.empty()) return Error(format, 400, "lat and long are required");
  double lat = 0;
  double lon = 0;
  if (!absl::SimpleAtod(lat_text, &lat) || !std::isfinite(lat) || lat < -90 || lat > 90) {
    return Error(format, 400, "lat must be a number from -90 to 90");
  }
  if (!absl::SimpleAtod(long_text, &lon) || !std::isfinite(lon) || lon < -180 || lon > 180) {
    return Error(format, 400, "long must be a number from -180 to 180");
  }
  for (const char* name : {"description", "address_string", "email", "first_name", "last_name", "phone",
                           "idempotency_key", "service_code"}) {
    if (!common::IsValidUtf8(Field(*form, name))) return Error(format, 400, absl::StrCat(name, " is not valid UTF-8"));
  }
  const std::string description = Field(*form, "description");
  if (CountCodePoints(description) > kMaxDescriptionChars) {
    return Error(format, 400, absl::StrCat("description is longer than ", kMaxDescriptionChars, " characters"));
  }

  // Known service codes only (the backend is not asked with an unknown one).
  auto categories = LoadCategories();
  if (!categories.ok()) return FromStatus(format, categories.status());
  const v1::Category* category = (*categories)->Find(service_code);
  if (category == nullptr) return Error(format, 404, "service_code was not found");

  v1::CreateRequestRequest create;
  create.set_category(service_code);
  create.set_description(description);
  create.mutable_location()->set_lat(lat);
  create.mutable_location()->set_lon(lon);
  create.set_address(Field(*form, "address_string"));
  create.set_channel(v1::REQUEST_CHANNEL_APP);
  create.set_recorded_by(absl::StrCat("open311:", *client));
  const std::string email = Field(*form, "email");
  const std::string first_name = Field(*form, "first_name");
  const std::string last_name = Field(*form, "last_name");
  const std::string phone = Field(*form, "phone");
  if (!email.empty() || !first_name.empty() || !last_name.empty() || !phone.empty()) {
    v1::Resident* resident = create.mutable_resident();
    resident->set_email(email);
    resident->set_first_name(first_name);
    resident->set_last_name(last_name);
    resident->set_phone(phone);
  }
  create.set_idempotency_key(Field(*form, "idempotency_key"));
  // device_id, account_id, media_url and attribute[...] are not kept.

  auto created = backend_.CreateRequest(create);
  if (!created.ok()) return FromStatus(format, created.status());
  const v1::ResidentRequest& stored = created->request().request();
  Json item;
  item["service_request_id"] = stored.id();
  item["service_notice"] = ServiceNotice(category);
  item["account_id"] = nullptr;
  Json body = Json::array();
  body.push_back(std::move(item));
  // 200 for a retry with an idempotency key already seen: nothing was created.
  return Render(format, created->created() ? 201 : 200, "service_requests", body);
}

HttpResponse Open311Api::GetRequest(Format format, const FormFields& query, const std::string& id) {
  if (auto error = CheckJurisdiction(format, query, options_.jurisdiction_id)) return *error;
  if (!common::CheckId(id, "service_request_id").ok()) return Error(format, 404, "service_request_id was not found");
  auto detail = backend_.GetRequest(id);
  if (!detail.ok()) return FromStatus(format, detail.status());
  auto categories = LoadCategories();
  if (!categories.ok()) return FromStatus(format, categories.status());
  Json body = Json::array();
  body.push_back(
      RequestJson(detail->request(), (*categories)->Find(detail->request().category()), options_.agency_responsible));
  return Render(format, 200, "service_requests", body);
}

HttpResponse Open311Api::ListRequests(Format format, const FormFields& query) {
  if (auto error = CheckJurisdiction(format, query, options_.jurisdiction_id)) return *error;
  auto loaded_categories = LoadCategories();
  if (!loaded_categories.ok()) return FromStatus(format, loaded_categories.status());
  const Categories& categories = **loaded_categories;
  const auto render = [&](const std::vector<v1::ResidentRequest>& requests) {
    Json body = Json::array();
    for (const auto& request : requests) {
      body.push_back(RequestJson(request, categories.Find(request.category()), options_.agency_responsible));
    }
    return Render(format, 200, "service_requests", body);
  };

  // service_request_id overrides every other argument.
  const std::vector<std::string> ids = ListField(query, "service_request_id");
  if (!ids.empty()) {
    if (ids.size() > static_cast<size_t>(kMaxRequestIds)) {
      return Error(format, 400, absl::StrCat("at most ", kMaxRequestIds, " service_request_id at once"));
    }
    for (const std::string& id : ids) {
      if (auto status = common::CheckId(id, "service_request_id"); !status.ok()) {
        return Error(format, 400, status.message());
      }
    }
    const std::set<std::string, std::less<>> wanted(ids.begin(), ids.end());
    std::set<std::string, std::less<>> seen;
    std::vector<v1::ResidentRequest> found;
    v1::ListRequestsRequest list;
    for (const std::string& id : ids) list.add_ids(id);
    list.set_page_size(static_cast<int32_t>(ids.size()));
    for (int call = 0; call < kMaxBackendCallsPerStream; ++call) {
      auto page = backend_.ListRequests(list);
      if (!page.ok()) return FromStatus(format, page.status());
      for (const auto& request : page->requests()) {
        if (wanted.count(request.id()) != 0 && seen.insert(request.id()).second) found.push_back(request);
      }
      if (page->next_page_token().empty()) break;
      list.set_page_token(page->next_page_token());
    }
    std::sort(found.begin(), found.end(), NewerFirst);
    return render(found);
  }

  int page_size = kMaxRequestsPerPage;
  if (const std::string text = Field(query, "page_size"); !text.empty()) {
    if (!absl::SimpleAtoi(text, &page_size) || page_size < 1 || page_size > kMaxRequestsPerPage) {
      return Error(format, 400, absl::StrCat("page_size must be from 1 to ", kMaxRequestsPerPage));
    }
  }

  bool want_open = false;
  bool want_closed = false;
  for (const std::string& status : ListField(query, "status")) {
    if (absl::EqualsIgnoreCase(status, "open")) {
      want_open = true;
    } else if (absl::EqualsIgnoreCase(status, "closed")) {
      want_closed = true;
    } else {
      return Error(format, 400, "status must be open or closed");
    }
  }
  // The backend filters on one status at a time: "open" is three of them.
  std::vector<v1::RequestStatus> statuses;
  if (want_open == want_closed) {
    statuses = {v1::REQUEST_STATUS_UNSPECIFIED};
  } else if (want_open) {
    statuses = {v1::REQUEST_STATUS_OPEN, v1::REQUEST_STATUS_ACKNOWLEDGED, v1::REQUEST_STATUS_IN_PROGRESS};
  } else {
    statuses = {v1::REQUEST_STATUS_CLOSED};
  }

  // Unknown service codes match nothing.
  const std::vector<std::string> asked_codes = ListField(query, "service_code");
  std::vector<std::string> codes;
  for (const std::string& code : asked_codes) {
    if (categories.Find(code) != nullptr) codes.push_back(code);
  }
  if (!asked_codes.empty() && codes.empty()) return render({});
  if (codes.empty()) codes.emplace_back();  // any category

  std::optional<TimePoint> start;
  std::optional<TimePoint> end;
  for (const auto& [name, target] : {std::pair{"start_date", &start}, std::pair{"end_date", &end}}) {
    const std::string text = Field(query, name);
    if (text.empty()) continue;
    auto parsed = ParseW3cDateTime(text, name);
    if (!parsed.ok()) return Error(format, 400, parsed.status().message());
    *target = *parsed;
  }
  // [from, to): requested_datetime within the window.
  TimePoint from;
  std::optional<TimePoint> to;
  constexpr std::chrono::nanoseconds kInclusive{1};
  if (start && end) {
    if (*end < *start) return Error(format, 400, "end_date is before start_date");
    if (*end - *start > kMaxWindow) return Error(format, 400, "start_date and end_date may not span more than 90 days");
    from = *start;
    to = *end + kInclusive;
  } else if (start) {
    from = *start;
    to = *start + kMaxWindow;
  } else if (end) {
    from = *end - kMaxWindow;
    to = *end + kInclusive;
  } else {
    from = Now() - kMaxWindow;
  }
  std::optional<PageCursor> cursor;
  if (const std::string token = Field(query, "page_token"); !token.empty()) {
    auto parsed = ParsePageToken(token);
    if (!parsed.ok()) return Error(format, 400, parsed.status().message());
    cursor = *std::move(parsed);
    from = cursor->from;
    to = to.has_value() ? std::min(*to, cursor->time + kInclusive) : cursor->time + kInclusive;
  }

  // One stream per (status, category), each newest first; each stream reads
  // up to page_size requests past the cursor. A stream that had more is
  // truncated at its last request: only what is at least as new as the newest
  // such truncation point is sure to be complete, so the page stops there.
  const size_t wanted = static_cast<size_t>(page_size);
  const size_t skip = cursor.has_value() ? cursor->ids.size() : 0;
  std::vector<v1::ResidentRequest> merged;
  std::optional<TimePoint> complete_down_to;
  bool more = false;
  for (const v1::RequestStatus status : statuses) {
    for (const std::string& code : codes) {
      v1::ListRequestsRequest list;
      list.set_status(status);
      list.set_category(code);
      *list.mutable_created_from() = common::ToProtoTime(from);
      if (to.has_value()) *list.mutable_created_to() = common::ToProtoTime(*to);
      std::vector<v1::ResidentRequest> kept;
      bool truncated = false;
      for (int call = 0;; ++call) {
        if (call == kMaxBackendCallsPerStream) {
          truncated = true;
          break;
        }
        list.set_page_size(
            static_cast<int32_t>(std::clamp<size_t>(wanted - kept.size() + skip, 1, kMaxBackendPageSize)));
        auto page = backend_.ListRequests(list);
        if (!page.ok()) return FromStatus(format, page.status());
        for (const auto& request : page->requests()) {
          if (kept.size() >= wanted) {
            truncated = true;
            break;
          }
          const TimePoint created = CreatedAt(request);
          // What the filters exclude, should the backend give it anyway.
          if (created < from || (to.has_value() && created >= *to)) continue;
          if (status != v1::REQUEST_STATUS_UNSPECIFIED && request.status() != status) continue;
          if (!code.empty() && request.category() != code) continue;
          if (cursor.has_value() && created == cursor->time && cursor->ids.count(request.id()) != 0) continue;
          kept.push_back(request);
        }
        if (truncated || page->next_page_token().empty()) break;
        if (kept.size() >= wanted) {
          truncated = true;
          break;
        }
        list.set_page_token(page->next_page_token());
      }
      if (truncated) {
        more = true;
        if (!kept.empty()) {
          const TimePoint last = CreatedAt(*std::min_element(
              kept.begin(), kept.end(), [](const auto& a, const auto& b) { return CreatedAt(a) < CreatedAt(b); }));
          complete_down_to = complete_down_to.has_value() ? std::max(*complete_down_to, last) : last;
        }
      }
      merged.insert(merged.end(), std::make_move_iterator(kept.begin()), std::make_move_iterator(kept.end()));
    }
  }
  // A request whose status changed between two streams' reads is in both.
  std::sort(merged.begin(), merged.end(), NewerFirst);
  std::set<std::string, std::less<>> seen;
  std::vector<v1::ResidentRequest> page;
  for (auto& request : merged) {
    if (complete_down_to.has_value() && CreatedAt(request) < *complete_down_to) {
      more = true;
      break;
    }
    if (!seen.insert(request.id()).second) continue;
    if (page.size() == wanted) {
      more = true;
      break;
    }
    page.push_back(std::move(request));
  }

  HttpResponse response = render(page);
  if (more && !page.empty()) {
    PageCursor next{from, CreatedAt(page.back()), {}};
    for (const auto& request : page) {
      if (CreatedAt(request) == next.time) next.ids.insert(request.id());
    }
    if (cursor.has_value() && cursor->time == next.time) next.ids.insert(cursor->ids.begin(), cursor->ids.end());
    response.headers.emplace_back(kNextPageTokenHeader, MakePageToken(next));
  }
  return response;
}

namespace {

std::string_view TrimBlanks(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

absl::StatusOr<std::map<std::string, std::string>> ParseApiKeys(std::string_view text) {
  std::map<std::string, std::string> keys;
  while (!text.empty()) {
    const auto comma = text.find(',');
    const std::string_view entry = TrimBlanks(text.substr(0, comma));
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    if (entry.empty()) continue;
    const auto colon = entry.find(':');
    if (colon == std::string_view::npos || colon == 0 || colon + 1 == entry.size()) {
      return absl::InvalidArgumentError("CITYOPS_OPEN311_API_KEYS: each entry must be client:key");
    }
    std::string client(entry.substr(0, colon));
    std::string key(entry.substr(colon + 1));
    if (key.size() < 16) {
      return absl::InvalidArgumentError("CITYOPS_OPEN311_API_KEYS: a key must have at least 16 characters");
    }
    if (!keys.emplace(std::move(key), std::move(client)).second) {
      return absl::InvalidArgumentError("CITYOPS_OPEN311_API_KEYS: a key is given twice");
    }
  }
  return keys;
}

std::function<std::optional<std::string>(std::string_view)> ApiKeyValidator(std::map<std::string, std::string> keys) {
  return [keys = std::move(keys)](std::string_view key) -> std::optional<std::string> {
    const auto it = keys.find(std::string(key));
    if (it == keys.end()) return std::nullopt;
    return it->second;
  };
}

}  // namespace cityops::calls::open311
