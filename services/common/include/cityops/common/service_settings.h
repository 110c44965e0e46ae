#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "cityops/common/config.h"
#include "cityops/common/kafka.h"

// The settings every service reads, under the same names, with the service's
// own defaults. A service's settings hold these plus its own.
namespace cityops::common {

// What differs from one service to another among the common settings.
struct ServiceDefaults {
  std::string name;             // "lighting-control": the Kafka client id and the logs' service
  std::string grpc_address;     // "127.0.0.1:50054"
  std::string metrics_address;  // "127.0.0.1:9104"
  std::string pg_schema;        // "lighting_control"
  int pg_pool_size = 0;         // 4
  std::string consumer_group;   // "lighting-control", taken after the topic prefix
};

// Each field is the setting named in its comment (CITYOPS_<NAME> or --<name>).
struct ServiceSettings {
  std::string name;                // the defaults' name (not a setting)
  std::string grpc_address;        // grpc-address
  std::string metrics_address;     // metrics-address
  std::string pg_dsn;              // pg-dsn (required)
  std::string pg_schema;           // pg-schema
  int pg_pool_size = 0;            // pg-pool-size, 2..64
  KafkaSettings kafka;             // kafka-bootstrap [127.0.0.1:19092]; the client id is the name
  std::string topic_prefix;        // topic-prefix [empty]
  std::string consumer_group;      // consumer-group [topic prefix + the defaults' consumer group]
  std::string log_level = "info";  // log-level
  // startup-timeout: how long PostgreSQL and Kafka may take to answer at start.
  std::chrono::milliseconds startup_timeout{std::chrono::seconds(30)};
  // ready-file: where the bound ports are written once ready (scripts, tests). Empty: nowhere.
  std::string ready_file;
};

// The common settings from `config`. NOT_FOUND naming the variable and the
// flag when pg-dsn is missing; INVALID_ARGUMENT naming the setting when one is
// malformed or pg-pool-size is outside 2..64.
absl::StatusOr<ServiceSettings> LoadServiceSettings(const Config& config, const ServiceDefaults& defaults);

// The setting `name` as where a new consumer group starts ("latest" or
// "earliest"); INVALID_ARGUMENT "<name> must be latest or earliest" otherwise.
absl::StatusOr<ConsumeFrom> GetConsumeFrom(const Config& config, std::string_view name, ConsumeFrom fallback);

}  // namespace cityops::common
