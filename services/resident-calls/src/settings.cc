#include "settings.h"

#include <cstdlib>

#include "absl/status/status.h"
#include "cityops/common/status.h"
#include "open311/open311_api.h"

namespace cityops::calls {

absl::StatusOr<CallsSettings> LoadSettings(const common::Config& config) {
  CallsSettings s;
  const common::ServiceDefaults defaults{.name = std::string(kServiceName),
                                         .grpc_address = "127.0.0.1:50055",
                                         .metrics_address = "127.0.0.1:9105",
                                         .pg_schema = "resident_calls",
                                         .pg_pool_size = 6,
                                         .consumer_group = "resident-calls"};
  CITYOPS_ASSIGN_OR_RETURN(s.service, common::LoadServiceSettings(config, defaults));
  s.http_address = config.GetString("http-address", s.http_address);
  s.config_file = config.GetString("config-file", "");
  s.districts_file = config.GetString("districts-file", "");
  if (config.Has("retention")) {
    std::chrono::milliseconds retention{};
    CITYOPS_ASSIGN_OR_RETURN(retention, config.GetDuration("retention", std::chrono::hours(1)));
    if (retention <= std::chrono::milliseconds(0)) return absl::InvalidArgumentError("retention must be positive");
    s.retention = retention;
  }
  CITYOPS_ASSIGN_OR_RETURN(s.purge_interval, config.GetDuration("purge-interval", s.purge_interval));
  if (s.purge_interval < std::chrono::milliseconds(100)) {
    return absl::InvalidArgumentError("purge-interval must be at least 100ms");
  }
  // The API keys are secrets: read from the environment only, never a flag
  // (flags show in process lists).
  const char* keys = std::getenv("CITYOPS_OPEN311_API_KEYS");
  CITYOPS_ASSIGN_OR_RETURN(s.open311_keys, open311::ParseApiKeys(keys == nullptr ? "" : keys));
  s.jurisdiction_id = config.GetString("jurisdiction-id", s.jurisdiction_id);
  return s;
}

}  // namespace cityops::calls
