#include "settings.h"

#include "absl/status/status.h"
#include "cityops/common/status.h"

namespace cityops::dispatch {

absl::StatusOr<DispatchSettings> LoadSettings(const common::Config& config) {
  DispatchSettings s;
  const common::ServiceDefaults defaults{.name = std::string(kServiceName),
                                         .grpc_address = "127.0.0.1:50053",
                                         .metrics_address = "127.0.0.1:9103",
                                         .pg_schema = "crew_dispatch",
                                         .pg_pool_size = 4,
                                         .consumer_group = "crew-dispatch"};
  CITYOPS_ASSIGN_OR_RETURN(s.service, common::LoadServiceSettings(config, defaults));
  s.positions_group = config.GetString("positions-group", s.service.topic_prefix + s.positions_group);
  CITYOPS_ASSIGN_OR_RETURN(s.positions_from, common::GetConsumeFrom(config, "positions-from", s.positions_from));
  s.rules_file = config.GetString("rules-file", "");
  CITYOPS_ASSIGN_OR_RETURN(s.min_lat, config.GetDouble("city-min-lat", s.min_lat));
  CITYOPS_ASSIGN_OR_RETURN(s.max_lat, config.GetDouble("city-max-lat", s.max_lat));
  CITYOPS_ASSIGN_OR_RETURN(s.min_lon, config.GetDouble("city-min-lon", s.min_lon));
  CITYOPS_ASSIGN_OR_RETURN(s.max_lon, config.GetDouble("city-max-lon", s.max_lon));
  CITYOPS_ASSIGN_OR_RETURN(s.apply_batch, config.GetInt("apply-batch", s.apply_batch));
  CITYOPS_ASSIGN_OR_RETURN(s.tick_interval, config.GetDuration("tick-interval", s.tick_interval));
  CITYOPS_ASSIGN_OR_RETURN(s.applied_events_retention_days,
                           config.GetInt("applied-events-retention-days", s.applied_events_retention_days));
  if (s.apply_batch < 1) return absl::InvalidArgumentError("apply-batch must be positive");
  if (s.tick_interval < std::chrono::milliseconds(10)) {
    return absl::InvalidArgumentError("tick-interval must be at least 10ms");
  }
  if (s.applied_events_retention_days < 8) {
    return absl::InvalidArgumentError("applied-events-retention-days must be at least 8 (inputs are kept 7 days)");
  }
  if (!(s.min_lat < s.max_lat && s.min_lon < s.max_lon)) {
    return absl::InvalidArgumentError("city bounds are empty (min must be below max)");
  }
  return s;
}

}  // namespace cityops::dispatch
