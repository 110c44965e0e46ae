#include "domain/crisis.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cityops/common/geo.h"
#include "cityops/common/json_lines.h"
#include "cityops/common/json_reader.h"
#include "cityops/common/status.h"
#include "domain/rules.h"

// Crisis mode's pure part: the playbooks (reading and checking
// config/playbooks.json, in words), triggers, planned actions, crew choice.
namespace cityops::incidents::crisis {
namespace {

using Reader = common::JsonReader;

constexpr int kMaxDistricts = 1000;
constexpr int kMaxIncidents = 100000;
constexpr int kMaxPerDistrict = 10;
constexpr int kMaxStandby = 100;
constexpr int kMaxExpiryHours = 24 * 30;

// [a-z0-9_-]{1,32} (playbook ids); without '-' for skills, categories and
// road classes, as the other services write them.
bool IsCode(std::string_view s, bool dash) {
  if (s.empty() || s.size() > 32) return false;
  return std::all_of(s.begin(), s.end(), [dash](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || (dash && c == '-');
  });
}

absl::StatusOr<std::string> Code(const Reader& r, const char* field, bool required, std::string fallback = {}) {
  if (r.Find(field) == nullptr && !required) return fallback;
  std::string value;
  CITYOPS_ASSIGN_OR_RETURN(value, r.String(field, true));
  if (!IsCode(value, false)) return r.Error(field, absl::StrCat("\"", value, "\" is not a code ([a-z0-9_], 1 to 32)"));
  return value;
}

absl::StatusOr<v1::Priority> PriorityField(const Reader& r, const char* field, std::optional<v1::Priority> fallback) {
  if (r.Find(field) == nullptr && fallback) return *fallback;
  std::string name;
  CITYOPS_ASSIGN_OR_RETURN(name, r.String(field, true));
  v1::Priority value{};
  if (!v1::Priority_Parse(absl::StrCat("PRIORITY_", name), &value) || value == v1::PRIORITY_UNSPECIFIED) {
    return r.Error(field, absl::StrCat("unknown priority \"", name, "\" (LOW, NORMAL, HIGH or CRITICAL)"));
  }
  return value;
}

// A list of fault type names, each known and once; empty refused when `required`.
absl::StatusOr<std::set<tv1::FaultType>> FaultTypes(const Reader& r, const char* field, bool required) {
  std::set<tv1::FaultType> out;
  if (r.Find(field) == nullptr && !required) return out;
  std::vector<std::string> names;
  CITYOPS_ASSIGN_OR_RETURN(names, r.Strings(field));
  if (names.empty() && required) return r.Error(field, "must name at least one fault type");
  for (size_t i = 0; i < names.size(); ++i) {
    const std::string item = absl::StrCat(field, "[", i, "]");
    tv1::FaultType type{};
    CITYOPS_ASSIGN_OR_RETURN(
        type, r.EnumValue<tv1::FaultType>(names[i], item.c_str(), "FAULT_TYPE_", tv1::FaultType_Parse, "fault type"));
    if (!out.insert(type).second) return r.Error(item, absl::StrCat("\"", names[i], "\" is listed twice"));
  }
  return out;
}

absl::StatusOr<std::set<std::string>> Categories(const Reader& r, const char* field) {
  std::set<std::string> out;
  if (r.Find(field) == nullptr) return out;
  std::vector<std::string> names;
  CITYOPS_ASSIGN_OR_RETURN(names, r.Strings(field));
  for (size_t i = 0; i < names.size(); ++i) {
    const std::string item = absl::StrCat(field, "[", i, "]");
    if (!IsCode(names[i], false)) {
      return r.Error(item, absl::StrCat("\"", names[i], "\" is not a call category ([a-z0-9_], 1 to 32)"));
    }
    if (!out.insert(names[i]).second) return r.Error(item, absl::StrCat("\"", names[i], "\" is listed twice"));
  }
  return out;
}

absl::Status ReadTrigger(const Reader& r, Trigger& trigger) {
  CITYOPS_RETURN_IF_ERROR(r.Only({"fault_types", "min_districts", "min_incidents"}));
  CITYOPS_ASSIGN_OR_RETURN(trigger.fault_types, FaultTypes(r, "fault_types", true));
  int64_t n = 0;
  CITYOPS_ASSIGN_OR_RETURN(n, r.Integer("min_districts", 1, kMaxDistricts, 1));
  trigger.min_districts = static_cast<int>(n);
  CITYOPS_ASSIGN_OR_RETURN(n, r.Integer("min_incidents", 1, kMaxIncidents, 1));
  trigger.min_incidents = static_cast<int>(n);
  if (trigger.min_incidents < trigger.min_districts) {
    return r.Error("min_incidents", absl::StrCat("must be at least min_districts (", trigger.min_districts,
                                                 "): each district counts one incident at least"));
  }
  return absl::OkStatus();
}

constexpr char kKinds[] = "raise_priority, lighting_override, preposition_crews, standby_crews";

absl::Status ReadAction(const Reader& r, Playbook& playbook) {
  if (!r.Find("kind")) {
    if (auto s = r.Only({"kind"}); !s.ok()) return s;  // not an object
    return r.Error("kind", "missing");
  }
  std::string kind;
  CITYOPS_ASSIGN_OR_RETURN(kind, r.String("kind", true));
  if (kind == "raise_priority") {
    CITYOPS_RETURN_IF_ERROR(r.Only({"kind", "fault_types", "call_categories", "at_least"}));
    PriorityRaise raise;
    CITYOPS_ASSIGN_OR_RETURN(raise.fault_types, FaultTypes(r, "fault_types", false));
    CITYOPS_ASSIGN_OR_RETURN(raise.call_categories, Categories(r, "call_categories"));
    if (raise.fault_types.empty() && raise.call_categories.empty()) {
      return r.Error("", "raise_priority needs fault_types or call_categories (or both)");
    }
    CITYOPS_ASSIGN_OR_RETURN(raise.at_least, PriorityField(r, "at_least", std::nullopt));
    playbook.raises.push_back(std::move(raise));
  } else if (kind == "lighting_override") {
    CITYOPS_RETURN_IF_ERROR(r.Only({"kind", "road_class", "level"}));
    if (playbook.lighting) return r.Error("kind", "a playbook has one lighting_override at most");
    LightingAction lighting;
    CITYOPS_ASSIGN_OR_RETURN(lighting.road_class, Code(r, "road_class", false, "main"));
    int64_t level = 0;
    CITYOPS_ASSIGN_OR_RETURN(level, r.Integer("level", 0, 100));
    lighting.level = static_cast<int>(level);
    playbook.lighting = lighting;
  } else if (kind == "preposition_crews" || kind == "standby_crews") {
    const bool preposition = kind == "preposition_crews";
    CITYOPS_RETURN_IF_ERROR(r.Only({"kind", "skill", preposition ? "per_district" : "max_crews"}));
    CrewAction crew;
    crew.mode = preposition ? CrewAction::Mode::kPreposition : CrewAction::Mode::kStandby;
    CITYOPS_ASSIGN_OR_RETURN(crew.skill, Code(r, "skill", true));
    for (const CrewAction& other : playbook.crews) {
      if (other.mode == crew.mode && other.skill == crew.skill) {
        return r.Error("skill", absl::StrCat("a second ", kind, " action for \"", crew.skill, "\""));
      }
    }
    int64_t n = 0;
    if (preposition) {
      CITYOPS_ASSIGN_OR_RETURN(n, r.Integer("per_district", 1, kMaxPerDistrict));
      crew.per_district = static_cast<int>(n);
    } else {
      CITYOPS_ASSIGN_OR_RETURN(n, r.Integer("max_crews", 1, kMaxStandby));
      crew.max_crews = static_cast<int>(n);
    }
    playbook.crews.push_back(std::move(crew));
  } else {
    return r.Error("kind", absl::StrCat("unknown action \"", kind, "\" (", kKinds, ")"));
  }
  return absl::OkStatus();
}

absl::Status ReadPlaybook(const Reader& r, Playbook& playbook) {
  CITYOPS_RETURN_IF_ERROR(
      r.Only({"id", "name", "description", "trigger", "incident_priority", "override_expiry_h", "actions"}));
  CITYOPS_ASSIGN_OR_RETURN(playbook.id, r.String("id", true));
  if (!IsCode(playbook.id, true)) {
    return r.Error("id", absl::StrCat("\"", playbook.id, "\" is not an id ([a-z0-9_-], 1 to 32)"));
  }
  CITYOPS_ASSIGN_OR_RETURN(playbook.name, r.NonEmptyString("name"));
  CITYOPS_ASSIGN_OR_RETURN(playbook.description, r.String("description", false));
  Reader trigger = r;
  CITYOPS_ASSIGN_OR_RETURN(trigger, r.Object("trigger"));
  CITYOPS_RETURN_IF_ERROR(ReadTrigger(trigger, playbook.trigger));
  CITYOPS_ASSIGN_OR_RETURN(playbook.incident_priority, PriorityField(r, "incident_priority", v1::PRIORITY_HIGH));
  int64_t hours = 0;
  CITYOPS_ASSIGN_OR_RETURN(hours, r.Integer("override_expiry_h", 1, kMaxExpiryHours, 72));
  playbook.override_expiry = std::chrono::hours(hours);
  std::vector<Reader> actions;
  CITYOPS_ASSIGN_OR_RETURN(actions, r.Array("actions"));
  if (actions.empty()) return r.Error("actions", "a playbook needs at least one action");
  for (const Reader& action : actions) CITYOPS_RETURN_IF_ERROR(ReadAction(action, playbook));
  return absl::OkStatus();
}

absl::StatusOr<Playbooks> Read(const Reader& root) {
  CITYOPS_RETURN_IF_ERROR(root.Only({"about", "playbooks"}));
  std::vector<Reader> items;
  CITYOPS_ASSIGN_OR_RETURN(items, root.Array("playbooks"));
  Playbooks out;
  for (const Reader& item : items) {
    Playbook playbook;
    CITYOPS_RETURN_IF_ERROR(ReadPlaybook(item, playbook));
    if (out.Find(playbook.id) != nullptr) {
      return item.Error("id", absl::StrCat("a second playbook \"", playbook.id, "\""));
    }
    out.list.push_back(std::move(playbook));
  }
  return out;
}

std::string FaultList(const std::set<tv1::FaultType>& types, std::string_view conjunction) {
  std::vector<std::string> names;
  names.reserve(types.size());
  for (const auto t : types) names.push_back(FaultName(t));
  if (names.size() <= 1) return absl::StrJoin(names, "");
  const std::string last = names.back();
  names.pop_back();
  return absl::StrCat(absl::StrJoin(names, ", "), " ", std::string(conjunction), " ", last);
}

std::string Plural(int n, std::string_view one, std::string_view many) {
  return absl::StrCat(n, " ", std::string(n == 1 ? one : many));
}

std::string RoadClassText(const std::string& road_class) {
  std::string text = road_class;
  std::replace(text.begin(), text.end(), '_', ' ');
  if (!text.empty()) text[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(text[0])));
  return absl::StrCat(text, " roads");
}

std::string FaultTypesText(const std::set<tv1::FaultType>& types) { return FaultList(types, "or"); }

// "ICE_ON_ROAD incidents and resident calls of category roads".
std::string RaisedWhat(const PriorityRaise& raise) {
  std::vector<std::string> what;
  if (!raise.fault_types.empty()) what.push_back(absl::StrCat(FaultList(raise.fault_types, "and"), " incidents"));
  if (!raise.call_categories.empty()) {
    what.push_back(absl::StrCat("resident calls of ", raise.call_categories.size() == 1 ? "category " : "categories ",
                                absl::StrJoin(raise.call_categories, ", ")));
  }
  return absl::StrJoin(what, " and ");
}

std::string LightingText(const LightingAction& lighting, int district) {
  if (district > 0) {
    return absl::StrCat(RoadClassText(lighting.road_class), " of district ", district, " at ", lighting.level, "%");
  }
  return absl::StrCat(RoadClassText(lighting.road_class), " of each affected district at ", lighting.level, "%");
}

}  // namespace

