#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "cityops/common/config.h"
#include "cityops/common/service_settings.h"
#include "domain/validation.h"

namespace cityops::telemetry {

inline constexpr std::string_view kServiceName = "telemetry-ingest";

// Everything telemetry-ingest reads from its environment and flags (see README).
struct IngestSettings {
  // The settings every service has (addresses, PostgreSQL, Kafka, logs, start-up).
  common::ServiceSettings service;
  // Empty: the normal ranges built into the binary (config/normal_ranges.json).
  std::string normal_ranges_file;
  CityBounds bounds;
  ValidationLimits limits;
  std::chrono::milliseconds delivery_timeout{30000};
  int max_inflight_batches = 8;
  int apply_batch = 5000;
  std::chrono::milliseconds silence_scan_interval{5000};
  int history_retention_days = 30;
};

absl::StatusOr<IngestSettings> LoadSettings(const common::Config& config);

// The normal ranges shipped with the service (config/normal_ranges.json, built in).
std::string_view DefaultNormalRangesJson();

}  // namespace cityops::telemetry
