#include "settings.h"

#include "absl/status/status.h"
#include "cityops/common/status.h"

namespace cityops::lighting {

absl::StatusOr<LightingSettings> LoadSettings(const common::Config& config) {
  LightingSettings s;
  const common::ServiceDefaults defaults{.name = std::string(kServiceName),
                                         .grpc_address = "127.0.0.1:50054",
                                         .metrics_address = "127.0.0.1:9104",
                                         .pg_schema = "lighting_control",
                                         .pg_pool_size = 4,
                                         .consumer_group = "lighting-control"};
  CITYOPS_ASSIGN_OR_RETURN(s.service, common::LoadServiceSettings(config, defaults));
  s.readings_group = config.GetString("readings-group", s.service.topic_prefix + s.readings_group);
  CITYOPS_ASSIGN_OR_RETURN(s.readings_from, common::GetConsumeFrom(config, "readings-from", s.readings_from));
  s.ingest_address = config.GetString("ingest-address", s.ingest_address);
  s.config_file = config.GetString("config-file", "");
  CITYOPS_ASSIGN_OR_RETURN(s.tick_interval, config.GetDuration("tick-interval", s.tick_interval));
  CITYOPS_ASSIGN_OR_RETURN(s.rebuild_quiet, config.GetDuration("rebuild-quiet", s.rebuild_quiet));
  CITYOPS_ASSIGN_OR_RETURN(s.apply_batch, config.GetInt("apply-batch", s.apply_batch));
  if (s.apply_batch < 1) return absl::InvalidArgumentError("apply-batch must be positive");
  if (s.tick_interval < std::chrono::milliseconds(10)) {
    return absl::InvalidArgumentError("tick-interval must be at least 10ms");
  }
  return s;
}

}  // namespace cityops::lighting
