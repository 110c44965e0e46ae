#pragma once

#include <chrono>
#include <string>

#include "absl/status/statusor.h"
#include "cityops/common/config.h"
#include "cityops/common/kafka.h"

namespace cityops::lighting {

// Everything lighting-control reads from its environment and flags (see README).
struct LightingSettings {
  std::string grpc_address = "127.0.0.1:50054";
  std::string metrics_address = "127.0.0.1:9104";
  std::string pg_dsn;
  std::string pg_schema = "lighting_control";
  int pg_pool_size = 4;
  common::KafkaSettings kafka;
  std::string topic_prefix;
  // The asset registry topic, read from its start (compacted).
  std::string consumer_group = "lighting-control";
  // The readings topic (the light points' level and power), in a group of its
  // own; a new group starts from the latest readings (or "earliest").
  std::string readings_group = "lighting-control-readings";
  std::string readings_from = "latest";
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
  std::string log_level = "info";
};

absl::StatusOr<LightingSettings> LoadSettings(const common::Config& config);

}  // namespace cityops::lighting
