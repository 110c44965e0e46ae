#include "settings.h"

#include "absl/status/status.h"
#include "cityops/common/status.h"

namespace cityops::telemetry {

absl::StatusOr<IngestSettings> LoadSettings(const common::Config& config) {
  IngestSettings s;
  s.grpc_address = config.GetString("grpc-address", s.grpc_address);
  s.metrics_address = config.GetString("metrics-address", s.metrics_address);
  CITYOPS_ASSIGN_OR_RETURN(s.pg_dsn, config.GetRequired("pg-dsn"));
  s.pg_schema = config.GetString("pg-schema", s.pg_schema);
  CITYOPS_ASSIGN_OR_RETURN(s.pg_pool_size, config.GetInt("pg-pool-size", s.pg_pool_size));
  s.kafka.bootstrap = config.GetString("kafka-bootstrap", s.kafka.bootstrap);
  s.kafka.client_id = "telemetry-ingest";
  s.topic_prefix = config.GetString("topic-prefix", "");
  s.consumer_group = config.GetString("consumer-group", s.topic_prefix + s.consumer_group);
  s.normal_ranges_file = config.GetString("normal-ranges-file", "");
  CITYOPS_ASSIGN_OR_RETURN(s.bounds.min_lat, config.GetDouble("city-min-lat", s.bounds.min_lat));
  CITYOPS_ASSIGN_OR_RETURN(s.bounds.max_lat, config.GetDouble("city-max-lat", s.bounds.max_lat));
  CITYOPS_ASSIGN_OR_RETURN(s.bounds.min_lon, config.GetDouble("city-min-lon", s.bounds.min_lon));
  CITYOPS_ASSIGN_OR_RETURN(s.bounds.max_lon, config.GetDouble("city-max-lon", s.bounds.max_lon));
  int64_t districts = 0;
  CITYOPS_ASSIGN_OR_RETURN(districts, config.GetInt("city-districts", s.bounds.districts));
  s.bounds.districts = static_cast<int>(districts);
  CITYOPS_ASSIGN_OR_RETURN(s.delivery_timeout, config.GetDuration("delivery-timeout", s.delivery_timeout));
  CITYOPS_ASSIGN_OR_RETURN(s.max_inflight_batches, config.GetInt("max-inflight-batches", s.max_inflight_batches));
  CITYOPS_ASSIGN_OR_RETURN(s.apply_batch, config.GetInt("apply-batch", s.apply_batch));
  CITYOPS_ASSIGN_OR_RETURN(s.silence_scan_interval,
                           config.GetDuration("silence-scan-interval", s.silence_scan_interval));
  CITYOPS_ASSIGN_OR_RETURN(s.history_retention_days, config.GetInt("history-retention-days", s.history_retention_days));
  s.log_level = config.GetString("log-level", s.log_level);

  if (s.pg_pool_size < 2 || s.pg_pool_size > 64) {
    return absl::InvalidArgumentError("pg-pool-size must be within 2..64");
  }
  if (s.max_inflight_batches < 1 || s.apply_batch < 1) {
    return absl::InvalidArgumentError("max-inflight-batches and apply-batch must be positive");
  }
  // Readings up to 7 days old are accepted and partitions are kept 8 days back.
  if (s.history_retention_days < 8) {
    return absl::InvalidArgumentError(
        "history-retention-days must be at least 8 (readings up to 7 days old are accepted)");
  }
  if (!(s.bounds.min_lat < s.bounds.max_lat && s.bounds.min_lon < s.bounds.max_lon)) {
    return absl::InvalidArgumentError("city bounds are empty (min must be below max)");
  }
  return s;
}

}  // namespace cityops::telemetry
