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
  // Crisis mode: the playbooks (empty: those built in, config/playbooks.json),
  // the districts (empty: Dijon's, built in), and the services crisis
  // actions act on.
  std::string playbooks_file;
  std::string districts_file;
  std::string lighting_address = "127.0.0.1:50054";
  std::string dispatch_address = "127.0.0.1:50053";
  // How often outstanding crisis actions are run (and retried).
  std::chrono::milliseconds crisis_action_interval{2000};
};

absl::StatusOr<CorrelationSettings> LoadSettings(const common::Config& config);

}  // namespace cityops::incidents
