#include "settings.h"

#include "absl/status/status.h"
#include "cityops/common/status.h"

namespace cityops::lighting {

absl::StatusOr<LightingSettings> LoadSettings(const common::Config& config) {
  LightingSettings s;
  s.grpc_address = config.GetString("grpc-address", s.grpc_address);
  s.metrics_address = config.GetString("metrics-address", s.metrics_address);
  CITYOPS_ASSIGN_OR_RETURN(s.pg_dsn, config.GetRequired("pg-dsn"));
  s.pg_schema = config.GetString("pg-schema", s.pg_schema);
  CITYOPS_ASSIGN_OR_RETURN(s.pg_pool_size, config.GetInt("pg-pool-size", s.pg_pool_size));
  s.kafka.bootstrap = config.GetString("kafka-bootstrap", s.kafka.bootstrap);
  s.kafka.client_id = "lighting-control";
  s.topic_prefix = config.GetString("topic-prefix", "");
  s.consumer_group = config.GetString("consumer-group", s.topic_prefix + s.consumer_group);
  s.readings_group = config.GetString("readings-group", s.topic_prefix + s.readings_group);
  s.readings_from = config.GetString("readings-from", s.readings_from);
  s.ingest_address = config.GetString("ingest-address", s.ingest_address);
  s.config_file = config.GetString("config-file", "");
  CITYOPS_ASSIGN_OR_RETURN(s.tick_interval, config.GetDuration("tick-interval", s.tick_interval));
  CITYOPS_ASSIGN_OR_RETURN(s.rebuild_quiet, config.GetDuration("rebuild-quiet", s.rebuild_quiet));
  CITYOPS_ASSIGN_OR_RETURN(s.apply_batch, config.GetInt("apply-batch", s.apply_batch));
  s.log_level = config.GetString("log-level", s.log_level);
  if (s.pg_pool_size < 2 || s.pg_pool_size > 64) return absl::InvalidArgumentError("pg-pool-size must be within 2..64");
  if (s.apply_batch < 1) return absl::InvalidArgumentError("apply-batch must be positive");
  if (s.tick_interval < std::chrono::milliseconds(10)) {
    return absl::InvalidArgumentError("tick-interval must be at least 10ms");
  }
  if (s.readings_from != "latest" && s.readings_from != "earliest") {
    return absl::InvalidArgumentError("readings-from must be latest or earliest");
  }
  return s;
}

}  // namespace cityops::lighting
