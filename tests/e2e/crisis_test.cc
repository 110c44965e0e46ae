// Crisis mode end to end, with the simulator's snow-night and river-flood
// scenarios played against the whole suite and the gateway in front: the
// platform proposes the playbook's crisis from the sensors' faults, a
// supervisor declares it through the gateway (audited), the affected
// districts' main roads go to full power while their local streets keep the
// schedule, the playbook's incidents rise to its priority under the crisis,
// a crisis incident opens and road crews are staged; the supervisor ends it
// and everything it set is given back; the simulator's report tells the
// crisis's timeline.
//
// Scenarios at a compressed time (--speed 25 for the 65 minutes of snow,
// 15 for the 45 minutes of flood): the crisis is declared and ended while
// the scenario plays, the simulator running in the background.
#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <set>
#include <string>

#include "cityops/common/proto_time.h"
#include "e2e_suite.h"

namespace cityops::testing {
namespace {

using namespace std::chrono_literals;
namespace tv1 = ::cityops::telemetry::v1;
namespace iv1 = ::cityops::incidents::v1;
namespace dv1 = ::cityops::dispatch::v1;
namespace lv1 = ::cityops::lighting::v1;
using nlohmann::json;
using Time = std::chrono::system_clock::time_point;

struct CrisisCase {
  std::string scenario;
  std::string speed;
  // The test city's scale, or more when the scenario needs more sensors.
  std::string scale;
  std::string playbook;
  tv1::FaultType fault_type;
  // The priority the playbook raises its incidents to, at least.
  iv1::Priority raised_to;
  // The scenario's wall time at its speed, and more for the platform to settle.
  std::chrono::seconds sim_timeout;
};

bool IsOpen(const iv1::Incident& incident) {
  return incident.status() == iv1::INCIDENT_STATUS_OPEN || incident.status() == iv1::INCIDENT_STATUS_ACKNOWLEDGED;
}

bool InDistricts(const iv1::Incident& incident, const iv1::Crisis& crisis) {
  return std::find(crisis.districts().begin(), crisis.districts().end(), incident.district()) !=
         crisis.districts().end();
}

// The playbook's incidents of the crisis's districts (not folded into another).
std::vector<iv1::Incident> PlaybookIncidents(E2eSuite& suite, const iv1::Crisis& crisis, tv1::FaultType type) {
  std::vector<iv1::Incident> out;
  for (const auto& incident : suite.Incidents()) {
    if (incident.fault_type() == type && InDistricts(incident, crisis) &&
        incident.status() != iv1::INCIDENT_STATUS_MERGED) {
      out.push_back(incident);
    }
  }
  return out;
}

std::vector<iv1::CrisisAction> ActionsOf(const iv1::Crisis& crisis, iv1::CrisisActionKind kind) {
  std::vector<iv1::CrisisAction> out;
  for (const auto& action : crisis.actions()) {
    if (action.kind() == kind) out.push_back(action);
  }
  return out;
}

bool IsEffect(const iv1::CrisisAction& action) {
  return action.kind() == iv1::CRISIS_ACTION_KIND_LIGHTING_OVERRIDE ||
         action.kind() == iv1::CRISIS_ACTION_KIND_PREPOSITION_CREW ||
         action.kind() == iv1::CRISIS_ACTION_KIND_STANDBY_CREW;
}

// The level lighting control gives one light point at `at`, and why.
lv1::EffectiveLevel LevelOf(E2eSuite& suite, const std::string& point, Time at) {
  lv1::GetEffectiveLevelRequest request;
  request.mutable_scope()->set_kind(lv1::SCOPE_KIND_POINT);
  request.mutable_scope()->set_id(point);
  *request.mutable_at() = common::ToProtoTime(at);
  lv1::GetEffectiveLevelResponse response;
  grpc::ClientContext context;
  const auto status = suite.lighting().GetEffectiveLevel(&context, request, &response);
  INFO(point << ": " << status.error_message());
  REQUIRE(status.ok());
  REQUIRE(response.levels_size() == 1);
  return response.levels(0);
}

// The next 11:00 UTC at least an hour away: midday in Dijon in any season
// (12:00 CET, 13:00 CEST), when the schedule has every lamp off; within the
// crisis overrides' expiry (72 h).
Time NextMidday(Time now) {
  const auto day = std::chrono::floor<std::chrono::days>(now + 1h);
  Time midday = std::chrono::time_point_cast<Time::duration>(day + 11h);
  if (midday < now + 1h) midday += std::chrono::hours(24);
  return midday;
}

// A light point on a main road and one on a local street of the same
// district, in one of `districts` (the first that has both).
struct RoadPoints {
  int district = 0;
  std::string main;
  std::string local;
};
RoadPoints FindRoadPoints(E2eSuite& suite, const std::vector<int>& districts) {
  for (const int district : districts) {
    RoadPoints points;
    points.district = district;
    for (const auto& asset : suite.Assets(district, tv1::ASSET_KIND_LIGHT_POINT)) {
      const auto it = asset.attributes().find("road_class");
      if (it == asset.attributes().end()) continue;
      if (it->second == "main" && points.main.empty()) points.main = asset.id();
      if (it->second == "local" && points.local.empty()) points.local = asset.id();
    }
    if (!points.main.empty() && !points.local.empty()) return points;
  }
  return {};
}

// The audit row of a supervisor's command on the crisis through the gateway.
bool Audited(E2eSuite& suite, const std::string& route, const std::string& crisis_id, const std::string& actor) {
  const auto audit = suite.Http("GET", "/api/v1/audit?limit=200", suite.AdminToken());
  INFO(audit.body);
  REQUIRE(audit.status == 200);
  for (const auto& entry : audit.json["entries"]) {
    if (entry.value("route", "") == route && entry.value("target", "") == crisis_id &&
        entry.value("actor", "") == actor && entry.value("httpStatus", 0) == 200) {
      return true;
    }
  }
  return false;
}

std::set<std::string> TimelineKinds(const json& crisis) {
  std::set<std::string> kinds;
  for (const auto& entry : crisis["timeline"]) kinds.insert(entry.value("kind", ""));
  return kinds;
}

void PlayCrisis(const CrisisCase& c) {
  E2eSuite suite(E2eSuiteOptions{.crisis = true});
  const std::string sara = suite.UserToken("sara", "supervisor");
  const std::string report_path = TempPath("e2e_crisis_report_" + c.scenario, ".json");
  const auto started = std::chrono::steady_clock::now();
  auto sim = suite.StartSim({"--scenario=" + c.scenario, "--speed=" + c.speed, "--scale=" + c.scale,
                             "--calls-per-day=0", "--report", report_path});
  INFO("city-sim log: " << sim->log_path() << ", report: " << report_path);
  const auto since_start = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  };

