#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "cityops/common/config.h"
#include "cityops/common/service_settings.h"

namespace cityops::dispatch {

inline constexpr std::string_view kServiceName = "crew-dispatch";

// Everything crew-dispatch reads from its environment and flags (see README).
struct DispatchSettings {
  // The settings every service has (addresses, PostgreSQL, Kafka, logs, start-up).
  // Incident events are read in its consumer group.
  common::ServiceSettings service;
  // The vehicles' positions come from the readings topic, in a group of their
  // own; a new group starts from the latest readings (or "earliest").
  std::string positions_group = "crew-dispatch-positions";
  common::ConsumeFrom positions_from = common::ConsumeFrom::kLatest;
  // Empty: the thresholds built into the binary (config/dispatch.json).
  std::string rules_file;
  // Positions outside are refused.
  double min_lat = 47.20, max_lat = 47.45, min_lon = 4.85, max_lon = 5.25;
  int apply_batch = 1000;
  std::chrono::milliseconds tick_interval{1000};
  int applied_events_retention_days = 8;
};

absl::StatusOr<DispatchSettings> LoadSettings(const common::Config& config);

}  // namespace cityops::dispatch
