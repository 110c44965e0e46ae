#pragma once

#include <chrono>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "cityops/common/districts.h"
#include "cityops/dispatch/v1/dispatch.pb.h"
#include "cityops/incidents/v1/crisis.pb.h"
#include "cityops/incidents/v1/incidents.pb.h"
#include "cityops/telemetry/v1/readings.pb.h"

// Crisis mode's pure part: the playbooks (a JSON file shipped in
// config/playbooks.json and built into the binary), what their triggers read
// in the open incidents, the actions a crisis takes over a set of districts,
// and the choice of crews to stage. No broker, no database.
namespace cityops::incidents::crisis {

namespace tv1 = cityops::telemetry::v1;
namespace dv1 = cityops::dispatch::v1;

// Proposes a crisis when the open incidents of these fault types are in at
// least min_districts districts and number at least min_incidents in all.
struct Trigger {
  std::set<tv1::FaultType> fault_types;
  int min_districts = 1;
  int min_incidents = 1;
};

// During the crisis, incidents of the affected districts with one of these
// fault types, or opened by a resident call of one of these categories, have
// at least this priority.
struct PriorityRaise {
  std::set<tv1::FaultType> fault_types;
  std::set<std::string> call_categories;
  v1::Priority at_least = v1::PRIORITY_HIGH;
};

// A crisis lighting override on each affected district's roads of a class.
struct LightingAction {
  std::string road_class = "main";
  int level = 100;  // 0..100
};

struct CrewAction {
  enum class Mode { kPreposition, kStandby };
  Mode mode = Mode::kPreposition;
  std::string skill;
  // Preposition: crews sent to each affected district's staging point.
  int per_district = 1;
  // Standby: off-duty crews with the skill called in, city-wide (at most).
  int max_crews = 1;
};

struct Playbook {
  std::string id;  // "snow", "flood": [a-z0-9_-]{1,32}
  std::string name;
  std::string description;
  Trigger trigger;
  std::vector<PriorityRaise> raises;
  std::optional<LightingAction> lighting;
  std::vector<CrewAction> crews;
  // The crisis incident's priority.
  v1::Priority incident_priority = v1::PRIORITY_HIGH;
  // Lighting overrides expire after this (renewed by nothing: the crisis's
  // end cancels them before, normally).
  std::chrono::hours override_expiry{72};

  // In words, for the console and ListPlaybooks.
  std::string TriggerText() const;
  std::vector<std::string> ActionTexts() const;
  v1::Playbook ToProto() const;
};

struct Playbooks {
  std::vector<Playbook> list;

  const Playbook* Find(std::string_view id) const;

  // Every mistake is refused, naming the line at fault and the field:
  // "playbooks.json:14: playbooks[1].actions[0].kind: unknown action \"flash\"".
  // `file_name` is the name used in messages.
  static absl::StatusOr<Playbooks> FromJson(std::string_view json, std::string_view file_name);
  static absl::StatusOr<Playbooks> LoadFile(const std::string& path);
};

// The playbooks shipped with the service (config/playbooks.json, built in).
std::string_view DefaultPlaybooksJson();

// An open (or acknowledged) incident, as triggers see it.
struct OpenIncident {
  std::string id;
  int district = 0;
  tv1::FaultType fault_type = tv1::FAULT_TYPE_UNSPECIFIED;
  std::string asset_id;
};

struct Proposal {
  std::string playbook;
  std::vector<int> districts;  // ascending, each with at least one matching incident
  // "ICE_ON_ROAD on 8 roads in 5 districts (3, 5, 9, 12, 20)".
  std::string reason;
};

// For each playbook whose trigger holds, the proposal.
std::vector<Proposal> EvaluateTriggers(const Playbooks& playbooks, const std::vector<OpenIncident>& open);

// One action a crisis takes, before it is applied.
struct PlannedAction {
  // Stable: the same playbook and district give the same id
  // ("priority", "lighting:d3", "preposition:roads:d3:1", "standby:roads:2").
  std::string id;
  v1::CrisisActionKind kind = v1::CRISIS_ACTION_KIND_UNSPECIFIED;
  int district = 0;  // 0: city-wide
  std::string description;
  int level = 0;           // lighting: the level; raise priority: the Priority number
  std::string skill;       // crews
  std::string road_class;  // lighting
};

// Every action of the playbook over these districts, in a stable order.
std::vector<PlannedAction> PlanActions(const Playbook& playbook, const std::vector<int>& districts);

// What a change of scope does to the actions: those to add (planned, not in
// `current`) and the ids to revert (in `current`, no longer planned).
struct ActionDiff {
  std::vector<PlannedAction> add;
  std::vector<std::string> revert;
};
ActionDiff DiffActions(const std::vector<std::string>& current_ids, const std::vector<PlannedAction>& planned);

// The priority an incident gets while the playbook's crisis covers its
// district: nullopt when no raise matches or the incident is already at or
// above it. `category` is empty for an incident opened by faults.
std::optional<v1::Priority> RaisedPriority(const Playbook& playbook, tv1::FaultType fault_type,
                                           const std::string& category, v1::Priority current);

// A crew as dispatch answers it, reduced to what the choice needs.
struct CrewView {
  std::string id;
  std::vector<std::string> skills;
  dv1::CrewStatus status = dv1::CREW_STATUS_UNSPECIFIED;
  std::optional<common::LatLon> position;
  std::string staged_for;  // the crisis holding it, if any
};
CrewView FromProto(const dv1::Crew& crew);

// Preposition: up to n AVAILABLE crews with the skill, held by no crisis, not
// in `taken`, nearest to `target` first (crews without a position last).
std::vector<std::string> ChooseCrewsToStage(const std::vector<CrewView>& crews, std::string_view skill,
                                            common::LatLon target, int n, const std::set<std::string>& taken);
// Standby: up to n OFF_DUTY crews with the skill, held by no crisis, not in `taken`, by id.
std::vector<std::string> ChooseCrewsToCallIn(const std::vector<CrewView>& crews, std::string_view skill, int n,
                                             const std::set<std::string>& taken);

// Where prepositioned crews wait in a district: a point inside it (its
// centroid when inside, else the map's PointIn(id, 0.5, 0.5)).
common::LatLon StagingPoint(const common::DistrictMap& map, int district);

// "CRITICAL" and the like are in rules.h (PriorityName); the action kinds:
std::string ActionKindName(v1::CrisisActionKind kind);

}  // namespace cityops::incidents::crisis
