#pragma once

// Scenarios: what goes wrong in the simulated city, and when. A scenario is
// data (a JSON file under services/city-sim/scenarios/, read by
// scenario_file.h into a ScenarioSpec); MakeScenario resolves it against a
// generated city into a Scenario: the faults each device reports (raised and
// cleared), the readings it overrides with a ramp, and the residents' calls,
// timed in real time (the file's simulated times divided by --speed). Pure.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "city.h"
#include "cityops/calls/v1/resident_calls.pb.h"
#include "cityops/telemetry/v1/readings.pb.h"

namespace cityops::sim {

inline constexpr const char* kScenarioNone = "none";
inline constexpr const char* kScenarioCabinetPowerLoss = "cabinet-power-loss";

// A completed work order repairs an open scenario fault within this distance
// of its location when its incident names no asset of the scenario.
inline constexpr double kRepairRadiusM = 200;

// ------------------------------------------------------------------ the file

enum class PickRule { kSeed, kNearest, kAll };

// Which assets a step acts on.
struct TargetSpec {
  std::string name;
  telemetry::v1::AssetKind kind = telemetry::v1::ASSET_KIND_UNSPECIFIED;
  // Attribute filter: the asset's attribute must be one of the values.
  std::map<std::string, std::vector<std::string>> where;
  // Crew vehicles only: their crew has this skill (crews.h's PlanCrews).
  std::string crew_skill;
  // At least this many children (a cabinet's light points, a site's cameras).
  int min_children = 0;
  PickRule pick = PickRule::kSeed;
  // kNearest: nearest to this other target's first asset, or to (lat, lon).
  std::string near_target;
  std::optional<double> near_lat, near_lon;
  // How many (kAll: every matching asset).
  int count = 1;
  // Order of the picked assets: by this numeric attribute ("river_km") or
  // "district", ascending; empty: as picked.
  std::string order_by;
  // --fault-asset replaces this target when given.
  bool fault_asset = false;
  int line = 0;
};

enum class StepAction { kFault, kCall, kRamp };

struct FaultSpec {
  telemetry::v1::FaultType type = telemetry::v1::FAULT_TYPE_UNSPECIFIED;
  // The target's children report this fault as well (UNSPECIFIED: they do not),
  // through whoever `children_via` names ("the cabinet's segment controller").
  telemetry::v1::FaultType children_type = telemetry::v1::FAULT_TYPE_UNSPECIFIED;
  std::string children_via;
  // The children report this long after the target (simulated time), and at
  // least `children_min_wall_gap` of real time after it: the target's own
  // fault reaches incident correlation first, so that the children join its
  // incident rather than open their own.
  std::chrono::milliseconds children_after{0};
  std::chrono::milliseconds children_min_wall_gap{0};
  // The target and its children stop sending readings while it lasts.
  bool silence = false;
  // Lasts until a crew repairs it, `duration` at most; otherwise exactly `duration`.
  bool until_repaired = false;
  std::chrono::milliseconds duration{0};
  std::string detail;
};

struct CallSpec {
  std::string category;
  // 0: one per target asset.
  int count = 0;
  std::chrono::milliseconds every{0};
  // Distance from the target asset (each call near the next asset of the target, in turn).
  double min_m = 0;
  double max_m = 0;
  // Each call where its target asset is still the nearest of its kind (by a
  // margin; the farthest such point drawn, nearer when none is): a job
  // placed so that dispatch's nearest crew is the target's.
  bool keep_nearest = false;
  std::vector<std::string> descriptions;
  std::vector<calls::v1::RequestChannel> channels;
};

struct RampSpec {
  std::string metric;
  double from = 0;
  double to = 0;
  std::chrono::milliseconds over{0};       // from -> to
  std::chrono::milliseconds hold{0};       // stays at `to`
  std::chrono::milliseconds back_over{0};  // to -> from, then the normal model again
  // The targets start one after another over this spread (by order_by's
  // value when numeric, else evenly in order).
  std::chrono::milliseconds stagger{0};
  // The device reports `fault` when its value crosses `mark` (above when
  // `above`, else below), cleared when it comes back.
  std::optional<double> mark;
  bool above = true;
  telemetry::v1::FaultType fault = telemetry::v1::FAULT_TYPE_UNSPECIFIED;
  std::string detail;
};

struct StepSpec {
  std::chrono::milliseconds at{0};  // simulated time since the start
  // At least this much real time after the previous step, or after the start
  // for the first (the platform's own delays are not sped up).
  std::chrono::milliseconds min_wall_gap{0};
  StepAction action = StepAction::kFault;
  std::string target;
  std::string say;  // printed when the step starts
  FaultSpec fault;
  CallSpec call;
  RampSpec ramp;
  int line = 0;
};

struct DailyCallsSpec {
  double per_day = 0;
  std::vector<double> hourly_profile;  // 24 weights, or empty
};

struct ScenarioSpec {
  std::string name = kScenarioNone;
  std::string description;
  std::string source;                     // the file, for errors
  std::chrono::milliseconds duration{0};  // simulated; 0: no end
  std::vector<TargetSpec> targets;
  std::vector<StepSpec> steps;
  std::optional<DailyCallsSpec> daily_calls;
  // The readings are sped up by at most this much, whatever --speed (a day
  // of calls at --speed 500 need not stream 500 times the telemetry).
  std::optional<double> readings_speed_max;
};

// --------------------------------------------------------------- the plan

// A device reports a fault raised or cleared (a scenario's timeline). Real
// time since the simulation started streaming.
struct ScenarioStep {
  std::chrono::milliseconds at{0};
  std::string asset_id;
  telemetry::v1::FaultType fault = telemetry::v1::FAULT_TYPE_UNSPECIFIED;
  bool cleared = false;
  std::string detail;
  // Assets (indices in the city) that stop reporting from this step on
  // (raised) or report again (cleared).
  std::vector<size_t> affected;
  // Children that report `children_fault` with it (raised or cleared).
  std::vector<size_t> reporting_children;
  telemetry::v1::FaultType children_fault = telemetry::v1::FAULT_TYPE_UNSPECIFIED;
  std::string children_detail;
  // This step only makes the children of its fault report it (raised), a
  // little after the fault itself; applied only while the fault is open.
  bool children_only = false;
  // Pairs a raise with its clear.
  size_t fault_id = 0;
  bool until_repaired = false;
};

// A reading overridden over time, and the fault it reports past its mark.
struct PlannedRamp {
  size_t asset = 0;
  std::string metric;
  double from = 0;
  double to = 0;
  std::chrono::milliseconds start{0}, up_end{0}, hold_end{0}, end{0};  // real time
  std::optional<double> mark;
  bool above = true;
  telemetry::v1::FaultType fault = telemetry::v1::FAULT_TYPE_UNSPECIFIED;
  std::string detail;

