#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "cityops/common/config.h"
#include "cityops/common/service_settings.h"

namespace cityops::lighting {

inline constexpr std::string_view kServiceName = "lighting-control";

// Everything lighting-control reads from its environment and flags (see README).
struct LightingSettings {
  // The settings every service has (addresses, PostgreSQL, Kafka, logs, start-up).
  // The asset registry topic is read from its start (compacted) in its consumer group.
  common::ServiceSettings service;
  // The readings topic (the light points' level and power), in a group of its
  // own; a new group starts from the latest readings (or "earliest").
  std::string readings_group = "lighting-control-readings";
  common::ConsumeFrom readings_from = common::ConsumeFrom::kLatest;
  // Telemetry ingest, where "command not applied" faults are reported. Empty:
  // they are only counted and logged.
  std::string ingest_address = "127.0.0.1:50051";
  // Empty: the defaults built into the binary (config/lighting.json).
  std::string config_file;
  std::chrono::milliseconds tick_interval{1000};
  // Asset changes are taken in once no more came for this long (a burst of
  // registrations rebuilds the city once).
  std::chrono::milliseconds rebuild_quiet{2000};
  int apply_batch = 5000;
};

absl::StatusOr<LightingSettings> LoadSettings(const common::Config& config);

}  // namespace cityops::lighting