  // 1. The platform proposes the playbook's crisis; the supervisor sees it through the gateway.
  std::string crisis_id;
  const bool proposed = Eventually(
      [&] {
        const auto list = suite.Http("GET", "/api/v1/crises?statuses=CRISIS_STATUS_PROPOSED&pageSize=100", sara);
        if (list.status != 200 || !list.json.contains("crises")) return false;
        for (const auto& crisis : list.json["crises"]) {
          if (crisis.value("playbook", "") == c.playbook) crisis_id = crisis.value("id", "");
        }
        return !crisis_id.empty();
      },
      c.sim_timeout);
  if (!proposed) FAIL("no " << c.playbook << " proposal after " << since_start() << " s\n" << suite.Logs());
  INFO("crisis " << crisis_id << " proposed after " << since_start() << " s");
  const iv1::Crisis proposal = suite.Crisis(crisis_id);
  CHECK(proposal.status() == iv1::CRISIS_STATUS_PROPOSED);
  CHECK(proposal.proposed_by() == "platform");
  CHECK(proposal.districts_size() >= 1);

  // The playbook's incidents as they were before the crisis, with their priorities.
  std::map<std::string, iv1::Priority> before;
  for (const auto& incident : PlaybookIncidents(suite, proposal, c.fault_type)) {
    if (IsOpen(incident)) before[incident.id()] = incident.priority();
  }

