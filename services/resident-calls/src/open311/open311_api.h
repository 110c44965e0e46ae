#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "cityops/common/clock.h"
#include "cityops/common/http.h"
#include "open311/backend.h"

// Open311 GeoReport v2 (https://wiki.open311.org/GeoReport_v2) over the
// residents' requests, for residents' apps, under /open311/v2/:
//   GET  services.{json,xml}            the categories
//   GET  services/<code>.{json,xml}     a category's definition (no attributes)
//   POST requests.{json,xml}            a new request (form-urlencoded, api_key)
//   GET  requests.{json,xml}            requests by ids, or by category, dates, status
//   GET  requests/<id>.{json,xml}       one request
//
// Choices where the specification leaves one:
// - Every field of a request is always present; an empty value is null in
//   JSON and an empty element in XML (address_id, zipcode and media_url are
//   always empty: the city keeps none of them).
// - Times are written in UTC with "Z", to the second.
// - lat and long are required to create a request (the district is found from
//   them); address_string alone is refused.
// - Errors are [{"code": <HTTP status>, "description": "..."}] (XML:
//   <errors><error>...): 400 bad input, 403 api_key missing or invalid, 404
//   unknown resource, jurisdiction_id or service_code (also when posting, as
//   the specification lists it), 405 wrong method, 503 resident calls not
//   answering, 500 anything else.
// - GET requests.json: without dates, the 90 days before now; with one date,
//   90 days from or to it; a range longer than 90 days is refused. At most
//   `page_size` (default and maximum 1000) requests, newest first; when there
//   are more, the response carries a header X-Next-Page-Token whose value,
//   sent back as page_token with the same filters, gives the next ones.
// - Residents' personal data is never written out: a request is rendered
//   from its public fields only.
namespace cityops::calls::open311 {

struct Open311Options {
  // When set, a jurisdiction_id given must be this one (404 otherwise);
  // when empty, jurisdiction_id is ignored.
  std::string jurisdiction_id;
  // The client's name for a valid api_key, nullopt for an invalid one (403).
  // Unset: every key is refused.
  std::function<std::optional<std::string>(std::string_view api_key)> api_key_validator;
  // agency_responsible of every request; empty: null.
  std::string agency_responsible;
  // The categories are read from the backend at most this often.
  std::chrono::seconds categories_ttl{60};
  // For the default window of GET requests and the categories' cache;
  // nullptr: the system clock. Must outlive the Open311Api.
  const common::Clock* clock = nullptr;
};

inline constexpr std::string_view kOpen311Prefix = "/open311/v2/";
inline constexpr char kNextPageTokenHeader[] = "X-Next-Page-Token";
inline constexpr int kMaxRequestsPerPage = 1000;
inline constexpr int kMaxRequestIds = 100;
inline constexpr size_t kMaxDescriptionChars = 4000;

// A W3C date and time (https://www.w3.org/TR/NOTE-datetime) with its zone:
// "2010-01-01T00:00:00Z", "2010-01-01T01:00+01:00", "...T00:00:00.5Z"; a date
// alone ("2010-01-01") is midnight UTC. A space where the offset's '+' should
// be is taken for it (a '+' left unescaped in a query string). INVALID_ARGUMENT
// naming `field` otherwise.
absl::StatusOr<common::TimePoint> ParseW3cDateTime(std::string_view text, std::string_view field);
// "2010-01-01T00:00:00Z" (UTC, to the second).
std::string FormatW3cDateTime(common::TimePoint time);

// CITYOPS_OPEN311_API_KEYS: "client:key,client2:key2" -> key -> client;
// INVALID_ARGUMENT for an entry without both parts, a key shorter than 16
// characters, or a key given twice.
absl::StatusOr<std::map<std::string, std::string>> ParseApiKeys(std::string_view text);
// Open311Options::api_key_validator over keys from ParseApiKeys (key -> client).
std::function<std::optional<std::string>(std::string_view)> ApiKeyValidator(std::map<std::string, std::string> keys);

// What a route answers in: its path ends with .json or .xml.
enum class ResponseFormat { kJson, kXml };

class Open311Api {
 public:
  Open311Api(RequestsBackend& backend, Open311Options options);
  Open311Api(const Open311Api&) = delete;
  Open311Api& operator=(const Open311Api&) = delete;

  // Any path: those outside /open311/v2/ are 404. Safe to call from several
  // threads at once.
  common::HttpResponse Handle(const common::HttpRequest& request);

 private:
  using Format = ResponseFormat;
  struct Categories;

  common::HttpResponse Route(const common::HttpRequest& request);
  common::HttpResponse ListServices(Format format, const common::FormFields& query);
  common::HttpResponse ServiceDefinition(Format format, const common::FormFields& query, const std::string& code);
  common::HttpResponse CreateRequest(Format format, const common::HttpRequest& request);
  common::HttpResponse ListRequests(Format format, const common::FormFields& query);
  common::HttpResponse GetRequest(Format format, const common::FormFields& query, const std::string& id);

  // The categories, from the cache when fresh enough.
  absl::StatusOr<std::shared_ptr<const Categories>> LoadCategories();
  common::TimePoint Now() const;

  RequestsBackend& backend_;
  Open311Options options_;
  common::SystemClock system_clock_;
  std::mutex categories_mu_;
  std::shared_ptr<const Categories> categories_;  // guarded by categories_mu_
  common::TimePoint categories_loaded_at_{};      // guarded by categories_mu_
};

}  // namespace cityops::calls::open311
