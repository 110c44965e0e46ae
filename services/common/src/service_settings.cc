#include "cityops/common/service_settings.h"

#include <cstdint>

#include "absl/status/status.h"
#include "cityops/common/status.h"

namespace cityops::common {

absl::StatusOr<ServiceSettings> LoadServiceSettings(const Config& config, const ServiceDefaults& defaults) {
  ServiceSettings s;
  s.name = defaults.name;
  s.grpc_address = config.GetString("grpc-address", defaults.grpc_address);
  s.metrics_address = config.GetString("metrics-address", defaults.metrics_address);
  CITYOPS_ASSIGN_OR_RETURN(s.pg_dsn, config.GetRequired("pg-dsn"));
  s.pg_schema = config.GetString("pg-schema", defaults.pg_schema);
  int64_t pool_size = 0;
  CITYOPS_ASSIGN_OR_RETURN(pool_size, config.GetInt("pg-pool-size", defaults.pg_pool_size));
  s.kafka.bootstrap = config.GetString("kafka-bootstrap", s.kafka.bootstrap);
  s.kafka.client_id = defaults.name;
  s.topic_prefix = config.GetString("topic-prefix", "");
  s.consumer_group = config.GetString("consumer-group", s.topic_prefix + defaults.consumer_group);
  s.log_level = config.GetString("log-level", s.log_level);
  CITYOPS_ASSIGN_OR_RETURN(s.startup_timeout, config.GetDuration("startup-timeout", s.startup_timeout));
  s.ready_file = config.GetString("ready-file", "");

  // Checked before narrowing, so that a huge number is not taken for a small one.
  if (pool_size < 2 || pool_size > 64) return absl::InvalidArgumentError("pg-pool-size must be within 2..64");
  s.pg_pool_size = static_cast<int>(pool_size);
  return s;
}

absl::StatusOr<ConsumeFrom> GetConsumeFrom(const Config& config, std::string_view name, ConsumeFrom fallback) {
  if (!config.Has(name)) return fallback;
  const std::string value = config.GetString(name, "");
  if (value == "latest") return ConsumeFrom::kLatest;
  if (value == "earliest") return ConsumeFrom::kEarliest;
  return absl::InvalidArgumentError(std::string(name) + " must be latest or earliest");
}

}  // namespace cityops::common