  // 2. The supervisor declares it through the gateway; the audit names her.
  const auto declared = suite.Http("POST", "/api/v1/crises/" + crisis_id + ":declare", sara,
                                   json{{"note", "e2e: declared from the proposal"}}.dump());
  INFO(declared.body);
  REQUIRE(declared.status == 200);
  CHECK(declared.json["status"] == "CRISIS_STATUS_ACTIVE");
  CHECK(declared.json["declaredBy"] == "sara");
  CHECK(Audited(suite, "/api/v1/crises/{id}:declare", crisis_id, "sara"));

  // 3. Its actions run: every district's main roads overridden, at least one road crew staged.
  iv1::Crisis crisis;
  const bool applied = Eventually(
      [&] {
        crisis = suite.Crisis(crisis_id);
        const auto lighting = ActionsOf(crisis, iv1::CRISIS_ACTION_KIND_LIGHTING_OVERRIDE);
        const auto crews = ActionsOf(crisis, iv1::CRISIS_ACTION_KIND_PREPOSITION_CREW);
        const auto is_applied = [](const iv1::CrisisAction& a) {
          return a.state() == iv1::CRISIS_ACTION_STATE_APPLIED;
        };
        return !lighting.empty() && std::all_of(lighting.begin(), lighting.end(), is_applied) &&
               std::any_of(crews.begin(), crews.end(), is_applied);
      },
      60s);
  if (!applied) FAIL("actions not applied:\n" << crisis.DebugString() << "\n" << suite.Logs());
  INFO("actions applied after " << since_start() << " s");
  CHECK(crisis.status() == iv1::CRISIS_STATUS_ACTIVE);
  CHECK(crisis.declared_by() == "sara");
  const std::vector<int> districts(crisis.districts().begin(), crisis.districts().end());
  const auto lighting_actions = ActionsOf(crisis, iv1::CRISIS_ACTION_KIND_LIGHTING_OVERRIDE);
  CHECK(lighting_actions.size() == districts.size());  // one per district

  // Lighting: a crisis override on each district's main roads at 100%.
  std::map<std::string, lv1::Override> overrides;
  for (const auto& o : suite.ActiveOverrides()) overrides[o.id()] = o;
  std::set<std::string> override_ids;
  for (const auto& action : lighting_actions) {
    INFO(action.DebugString());
    override_ids.insert(action.target());
    REQUIRE(overrides.count(action.target()) == 1);
    const lv1::Override& o = overrides[action.target()];
    CHECK(o.source() == lv1::OVERRIDE_SOURCE_CRISIS);
    CHECK(o.scope().kind() == lv1::SCOPE_KIND_ROAD_CLASS);
    CHECK(o.scope().id() == "main");
    CHECK(o.scope().district() == action.district());
    CHECK(o.level() == 100);
  }
  const RoadPoints points = FindRoadPoints(suite, districts);
  INFO("main-road light point " << points.main << ", local " << points.local << " in district " << points.district);
  REQUIRE_FALSE(points.main.empty());
  std::string district_override;
  for (const auto& action : lighting_actions) {
    if (action.district() == points.district) district_override = action.target();
  }
  const Time now = std::chrono::system_clock::now();
  const Time midday = NextMidday(now);
  const lv1::EffectiveLevel main_now = LevelOf(suite, points.main, now);
  CHECK(main_now.level() == 100);
  CHECK(main_now.source() == "override " + district_override);
  // At midday the schedule has the lamps off: the main road is still forced, the local street is not.
  const lv1::EffectiveLevel main_midday = LevelOf(suite, points.main, midday);
  CHECK(main_midday.level() == 100);
  CHECK(main_midday.source() == "override " + district_override);
  const lv1::EffectiveLevel local_midday = LevelOf(suite, points.local, midday);
  CHECK(local_midday.level() == 0);
  CHECK_FALSE(local_midday.source().starts_with("override"));
  CHECK_FALSE(LevelOf(suite, points.local, now).source().starts_with("override"));