std::string Playbook::TriggerText() const {
  return absl::StrCat("At least ", Plural(trigger.min_incidents, "open incident", "open incidents"), " of ",
                      FaultTypesText(trigger.fault_types), " in at least ",
                      Plural(trigger.min_districts, "district", "districts"));
}

std::vector<std::string> Playbook::ActionTexts() const {
  std::vector<std::string> out;
  for (const PriorityRaise& raise : raises) {
    out.push_back(absl::StrCat("Raise ", RaisedWhat(raise), " to at least ", PriorityName(raise.at_least),
                               " in the affected districts"));
  }
  if (lighting) {
    out.push_back(absl::StrCat(LightingText(*lighting, 0), " (crisis override, expires after ", override_expiry.count(),
                               " h if the crisis has not ended)"));
  }
  for (const CrewAction& crew : crews) {
    if (crew.mode == CrewAction::Mode::kPreposition) {
      out.push_back(absl::StrCat(Plural(crew.per_district, crew.skill + " crew", crew.skill + " crews"),
                                 " sent to wait at each affected district's staging point"));
    } else {
      out.push_back(absl::StrCat(
          "Up to ", Plural(crew.max_crews, "off-duty " + crew.skill + " crew", "off-duty " + crew.skill + " crews"),
          " called in"));
    }
  }
  out.push_back(absl::StrCat("A crisis incident (", PriorityName(incident_priority),
                             ") groups the incidents of the affected districts"));
  return out;
}

