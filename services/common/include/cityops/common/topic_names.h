#pragma once

#include <string>
#include <string_view>

// Logical names of the Kafka topics, as declared in deploy/topics.json (a unit
// test checks that each is declared there). The topic on the broker is
// prefix + name; the prefix is empty in production and random in tests.
namespace cityops::topics {

inline constexpr std::string_view kTelemetryAssets = "cityops.telemetry.assets.v1";
inline constexpr std::string_view kTelemetryReadings = "cityops.telemetry.readings.v1";
inline constexpr std::string_view kTelemetryFaults = "cityops.telemetry.faults.v1";
inline constexpr std::string_view kCallsRequests = "cityops.calls.requests.v1";
inline constexpr std::string_view kIncidents = "cityops.incidents.v1";
inline constexpr std::string_view kCrises = "cityops.crises.v1";
inline constexpr std::string_view kDispatchAssignments = "cityops.dispatch.assignments.v1";
inline constexpr std::string_view kDispatchCrews = "cityops.dispatch.crews.v1";
inline constexpr std::string_view kLightingCommands = "cityops.lighting.commands.v1";

inline std::string Full(std::string_view prefix, std::string_view name) {
  std::string out(prefix);
  out.append(name);
  return out;
}

}  // namespace cityops::topics
