#pragma once

#include <array>
#include <chrono>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "cityops/common/local_time.h"
#include "domain/model.h"

namespace cityops::dispatch {

// Dispatch's thresholds, from a JSON file (the defaults ship in
// config/dispatch.json and are built into the binary).
struct DispatchRules {
  double road_factor = 1.4;
  double speed_kmh = 30;
  // Arrival targets, by priority (index: Priority value - 1).
  std::array<std::chrono::seconds, 4> arrival_targets{std::chrono::hours(24), std::chrono::hours(4),
                                                      std::chrono::hours(1), std::chrono::minutes(15)};
  // Orders of at least this priority may take a crew from orders of at most `preempt_from_at_most`.
  Priority preempt_by = Priority::kCritical;
  Priority preempt_from_at_most = Priority::kLow;
  bool preempt_on_site = false;
  // An assignment not accepted within this time goes to the next crew.
  std::chrono::seconds accept_timeout{120};
  // The city's local time, for crews' shifts.
  common::LocalTimeRule local_time;

  std::chrono::seconds TargetFor(Priority p) const { return arrival_targets[static_cast<size_t>(p) - 1]; }

  static absl::StatusOr<DispatchRules> FromJson(std::string_view json);
  static absl::StatusOr<DispatchRules> LoadFile(const std::string& path);
};

std::string_view DefaultDispatchRulesJson();
std::string PriorityName(Priority p);

}  // namespace cityops::dispatch
