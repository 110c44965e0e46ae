#pragma once

#include <chrono>
#include <string>

#include "absl/status/statusor.h"
#include "cityops/common/config.h"
#include "cityops/common/kafka.h"

namespace cityops::incidents {

// Everything incident-correlation reads from its environment and flags (see README).
struct CorrelationSettings {
  std::string grpc_address = "127.0.0.1:50052";
  std::string metrics_address = "127.0.0.1:9102";
  std::string pg_dsn;
  std::string pg_schema = "incident_correlation";
  int pg_pool_size = 4;
  common::KafkaSettings kafka;
  std::string topic_prefix;
  std::string consumer_group = "incident-correlation";
  // Empty: the rules built into the binary (config/rules.json).
  std::string rules_file;
  int apply_batch = 2000;
  std::chrono::milliseconds tick_interval{1000};
  // How long applied event ids are kept (longer than the input topics' retention).
  int applied_events_retention_days = 8;
  std::string log_level = "info";
};

absl::StatusOr<CorrelationSettings> LoadSettings(const common::Config& config);

}  // namespace cityops::incidents