v1::Playbook Playbook::ToProto() const {
  v1::Playbook p;
  p.set_id(id);
  p.set_name(name);
  p.set_description(description);
  p.set_trigger(TriggerText());
  for (const std::string& text : ActionTexts()) p.add_actions(text);
  return p;
}

const Playbook* Playbooks::Find(std::string_view id) const {
  for (const Playbook& p : list) {
    if (p.id == id) return &p;
  }
  return nullptr;
}

absl::StatusOr<Playbooks> Playbooks::FromJson(std::string_view json, std::string_view file_name) {
  nlohmann::json doc;
  CITYOPS_ASSIGN_OR_RETURN(doc, common::ParseJsonWithLine(json, file_name));
  const Reader root(doc, std::string(file_name));
  auto playbooks = Read(root);
  if (!playbooks.ok()) return common::WithLine(playbooks.status(), file_name, common::LineIndex(json));
  return playbooks;
}

absl::StatusOr<Playbooks> Playbooks::LoadFile(const std::string& path) {
  auto text = Reader::ReadFile(path);
  if (!text.ok()) return text.status();
  return FromJson(*text, path);
}

std::vector<Proposal> EvaluateTriggers(const Playbooks& playbooks, const std::vector<OpenIncident>& open) {
  std::vector<Proposal> out;
  for (const Playbook& playbook : playbooks.list) {
    std::map<int, int> by_district;
    std::set<std::string> seen;
    int total = 0;
    for (const OpenIncident& incident : open) {
      if (incident.district <= 0 || !playbook.trigger.fault_types.contains(incident.fault_type)) continue;
      if (!incident.id.empty() && !seen.insert(incident.id).second) continue;  // listed twice
      ++by_district[incident.district];
      ++total;
    }
    if (static_cast<int>(by_district.size()) < playbook.trigger.min_districts ||
        total < playbook.trigger.min_incidents) {
      continue;
    }
    Proposal proposal;
    proposal.playbook = playbook.id;
    for (const auto& [district, count] : by_district) proposal.districts.push_back(district);
    proposal.reason = absl::StrCat(Plural(total, "open incident", "open incidents"), " of ",
                                   FaultTypesText(playbook.trigger.fault_types), " in ",
                                   Plural(static_cast<int>(proposal.districts.size()), "district", "districts"), " (",
                                   absl::StrJoin(proposal.districts, ", "), ")");
    out.push_back(std::move(proposal));
  }
  return out;
}

