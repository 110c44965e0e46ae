#include "settings.h"

#include "absl/status/status.h"
#include "cityops/common/status.h"

namespace cityops::dispatch {

absl::StatusOr<DispatchSettings> LoadSettings(const common::Config& config) {
  DispatchSettings s;
  s.grpc_address = config.GetString("grpc-address", s.grpc_address);
  s.metrics_address = config.GetString("metrics-address", s.metrics_address);
  CITYOPS_ASSIGN_OR_RETURN(s.pg_dsn, config.GetRequired("pg-dsn"));
  s.pg_schema = config.GetString("pg-schema", s.pg_schema);
  CITYOPS_ASSIGN_OR_RETURN(s.pg_pool_size, config.GetInt("pg-pool-size", s.pg_pool_size));
  s.kafka.bootstrap = config.GetString("kafka-bootstrap", s.kafka.bootstrap);
  s.kafka.client_id = "crew-dispatch";
  s.topic_prefix = config.GetString("topic-prefix", "");
  s.consumer_group = config.GetString("consumer-group", s.topic_prefix + s.consumer_group);
  s.positions_group = config.GetString("positions-group", s.topic_prefix + s.positions_group);
  s.positions_from = config.GetString("positions-from", s.positions_from);
  s.rules_file = config.GetString("rules-file", "");
  CITYOPS_ASSIGN_OR_RETURN(s.min_lat, config.GetDouble("city-min-lat", s.min_lat));
  CITYOPS_ASSIGN_OR_RETURN(s.max_lat, config.GetDouble("city-max-lat", s.max_lat));
  CITYOPS_ASSIGN_OR_RETURN(s.min_lon, config.GetDouble("city-min-lon", s.min_lon));
  CITYOPS_ASSIGN_OR_RETURN(s.max_lon, config.GetDouble("city-max-lon", s.max_lon));
  CITYOPS_ASSIGN_OR_RETURN(s.apply_batch, config.GetInt("apply-batch", s.apply_batch));
  CITYOPS_ASSIGN_OR_RETURN(s.tick_interval, config.GetDuration("tick-interval", s.tick_interval));
  CITYOPS_ASSIGN_OR_RETURN(s.applied_events_retention_days,
                           config.GetInt("applied-events-retention-days", s.applied_events_retention_days));
  s.log_level = config.GetString("log-level", s.log_level);
  if (s.pg_pool_size < 2 || s.pg_pool_size > 64) return absl::InvalidArgumentError("pg-pool-size must be within 2..64");
  if (s.apply_batch < 1) return absl::InvalidArgumentError("apply-batch must be positive");
  if (s.tick_interval < std::chrono::milliseconds(10)) {
    return absl::InvalidArgumentError("tick-interval must be at least 10ms");
  }
  if (s.applied_events_retention_days < 8) {
    return absl::InvalidArgumentError("applied-events-retention-days must be at least 8 (inputs are kept 7 days)");
  }
  if (s.positions_from != "latest" && s.positions_from != "earliest") {
    return absl::InvalidArgumentError("positions-from must be latest or earliest");
  }
  if (!(s.min_lat < s.max_lat && s.min_lon < s.max_lon)) {
    return absl::InvalidArgumentError("city bounds are empty (min must be below max)");
  }
  return s;
}

}  // namespace cityops::dispatch