  // The value at `elapsed`, or nullopt outside [start, end) (the normal model).
  std::optional<double> ValueAt(std::chrono::milliseconds elapsed) const;
  // Whether `value` is past the mark.
  bool Past(double value) const;
};

// A resident call the scenario makes (call_line.h's ScenarioCalls gives it
// an address and a caller).
struct ScenarioCall {
  std::chrono::milliseconds at{0};  // real time
  std::string category;
  std::string description;  // empty: one of the category's usual ones
  calls::v1::RequestChannel channel = calls::v1::REQUEST_CHANNEL_PHONE;
  double lat = 0;
  double lon = 0;
  int district = 0;
  std::string about;  // the asset it is near
};

struct ScenarioNote {
  std::chrono::milliseconds at{0};
  std::string text;
};

struct Scenario {
  std::string name = kScenarioNone;
  std::string description;
  // When it is over (real time; the simulation also waits for the faults
  // that last until repaired); 0: never.
  std::chrono::milliseconds end{0};
  std::vector<ScenarioStep> steps;  // in time order
  // By fault id: the index in `steps` of its raise.
  std::vector<size_t> raise_step;
  std::vector<PlannedRamp> ramps;
  std::vector<ScenarioCall> calls;  // in time order
  std::vector<ScenarioNote> notes;  // in time order: one line each as it happens
  std::optional<DailyCallsSpec> daily_calls;
  // The speed-up of the readings: min(--speed, the file's
  // readings_speed_max); 0: --speed.
  double readings_speed = 0;
  // The assets each step's target resolved to, by target name (for tests and lines).
  std::map<std::string, std::vector<size_t>> resolved;
};

struct PlanParams {
  double speed = 1;
  uint64_t seed = 1;
  // Replaces the targets marked fault_asset when not empty.
  std::string fault_asset;
};

// INVALID_ARGUMENT naming the file, the line and the field when a target
// cannot be resolved against `city` (no asset of the kind or attributes, a
// --fault-asset of the wrong kind...).
absl::StatusOr<Scenario> MakeScenario(const City& city, const ScenarioSpec& spec, const PlanParams& params);

// The raise of the open fault that a completed work order repaired: the one
// whose asset (or one of the assets it silenced or made report) is
// `incident_asset`, else the nearest within kRepairRadiusM of (lat, lon).
// `open` holds the fault ids still open; nullopt when none matches.
std::optional<size_t> FindRepaired(const City& city, const Scenario& scenario, const std::set<size_t>& open,
                                   const std::string& incident_asset, std::optional<std::pair<double, double>> where);

}  // namespace cityops::sim
