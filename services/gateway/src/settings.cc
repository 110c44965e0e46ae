#include "settings.h"

#include <cstdlib>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "cityops/common/status.h"
#include "open311/open311_api.h"

namespace cityops::gateway {

namespace {

std::string FromEnvironment(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? std::string() : std::string(value);
}

}  // namespace

absl::StatusOr<GatewaySettings> LoadSettings(const common::Config& config) {
  GatewaySettings s;
  const common::ServiceDefaults defaults{.name = std::string(kServiceName),
                                         .grpc_address = "127.0.0.1:50056",
                                         .metrics_address = "127.0.0.1:9106",
                                         .pg_schema = "gateway",
                                         .pg_pool_size = 4,
                                         .consumer_group = "gateway"};
  CITYOPS_ASSIGN_OR_RETURN(s.service, common::LoadServiceSettings(config, defaults));
  s.http_address = config.GetString("http-address", s.http_address);
  s.telemetry_address = config.GetString("telemetry-address", s.telemetry_address);
  s.incidents_address = config.GetString("incidents-address", s.incidents_address);
  s.dispatch_address = config.GetString("dispatch-address", s.dispatch_address);
  s.lighting_address = config.GetString("lighting-address", s.lighting_address);
  s.calls_address = config.GetString("calls-address", s.calls_address);
#ifdef CITYOPS_CONSOLE_DEFAULT_DIR
  s.console_dir = config.GetString("console-dir", CITYOPS_CONSOLE_DEFAULT_DIR);
#else
  s.console_dir = config.GetString("console-dir", "");
#endif
  CITYOPS_ASSIGN_OR_RETURN(s.token_lifetime, config.GetDuration("token-lifetime", s.token_lifetime));
  if (s.token_lifetime < std::chrono::minutes(1) || s.token_lifetime > std::chrono::hours(24)) {
    return absl::InvalidArgumentError("token-lifetime must be within 1m..24h");
  }
  CITYOPS_ASSIGN_OR_RETURN(s.rate_limit, config.GetDouble("rate-limit", s.rate_limit));
  CITYOPS_ASSIGN_OR_RETURN(s.rate_burst, config.GetDouble("rate-burst", s.rate_burst));
  if (!(s.rate_limit > 0) || !(s.rate_burst >= 1)) {
    return absl::InvalidArgumentError("rate-limit must be positive and rate-burst at least 1");
  }
  CITYOPS_ASSIGN_OR_RETURN(s.feed_window, config.GetDuration("feed-window", s.feed_window));
  if (s.feed_window < std::chrono::seconds(10)) return absl::InvalidArgumentError("feed-window must be at least 10s");
  CITYOPS_ASSIGN_OR_RETURN(s.upstream_deadline, config.GetDuration("upstream-deadline", s.upstream_deadline));
  if (s.upstream_deadline < std::chrono::milliseconds(100)) {
    return absl::InvalidArgumentError("upstream-deadline must be at least 100ms");
  }
  s.jurisdiction_id = config.GetString("jurisdiction-id", s.jurisdiction_id);

  s.jwt_secret = FromEnvironment("CITYOPS_GATEWAY_JWT_SECRET");
  if (s.jwt_secret.size() < 32) {
    return absl::InvalidArgumentError(
        "CITYOPS_GATEWAY_JWT_SECRET must be set in the environment, at least 32 bytes (for example: openssl rand "
        "-base64 48)");
  }
  s.admin_user = FromEnvironment("CITYOPS_GATEWAY_ADMIN_USER");
  s.admin_password = FromEnvironment("CITYOPS_GATEWAY_ADMIN_PASSWORD");
  CITYOPS_ASSIGN_OR_RETURN(s.open311_keys, calls::open311::ParseApiKeys(FromEnvironment("CITYOPS_OPEN311_API_KEYS")));
  return s;
}

}  // namespace cityops::gateway
