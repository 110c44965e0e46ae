#pragma once

#include <chrono>
#include <string>

#include "absl/status/statusor.h"
#include "cityops/common/config.h"
#include "cityops/common/kafka.h"
#include "domain/validation.h"

namespace cityops::telemetry {

// Everything telemetry-ingest reads from its environment and flags (see README).
struct IngestSettings {
  std::string grpc_address = "127.0.0.1:50051";
  std::string metrics_address = "127.0.0.1:9101";
  std::string pg_dsn;
  std::string pg_schema = "telemetry_ingest";
  int pg_pool_size = 6;
  common::KafkaSettings kafka;
  std::string topic_prefix;
  std::string consumer_group = "telemetry-ingest";
  // Empty: the normal ranges built into the binary (config/normal_ranges.json).
  std::string normal_ranges_file;
  CityBounds bounds;
  ValidationLimits limits;
  std::chrono::milliseconds delivery_timeout{30000};
  int max_inflight_batches = 8;
  int apply_batch = 5000;
  std::chrono::milliseconds silence_scan_interval{5000};
  int history_retention_days = 30;
  std::string log_level = "info";
};

absl::StatusOr<IngestSettings> LoadSettings(const common::Config& config);

// The normal ranges shipped with the service (config/normal_ranges.json, built in).
std::string_view DefaultNormalRangesJson();

}  // namespace cityops::telemetry