std::vector<PlannedAction> PlanActions(const Playbook& playbook, const std::vector<int>& districts) {
  std::set<int> scope;
  for (const int d : districts) {
    if (d > 0) scope.insert(d);
  }
  std::vector<PlannedAction> out;
  for (size_t i = 0; i < playbook.raises.size(); ++i) {
    const PriorityRaise& raise = playbook.raises[i];
    PlannedAction a;
    a.id = i == 0 ? "priority" : absl::StrCat("priority:", i + 1);
    a.kind = v1::CRISIS_ACTION_KIND_RAISE_PRIORITY;
    a.description = absl::StrCat(RaisedWhat(raise), " raised to at least ", PriorityName(raise.at_least),
                                 scope.size() == 1 ? " in district " : " in districts ", absl::StrJoin(scope, ", "));
    a.level = static_cast<int>(raise.at_least);
    out.push_back(std::move(a));
  }
  if (playbook.lighting) {
    for (const int d : scope) {
      PlannedAction a;
      a.id = absl::StrCat("lighting:d", d);
      a.kind = v1::CRISIS_ACTION_KIND_LIGHTING_OVERRIDE;
      a.district = d;
      a.description = LightingText(*playbook.lighting, d);
      a.level = playbook.lighting->level;
      a.road_class = playbook.lighting->road_class;
      out.push_back(std::move(a));
    }
  }
  for (const CrewAction& crew : playbook.crews) {
    if (crew.mode == CrewAction::Mode::kPreposition) {
      for (const int d : scope) {
        for (int k = 1; k <= crew.per_district; ++k) {
          PlannedAction a;
          a.id = absl::StrCat("preposition:", crew.skill, ":d", d, ":", k);
          a.kind = v1::CRISIS_ACTION_KIND_PREPOSITION_CREW;
          a.district = d;
          a.description = absl::StrCat("A ", crew.skill, " crew waits at district ", d, "'s staging point (", k, " of ",
                                       crew.per_district, ")");
          a.skill = crew.skill;
          out.push_back(std::move(a));
        }
      }
    } else {
      for (int k = 1; k <= crew.max_crews; ++k) {
        PlannedAction a;
        a.id = absl::StrCat("standby:", crew.skill, ":", k);
        a.kind = v1::CRISIS_ACTION_KIND_STANDBY_CREW;
        a.description =
            absl::StrCat("An off-duty ", crew.skill, " crew called in (", k, " of ", crew.max_crews, " at most)");
        a.skill = crew.skill;
        out.push_back(std::move(a));
      }
    }
  }
  return out;
}

