#pragma once

// Scripted scenarios: what goes wrong in the simulated city, and when, as a
// plain timeline the runner plays. For now one: cabinet-power-loss.

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "city.h"
#include "cityops/telemetry/v1/readings.pb.h"

namespace cityops::sim {

inline constexpr const char* kScenarioNone = "none";
inline constexpr const char* kScenarioCabinetPowerLoss = "cabinet-power-loss";

struct ScenarioStep {
  // Time since the simulation started streaming (wall clock, not sped up).
  std::chrono::milliseconds at{0};
  // The fault the device reports (cleared: its end).
  std::string asset_id;
  telemetry::v1::FaultType fault = telemetry::v1::FAULT_TYPE_UNSPECIFIED;
  bool cleared = false;
  std::string detail;
  // Assets (indices in the city) that stop reporting from this step on
  // (raised) or report again (cleared).
  std::vector<size_t> affected;
};

struct Scenario {
  std::string name = kScenarioNone;
  std::vector<ScenarioStep> steps;  // in time order
};

struct ScenarioParams {
  std::string name = kScenarioNone;
  std::chrono::milliseconds fault_after{std::chrono::seconds(30)};
  std::chrono::milliseconds fault_duration{std::chrono::minutes(3)};
  // The asset the fault hits; empty: one chosen from the city's seed.
  std::string target;
};

// INVALID_ARGUMENT for an unknown name, a target that is not of the right
// kind, or negative times.
absl::StatusOr<Scenario> MakeScenario(const City& city, const ScenarioParams& params);

// The names MakeScenario knows, for the usage message.
std::vector<std::string> ScenarioNames();

}  // namespace cityops::sim
