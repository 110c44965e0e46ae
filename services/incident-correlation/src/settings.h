#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "cityops/common/config.h"
#include "cityops/common/service_settings.h"

namespace cityops::incidents {

inline constexpr std::string_view kServiceName = "incident-correlation";

// Everything incident-correlation reads from its environment and flags (see README).
struct CorrelationSettings {
  // The settings every service has (addresses, PostgreSQL, Kafka, logs, start-up).
  common::ServiceSettings service;
  // Empty: the rules built into the binary (config/rules.json).
  std::string rules_file;
  int apply_batch = 2000;
  std::chrono::milliseconds tick_interval{1000};
  // How long applied event ids are kept (longer than the input topics' retention).
  int applied_events_retention_days = 8;
};

absl::StatusOr<CorrelationSettings> LoadSettings(const common::Config& config);

}  // namespace cityops::incidents