ActionDiff DiffActions(const std::vector<std::string>& current_ids, const std::vector<PlannedAction>& planned) {
  const std::set<std::string> current(current_ids.begin(), current_ids.end());
  std::set<std::string> planned_ids;
  ActionDiff diff;
  for (const PlannedAction& a : planned) {
    planned_ids.insert(a.id);
    if (!current.contains(a.id)) diff.add.push_back(a);
  }
  std::set<std::string> reverted;
  for (const std::string& id : current_ids) {
    if (!planned_ids.contains(id) && reverted.insert(id).second) diff.revert.push_back(id);
  }
  return diff;
}

std::optional<v1::Priority> RaisedPriority(const Playbook& playbook, tv1::FaultType fault_type,
                                           const std::string& category, v1::Priority current) {
  std::optional<v1::Priority> best;
  for (const PriorityRaise& raise : playbook.raises) {
    const bool matches = (fault_type != tv1::FAULT_TYPE_UNSPECIFIED && raise.fault_types.contains(fault_type)) ||
                         (!category.empty() && raise.call_categories.contains(category));
    if (matches && (!best || raise.at_least > *best)) best = raise.at_least;
  }
  if (!best || *best <= current) return std::nullopt;
  return best;
}

CrewView FromProto(const dv1::Crew& crew) {
  CrewView view;
  view.id = crew.id();
  view.skills.assign(crew.skills().begin(), crew.skills().end());
  view.status = crew.status();
  if (crew.has_position()) view.position = common::LatLon{crew.position().lat(), crew.position().lon()};
  view.staged_for = crew.staging().crisis_id();
  return view;
}