  // Incidents: the playbook's ones of the districts joined the crisis, raised, their old priority kept.
  const auto raised = PlaybookIncidents(suite, crisis, c.fault_type);
  REQUIRE_FALSE(raised.empty());
  std::map<std::string, iv1::Priority> priority_before;  // what the end must give back
  for (const auto& incident : raised) {
    INFO(incident.DebugString());
    CHECK(incident.crisis_id() == crisis_id);
    CHECK(incident.priority() >= c.raised_to);
    const auto was = before.find(incident.id());
    const iv1::Priority old = was != before.end() ? was->second : incident.base_priority();
    if (old != iv1::PRIORITY_UNSPECIFIED && old < c.raised_to) {
      CHECK(incident.priority_before_crisis() == old);
      priority_before[incident.id()] = old;
    }
  }
  // The crisis incident groups them.
  REQUIRE_FALSE(crisis.incident_id().empty());
  const iv1::Incident crisis_incident = suite.Incident(crisis.incident_id());
  INFO(crisis_incident.DebugString());
  CHECK(crisis_incident.rule() == iv1::RULE_CRISIS);
  CHECK(IsOpen(crisis_incident));
  CHECK(crisis.grouped_incidents() >= 1);

  // Crews: each applied preposition's crew is staged for this crisis in its district.
  const auto crews = suite.Crews();
  size_t staged = 0;
  for (const auto& action : ActionsOf(crisis, iv1::CRISIS_ACTION_KIND_PREPOSITION_CREW)) {
    INFO(action.DebugString());
    if (action.state() != iv1::CRISIS_ACTION_STATE_APPLIED) {
      CHECK(action.state() == iv1::CRISIS_ACTION_STATE_PENDING);  // waiting for a crew, and says so
      CHECK_FALSE(action.detail().empty());
      continue;
    }
    const auto crew =
        std::find_if(crews.begin(), crews.end(), [&](const dv1::Crew& k) { return k.id() == action.target(); });
    REQUIRE(crew != crews.end());
    INFO(crew->DebugString());
    CHECK(crew->staging().crisis_id() == crisis_id);
    CHECK(crew->staging().district() == action.district());
    CHECK(std::find(crew->skills().begin(), crew->skills().end(), action.skill()) != crew->skills().end());
    ++staged;
  }
  CHECK(staged >= 1);

  // 4. The supervisor ends it through the gateway; the audit names her.
  const auto ended =
      suite.Http("POST", "/api/v1/crises/" + crisis_id + ":end", sara, json{{"note", "e2e: over"}}.dump());
  INFO(ended.body);
  REQUIRE(ended.status == 200);
  CHECK(ended.json["status"] == "CRISIS_STATUS_ENDED");
  CHECK(ended.json["endedBy"] == "sara");
  CHECK(Audited(suite, "/api/v1/crises/{id}:end", crisis_id, "sara"));

