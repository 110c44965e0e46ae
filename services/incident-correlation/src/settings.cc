#include "settings.h"

#include "absl/status/status.h"
#include "cityops/common/status.h"

namespace cityops::incidents {

absl::StatusOr<CorrelationSettings> LoadSettings(const common::Config& config) {
  CorrelationSettings s;
  const common::ServiceDefaults defaults{.name = std::string(kServiceName),
                                         .grpc_address = "127.0.0.1:50052",
                                         .metrics_address = "127.0.0.1:9102",
                                         .pg_schema = "incident_correlation",
                                         .pg_pool_size = 4,
                                         .consumer_group = "incident-correlation"};
  CITYOPS_ASSIGN_OR_RETURN(s.service, common::LoadServiceSettings(config, defaults));
  s.rules_file = config.GetString("rules-file", "");
  CITYOPS_ASSIGN_OR_RETURN(s.apply_batch, config.GetInt("apply-batch", s.apply_batch));
  CITYOPS_ASSIGN_OR_RETURN(s.tick_interval, config.GetDuration("tick-interval", s.tick_interval));
  CITYOPS_ASSIGN_OR_RETURN(s.applied_events_retention_days,
                           config.GetInt("applied-events-retention-days", s.applied_events_retention_days));
  s.playbooks_file = config.GetString("playbooks-file", "");
  s.districts_file = config.GetString("districts-file", "");
  s.lighting_address = config.GetString("lighting-address", s.lighting_address);
  s.dispatch_address = config.GetString("dispatch-address", s.dispatch_address);
  CITYOPS_ASSIGN_OR_RETURN(s.crisis_action_interval,
                           config.GetDuration("crisis-action-interval", s.crisis_action_interval));

  if (s.crisis_action_interval < std::chrono::milliseconds(100)) {
    return absl::InvalidArgumentError("crisis-action-interval must be at least 100ms");
  }
  if (s.apply_batch < 1) return absl::InvalidArgumentError("apply-batch must be positive");
  if (s.tick_interval < std::chrono::milliseconds(10)) {
    return absl::InvalidArgumentError("tick-interval must be at least 10ms");
  }
  // The fault topic keeps 7 days: an id must be remembered at least that long.
  if (s.applied_events_retention_days < 8) {
    return absl::InvalidArgumentError("applied-events-retention-days must be at least 8 (inputs are kept 7 days)");
  }
  return s;
}

}  // namespace cityops::incidents