namespace {

bool Eligible(const CrewView& crew, std::string_view skill, dv1::CrewStatus status,
              const std::set<std::string>& taken) {
  return crew.status == status && crew.staged_for.empty() && !taken.contains(crew.id) &&
         std::find(crew.skills.begin(), crew.skills.end(), skill) != crew.skills.end();
}

}  // namespace

std::vector<std::string> ChooseCrewsToStage(const std::vector<CrewView>& crews, std::string_view skill,
                                            common::LatLon target, int n, const std::set<std::string>& taken) {
  struct Candidate {
    bool no_position;
    double distance;
    std::string id;
  };
  std::vector<Candidate> candidates;
  for (const CrewView& crew : crews) {
    if (!Eligible(crew, skill, dv1::CREW_STATUS_AVAILABLE, taken)) continue;
    const double distance =
        crew.position ? common::DistanceMeters(crew.position->lat, crew.position->lon, target.lat, target.lon) : 0;
    candidates.push_back({!crew.position.has_value(), distance, crew.id});
  }
  std::sort(candidates.begin(), candidates.end(), [](const Candidate& a, const Candidate& b) {
    return std::tie(a.no_position, a.distance, a.id) < std::tie(b.no_position, b.distance, b.id);
  });
  std::vector<std::string> out;
  for (const Candidate& c : candidates) {
    if (static_cast<int>(out.size()) >= n) break;
    out.push_back(c.id);
  }
  return out;
}

std::vector<std::string> ChooseCrewsToCallIn(const std::vector<CrewView>& crews, std::string_view skill, int n,
                                             const std::set<std::string>& taken) {
  std::vector<std::string> ids;
  for (const CrewView& crew : crews) {
    if (Eligible(crew, skill, dv1::CREW_STATUS_OFF_DUTY, taken)) ids.push_back(crew.id);
  }
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  if (static_cast<int>(ids.size()) > std::max(n, 0)) ids.resize(static_cast<size_t>(std::max(n, 0)));
  return ids;
}

common::LatLon StagingPoint(const common::DistrictMap& map, int district) {
  const common::District* d = map.Find(district);
  if (d == nullptr) return {};
  if (map.Contains(district, d->centroid.lat, d->centroid.lon)) return d->centroid;
  return map.PointIn(district, 0.5, 0.5);
}

std::string ActionKindName(v1::CrisisActionKind kind) {
  switch (kind) {
    case v1::CRISIS_ACTION_KIND_RAISE_PRIORITY:
      return "raise_priority";
    case v1::CRISIS_ACTION_KIND_LIGHTING_OVERRIDE:
      return "lighting_override";
    case v1::CRISIS_ACTION_KIND_PREPOSITION_CREW:
      return "preposition_crew";
    case v1::CRISIS_ACTION_KIND_STANDBY_CREW:
      return "standby_crew";
    default:
      return "unspecified";
  }
}

}  // namespace cityops::incidents::crisis