  // Everything it set is undone.
  const bool reverted = Eventually(
      [&] {
        crisis = suite.Crisis(crisis_id);
        return std::all_of(crisis.actions().begin(), crisis.actions().end(), [](const iv1::CrisisAction& a) {
          return !IsEffect(a) || a.state() == iv1::CRISIS_ACTION_STATE_REVERTED;
        });
      },
      60s);
  if (!reverted) FAIL("actions not reverted:\n" << crisis.DebugString() << "\n" << suite.Logs());
  INFO("actions reverted after " << since_start() << " s");
  CHECK(crisis.status() == iv1::CRISIS_STATUS_ENDED);
  CHECK(crisis.ended_by() == "sara");
  for (const auto& o : suite.ActiveOverrides()) {
    INFO(o.DebugString());
    CHECK(override_ids.count(o.id()) == 0);
    CHECK(o.source() != lv1::OVERRIDE_SOURCE_CRISIS);
  }
  const Time after = std::chrono::system_clock::now();
  const lv1::EffectiveLevel main_after = LevelOf(suite, points.main, after);
  const lv1::EffectiveLevel local_after = LevelOf(suite, points.local, after);
  CHECK_FALSE(main_after.source().starts_with("override"));
  // Back on the schedule, the same as its local neighbour's (one default profile).
  CHECK(main_after.source() == local_after.source());
  CHECK(main_after.level() == local_after.level());
  CHECK(LevelOf(suite, points.main, midday).level() == 0);
  for (const auto& [id, old] : priority_before) {
    const iv1::Incident incident = suite.Incident(id);
    INFO(incident.DebugString());
    CHECK(incident.priority() == old);
    CHECK(incident.priority_before_crisis() == iv1::PRIORITY_UNSPECIFIED);
    CHECK(incident.crisis_id() == crisis_id);  // it stays grouped under the crisis that was
  }
  for (const auto& crew : suite.Crews()) {
    INFO(crew.DebugString());
    CHECK(crew.staging().crisis_id() != crisis_id);
  }
  const bool resolved =
      Eventually([&] { return suite.Incident(crisis.incident_id()).status() == iv1::INCIDENT_STATUS_RESOLVED; }, 30s);
  CHECK(resolved);

  // 5. The simulator's report tells the crisis, with its timeline.
  const SimRun run = sim->Wait(c.sim_timeout);
  INFO(run.LogTail());
  INFO("ran " << run.seconds << " s");
  REQUIRE_FALSE(run.timed_out);
  REQUIRE(run.exit_code == 0);
  REQUIRE(run.report.is_object());
  INFO(run.report.dump(2));
  REQUIRE(run.report.contains("crises"));
  const json* reported = nullptr;
  for (const auto& entry : run.report["crises"]) {
    if (entry.value("id", "") == crisis_id) reported = &entry;
  }
  REQUIRE(reported != nullptr);
  CHECK((*reported)["playbook"] == c.playbook);
  CHECK((*reported)["status"] == "ENDED");
  CHECK((*reported)["declared_by"] == "sara");
  CHECK((*reported)["ended_by"] == "sara");
  CHECK((*reported)["proposed_at"].is_string());
  CHECK((*reported)["declared_at"].is_string());
  CHECK((*reported)["ended_at"].is_string());
  CHECK((*reported)["districts"] == json(districts));
  for (const auto& action : (*reported)["actions"]) {
    INFO(action.dump());
    if (action["kind"] == "LIGHTING_OVERRIDE") CHECK(action["state"] == "REVERTED");
  }
  const auto kinds = TimelineKinds(*reported);
  for (const char* kind : {"PROPOSED", "DECLARED", "ACTION_APPLIED", "ENDED", "ACTION_REVERTED"}) {
    INFO(kind);
    CHECK(kinds.count(kind) == 1);
  }
  CHECK(run.report["crisis_incidents"].get<int>() >= 1);
}

TEST_CASE(
    "Snow night: proposed from icy roads, declared by a supervisor, main roads lit, roads first, crews placed, "
    "all given back at the end") {
  // At the tests' tenth of Dijon the city has 2 snow sensors; the playbook
  // wants ice in 3 districts: 0.15 gives 4 sensors, one per district.
  PlayCrisis({"snow-night", "25", "0.15", "snow", tv1::FAULT_TYPE_ICE_ON_ROAD, iv1::PRIORITY_CRITICAL, 300s});
}

TEST_CASE(
    "River flood: proposed from the Ouche's sensors, declared by a supervisor, main roads lit, crews placed, "
    "all given back at the end") {
  PlayCrisis({"river-flood", "15", kSimScale, "flood", tv1::FAULT_TYPE_WATER_LEVEL_HIGH, iv1::PRIORITY_CRITICAL, 300s});
}

}  // namespace
}  // namespace cityops::testing
