#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "cityops/common/config.h"
#include "cityops/common/kafka.h"

namespace cityops::calls {

// Everything resident-calls reads from its environment and flags (see README).
struct CallsSettings {
  std::string grpc_address = "127.0.0.1:50055";
  std::string metrics_address = "127.0.0.1:9105";
  // Open311 GeoReport v2 under /open311/v2/ (until the gateway serves it).
  // Empty: no HTTP side.
  std::string http_address = "127.0.0.1:8311";
  std::string pg_dsn;
  std::string pg_schema = "resident_calls";
  int pg_pool_size = 6;
  common::KafkaSettings kafka;
  std::string topic_prefix;
  // The incidents topic, in this group.
  std::string consumer_group = "resident-calls";
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
  std::string log_level = "info";
};

absl::StatusOr<CallsSettings> LoadSettings(const common::Config& config);

// "client:key,client2:key2" -> key -> client; INVALID_ARGUMENT for an entry
// without both parts, or a key given twice.
absl::StatusOr<std::map<std::string, std::string>> ParseApiKeys(std::string_view text);

}  // namespace cityops::calls
