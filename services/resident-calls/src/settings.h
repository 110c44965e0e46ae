#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "cityops/common/config.h"
#include "cityops/common/service_settings.h"

namespace cityops::calls {

inline constexpr std::string_view kServiceName = "resident-calls";

// Everything resident-calls reads from its environment and flags (see README).
struct CallsSettings {
  // The settings every service has (addresses, PostgreSQL, Kafka, logs, start-up).
  // The incidents topic is read in its consumer group.
  common::ServiceSettings service;
  // Open311 GeoReport v2 under /open311/v2/ (until the gateway serves it).
  // Empty: no HTTP side.
  std::string http_address = "127.0.0.1:8311";
  // Empty: the defaults built into the binary (config/calls.json).
  std::string config_file;
  // Empty: the districts built into the binary.
  std::string districts_file;
  // Replaces the configuration's retention of personal data (tests; a town's own rule).
  std::optional<std::chrono::milliseconds> retention;
  // How often the retention sweep runs.
  std::chrono::milliseconds purge_interval{std::chrono::hours(1)};
  // Open311 clients allowed to POST, from CITYOPS_OPEN311_API_KEYS
  // ("client:key,client2:key2"), key -> client. Secrets: environment only.
  std::map<std::string, std::string> open311_keys;
  std::string jurisdiction_id = "dijon";
};

absl::StatusOr<CallsSettings> LoadSettings(const common::Config& config);

}  // namespace cityops::calls
