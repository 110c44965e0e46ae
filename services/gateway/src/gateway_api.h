#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <semaphore>
#include <string>

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "absl/status/statusor.h"
#include "cityops/common/clock.h"
#include "cityops/common/http.h"
#include "feed_buffer.h"
#include "gateway_store.h"
#include "key_figures.h"
#include "open311/open311_api.h"
#include "recent_lookups.h"
#include "routes.h"
#include "security/jwt.h"
#include "security/rate_limiter.h"
#include "security/roles.h"
#include "upstreams.h"

// The gateway's HTTP side: login, roles on every route, the REST routes over
// the services, the audit of every command, the live feed, Open311, the
// OpenAPI document and the console's files.
namespace cityops::gateway {

// How long what the database said of a token's user (exists, not disabled)
// or of an API key is trusted: a disabled user's token, or a revoked key,
// stops working within it.
inline constexpr std::chrono::seconds kUserCheckInterval{5};

// Who is calling: a user (token) or an integration client (API key).
struct Principal {
  std::string name;
  Role role = Role::kViewer;
  bool api_key = false;
};

// HTTP status for a Status: 400, 401, 403, 404, 409, 429, 503, 500...
int HttpStatusFor(const absl::Status& status);
common::HttpResponse JsonError(int status, std::string_view message);

// The request body as the audit keeps it: JSON with passwords, keys, tokens
// and residents' personal data taken out; empty when it is not a JSON object.
std::string AuditedBody(std::string_view body);

struct GatewayApiDeps {
  GatewayStore* store = nullptr;
  Upstreams* upstreams = nullptr;
  const JwtCodec* jwt = nullptr;
  RateLimiter* limiter = nullptr;        // every authenticated request, per principal
  RateLimiter* login_limiter = nullptr;  // login attempts, per username
  const FeedBuffer* feed = nullptr;
  KeyFiguresSource* figures = nullptr;
  calls::open311::Open311Api* open311 = nullptr;  // nullptr: no Open311
  const common::Clock* clock = nullptr;
  const std::atomic<bool>* stopping = nullptr;  // ends live-feed streams
  std::string console_dir;                      // empty: no console
  std::string districts_geojson;
};

class GatewayApi {
 public:
  GatewayApi(GatewayApiDeps deps, prometheus::Registry& metrics);
  GatewayApi(const GatewayApi&) = delete;
  GatewayApi& operator=(const GatewayApi&) = delete;

  // Any request; safe from several threads at once.
  common::HttpResponse Handle(const common::HttpRequest& request);

  // The token or API key of a request. UNAUTHENTICATED when missing or bad.
  absl::StatusOr<Principal> Authenticate(const common::HttpRequest& request, bool allow_query_token);

 private:
  common::HttpResponse Route(const common::HttpRequest& request, std::string* route_label);
  common::HttpResponse Login(const common::HttpRequest& request);
  common::HttpResponse Api(const common::HttpRequest& request, std::string* route_label);
  common::HttpResponse CallService(const common::HttpRequest& request, const Principal& who, const ServiceRoute& route,
                                   const std::string& id);
  common::HttpResponse ListUsers();
  common::HttpResponse CreateUser(const common::HttpRequest& request, const Principal& who);
  common::HttpResponse SetUserDisabled(const common::HttpRequest& request, const Principal& who, bool disabled);
  // A token's user must still exist and not be disabled.
  absl::Status CheckUserActive(const std::string& username);
  common::HttpResponse CreateApiKey(const common::HttpRequest& request, const Principal& who);
  common::HttpResponse ListAudit(const common::HttpRequest& request);
  common::HttpResponse Events(const common::HttpRequest& request, const Principal& who);
  common::HttpResponse StaticFile(const common::HttpRequest& request);
  // Runs `command` between the audit's two writes; refuses it (503) when the
  // audit cannot be written.
  common::HttpResponse Audited(const common::HttpRequest& request, const Principal& who, const std::string& route,
                               const std::string& target, const std::string& recorded_body,
                               const std::function<common::HttpResponse()>& command);

  GatewayApiDeps deps_;
  std::string openapi_json_;
  // Argon2id takes 19 MiB per hash: one at a time, so that a burst of
  // logins cannot take the gateway's memory with it.
  std::binary_semaphore hashing_{1};
  // Compared when the user does not exist, so that an unknown name takes as
  // long as a wrong password.
  std::string dummy_hash_;
  RecentLookups<bool> active_users_;                     // username -> exists and enabled
  RecentLookups<std::optional<ApiKeyRecord>> api_keys_;  // digest -> the key, if valid
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Histogram>& latency_;
  prometheus::Counter& login_failures_;
  prometheus::Counter& rate_limited_;
  prometheus::Counter& audit_failures_;
  prometheus::Gauge& feed_clients_;
};

// The admin named in the environment, created when there is no user at all
// (first start). INVALID_ARGUMENT when the user table is empty and the name
// or password is missing or too weak.
absl::Status EnsureFirstAdmin(GatewayStore& store, const std::string& username, const std::string& password);

}  // namespace cityops::gateway
