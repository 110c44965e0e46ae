#pragma once

#include <chrono>
#include <string>

#include "absl/status/statusor.h"
#include "cityops/common/config.h"
#include "cityops/common/kafka.h"

namespace cityops::dispatch {

// Everything crew-dispatch reads from its environment and flags (see README).
struct DispatchSettings {
  std::string grpc_address = "127.0.0.1:50053";
  std::string metrics_address = "127.0.0.1:9103";
  std::string pg_dsn;
  std::string pg_schema = "crew_dispatch";
  int pg_pool_size = 4;
  common::KafkaSettings kafka;
  std::string topic_prefix;
  std::string consumer_group = "crew-dispatch";
  // The vehicles' positions come from the readings topic, in a group of their
  // own; a new group starts from the latest readings (or "earliest").
  std::string positions_group = "crew-dispatch-positions";
  std::string positions_from = "latest";
  // Empty: the thresholds built into the binary (config/dispatch.json).
  std::string rules_file;
  // Positions outside are refused.
  double min_lat = 47.20, max_lat = 47.45, min_lon = 4.85, max_lon = 5.25;
  int apply_batch = 1000;
  std::chrono::milliseconds tick_interval{1000};
  int applied_events_retention_days = 8;
  std::string log_level = "info";
};

absl::StatusOr<DispatchSettings> LoadSettings(const common::Config& config);

}  // namespace cityops::dispatch
