// The simulator's scenarios played against the whole suite, at a compressed
// time (--speed 15; 10 for the fire alarm, whose crews must still be on the
// road to their low-priority jobs when the alarm reaches dispatch, even on a
// loaded machine), with only the scenario's resident calls: what the services hold
// afterwards (incidents, work orders, crews, residents' requests) and what
// the simulator's report says of it.
#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <set>
#include <string>

#include "cityops/common/geo.h"
#include "cityops/common/proto_time.h"
#include "e2e_suite.h"

namespace cityops::testing {
namespace {

using namespace std::chrono_literals;
namespace tv1 = ::cityops::telemetry::v1;
namespace iv1 = ::cityops::incidents::v1;
namespace dv1 = ::cityops::dispatch::v1;
namespace cv1 = ::cityops::calls::v1;
using nlohmann::json;

// Plays `scenario` to its end (the simulator stops by itself when given
// --report) and returns the run with its report; REQUIREs a clean end.
SimRun PlayScenario(E2eSuite& suite, const std::string& scenario, const std::string& speed,
                    std::chrono::seconds timeout) {
  const std::string report = TempPath("e2e_report_" + scenario, ".json");
  SimRun run =
      suite.RunSim({"--scenario=" + scenario, "--speed=" + speed, "--calls-per-day=0", "--report", report}, timeout);
  INFO(run.LogTail());
  INFO("ran " << run.seconds << " s");
  REQUIRE_FALSE(run.timed_out);
  REQUIRE(run.exit_code == 0);
  REQUIRE(run.report.is_object());
  return run;
}

std::vector<iv1::Incident> OfKind(const std::vector<iv1::Incident>& incidents, tv1::AssetKind kind) {
  std::vector<iv1::Incident> out;
  std::copy_if(incidents.begin(), incidents.end(), std::back_inserter(out),
               [&](const iv1::Incident& i) { return i.asset_kind() == kind; });
  return out;
}

std::vector<dv1::WorkOrder> OrdersFor(E2eSuite& suite, const std::string& incident_id) {
  std::vector<dv1::WorkOrder> out;
  for (const auto& order : suite.WorkOrders()) {
    if (order.incident_id() == incident_id) out.push_back(order);
  }
  return out;
}

const dv1::Crew* FindCrew(const std::vector<dv1::Crew>& crews, const std::string& id) {
  for (const auto& crew : crews) {
    if (crew.id() == id) return &crew;
  }
  return nullptr;
}

bool HasSkill(const dv1::Crew& crew, const std::string& skill) {
  return std::find(crew.skills().begin(), crew.skills().end(), skill) != crew.skills().end();
}

// Incidents with an asset (opened by equipment faults, not by a call).
size_t FromFaults(const std::vector<iv1::Incident>& incidents) {
  return static_cast<size_t>(
      std::count_if(incidents.begin(), incidents.end(), [](const iv1::Incident& i) { return !i.asset_id().empty(); }));
}

// The report's counts against what the services hold: the faults telemetry
// ingest published, the incidents incident correlation keeps.
void CheckReportAgainstServices(E2eSuite& suite, const json& report, const std::vector<iv1::Incident>& incidents) {
  INFO(report.dump(2));
  REQUIRE(report.contains("faults_raised"));
  REQUIRE(report.contains("incidents_opened"));
  const auto faults = report["faults_raised"].get<double>();
  const auto opened = report["incidents_opened"].get<double>();
  std::set<std::string> raised;  // event ids: a redelivered event counts once
  for (const auto& event : suite.FaultEvents()) {
    if (event.state() != tv1::FAULT_STATE_CLEARED) raised.insert(event.meta().event_id());
  }
  CHECK(faults == static_cast<double>(raised.size()));
  CHECK(opened == static_cast<double>(FromFaults(incidents)));
  CHECK(faults >= opened);
  REQUIRE(report["noise_reduction"].is_number());
  CHECK(report["noise_reduction"].get<double>() == Approx(1.0 - opened / faults).margin(1e-6));
  for (const char* latency : {"fault_to_incident_ms", "fault_to_assignment_ms"}) {
    INFO(latency);
    REQUIRE(report[latency]["p50"].is_number());
    CHECK(report[latency]["p50"].get<double>() >= 0);
    CHECK(report[latency]["p99"].get<double>() >= report[latency]["p50"].get<double>());
  }
}

// The one incident about `kind`'s asset, with every child of the asset
// among its symptoms. Its children's faults travel on their own partitions
// and may reach incident correlation before the parent's: an incident a
// child opened that way must have been folded into the parent's (MERGED);
// none may stand on its own.
iv1::Incident OneParentIncident(E2eSuite& suite, const std::vector<iv1::Incident>& incidents, tv1::AssetKind kind,
                                tv1::AssetKind child_kind) {
  const auto parents = OfKind(incidents, kind);
  REQUIRE(parents.size() == 1);
  const iv1::Incident& incident = parents.front();
  INFO(incident.DebugString());
  for (const auto& child : OfKind(incidents, child_kind)) {
    INFO("an incident on a child: " << child.DebugString());
    CHECK(child.status() == iv1::INCIDENT_STATUS_MERGED);
    CHECK(child.merged_into() == incident.id());
  }
  const auto children = suite.Children(incident.asset_id());
  const std::set<std::string> own(children.begin(), children.end());
  size_t child_symptoms = 0;
  for (const auto& symptom : incident.symptoms()) {
    if (symptom.asset_kind() != child_kind) continue;
    ++child_symptoms;
    INFO(symptom.asset_id());
    CHECK(own.count(symptom.asset_id()) == 1);
  }
  CHECK(children.size() >= 3);
  CHECK(child_symptoms == children.size());  // every one of its children
  return incident;
}

// Waits for `incident_id` to be RESOLVED; returns it as it is then.
iv1::Incident WaitResolved(E2eSuite& suite, const std::string& incident_id, std::chrono::seconds timeout) {
  iv1::Incident incident;
  const bool resolved = Eventually(
      [&] {
        incident = suite.Incident(incident_id);
        return incident.status() == iv1::INCIDENT_STATUS_RESOLVED;
      },
      timeout);
  INFO(incident.DebugString());
  CHECK(resolved);
  return incident;
}

// The incident's work order: assigned to a crew with `skill`, completed.
dv1::WorkOrder CompletedOrder(E2eSuite& suite, const iv1::Incident& incident, const std::string& skill) {
  dv1::WorkOrder order;
  const bool completed = Eventually(
      [&] {
        const auto orders = OrdersFor(suite, incident.id());
        if (orders.empty()) return false;
        order = orders.front();
        return order.status() == dv1::WORK_ORDER_STATUS_COMPLETED;
      },
      60s);
  INFO(order.DebugString());
  REQUIRE(completed);
  CHECK(OrdersFor(suite, incident.id()).size() == 1);
  CHECK(order.skill() == skill);
  const auto crews = suite.Crews();
  const dv1::Crew* crew = FindCrew(crews, order.crew_id());
  REQUIRE(crew != nullptr);
  CHECK(HasSkill(*crew, skill));
  return order;
}

TEST_CASE(
    "Cabinet power loss: one incident on the cabinet, a lighting crew repairs it, residents' calls close with it") {
  E2eSuite suite;
  const SimRun run = PlayScenario(suite, "cabinet-power-loss", "15", 300s);
  INFO(run.LogTail() << "\n" << suite.Logs());

  const auto incidents = suite.Incidents();
  const iv1::Incident cabinet =
      OneParentIncident(suite, incidents, tv1::ASSET_KIND_CONTROL_CABINET, tv1::ASSET_KIND_LIGHT_POINT);
  CHECK(cabinet.required_skill() == "street_lighting");

  const dv1::WorkOrder order = CompletedOrder(suite, cabinet, "street_lighting");
  const iv1::Incident resolved = WaitResolved(suite, cabinet.id(), 90s);
  CHECK(resolved.resolved_at().seconds() >= order.completed_at().seconds());
  for (const auto& symptom : resolved.symptoms()) {
    INFO(symptom.asset_id());
    CHECK_FALSE(symptom.active());  // the crew's repair brought them all back
  }

  // The residents who called about the dark street: linked to the cabinet's
  // incident (none opened one of its own), closed with it.
  std::vector<cv1::ResidentRequest> lighting_calls;
  const bool closed = Eventually(
      [&] {
        lighting_calls.clear();
        for (const auto& r : suite.Requests()) {
          if (r.category() == "street_lighting") lighting_calls.push_back(r);
        }
        return !lighting_calls.empty() &&
               std::all_of(lighting_calls.begin(), lighting_calls.end(),
                           [](const cv1::ResidentRequest& r) { return r.status() == cv1::REQUEST_STATUS_CLOSED; });
      },
      60s);
  CHECK(closed);
  CHECK(lighting_calls.size() >= 2);
  for (const auto& call : lighting_calls) {
    INFO(call.DebugString());
    CHECK(call.incident_id() == cabinet.id());
    CHECK(call.linked_to_known_incident());
  }
  CHECK(resolved.requests_size() == static_cast<int>(lighting_calls.size()));
  CHECK(OfKind(suite.Incidents(), tv1::ASSET_KIND_UNSPECIFIED).empty());  // no incident opened by a call

  const json& report = run.report;
  CheckReportAgainstServices(suite, report, incidents);
  CHECK(report["incidents_opened"].get<int>() - report["incidents_merged"].get<int>() == 1);
  CHECK(report["faults_raised"].get<int>() >= resolved.symptoms_size());  // a fault at least per symptom
  CHECK(report["calls_received"].get<int>() == static_cast<int>(lighting_calls.size()));
  CHECK(report["calls_linked"].get<int>() == static_cast<int>(lighting_calls.size()));
}

TEST_CASE("Fibre cut: one incident on the access-point site, not one per camera, for a fibre crew") {
  E2eSuite suite;
  const SimRun run = PlayScenario(suite, "fibre-cut", "15", 300s);
  INFO(run.LogTail() << "\n" << suite.Logs());

  const auto incidents = suite.Incidents();
  const iv1::Incident site =
      OneParentIncident(suite, incidents, tv1::ASSET_KIND_ACCESS_POINT_SITE, tv1::ASSET_KIND_CAMERA);
  CHECK(site.required_skill() == "network_fibre");
  CompletedOrder(suite, site, "network_fibre");
  WaitResolved(suite, site.id(), 90s);
  CheckReportAgainstServices(suite, run.report, incidents);
  CHECK(run.report["incidents_opened"].get<int>() - run.report["incidents_merged"].get<int>() == 1);
}

TEST_CASE("School fire alarm: critical, and it takes the nearest building-security crew from its low-priority job") {
  E2eSuite suite;
  const SimRun run = PlayScenario(suite, "school-fire-alarm", "10", 300s);
  INFO(run.LogTail() << "\n" << suite.Logs());

  const auto incidents = suite.Incidents();
  std::vector<iv1::Incident> fires;
  for (const auto& i : OfKind(incidents, tv1::ASSET_KIND_BUILDING_ALARM_PANEL)) {
    if (i.fault_type() == tv1::FAULT_TYPE_FIRE_ALARM) fires.push_back(i);
  }
  REQUIRE(fires.size() == 1);
  const iv1::Incident& fire = fires.front();
  CHECK(fire.priority() == iv1::PRIORITY_CRITICAL);
  CHECK(fire.required_skill() == "building_security");
  const tv1::Asset school = suite.Asset(fire.asset_id());
  REQUIRE(school.attributes().count("building") == 1);
  CHECK_THAT(school.attributes().at("building"), Catch::Contains("school"));

  // The fire's order went to the building-security crew nearest the school
  // when it was assigned: where each crew was then, as dispatch told it on
  // its crews topic (its home base before any position).
  const auto orders = OrdersFor(suite, fire.id());
  REQUIRE_FALSE(orders.empty());
  const dv1::WorkOrder& order = orders.front();
  INFO(order.DebugString());
  REQUIRE(order.has_assigned_at());
  const auto assigned_at = common::FromProtoTime(order.assigned_at());
  std::map<std::string, std::pair<double, double>> where;  // crew -> (lat, lon)
  for (const auto& crew : suite.Crews()) {
    if (HasSkill(crew, "building_security")) where[crew.id()] = {crew.home_base().lat(), crew.home_base().lon()};
  }
  REQUIRE_FALSE(where.empty());
  for (const auto& event : suite.CrewEvents()) {
    const auto it = where.find(event.crew().id());
    if (it == where.end() || !event.crew().has_position()) continue;
    if (common::FromProtoTime(event.meta().occurred_at()) > assigned_at) continue;
    it->second = {event.crew().position().lat(), event.crew().position().lon()};
  }
  std::string nearest;
  double nearest_m = 0;
  std::string distances;
  for (const auto& [id, at] : where) {
    const double m = common::DistanceMeters(at.first, at.second, school.location().lat(), school.location().lon());
    distances += id + ": " + std::to_string(m) + " m\n";
    if (nearest.empty() || m < nearest_m) {
      nearest = id;
      nearest_m = m;
    }
  }
  INFO("building-security crews from the school when the fire was assigned:\n" << distances);
  REQUIRE(where.count(order.crew_id()) == 1);
  const auto& chosen = where[order.crew_id()];
  const double chosen_m =
      common::DistanceMeters(chosen.first, chosen.second, school.location().lat(), school.location().lon());
  // The nearest, or as near within the last position update's drift (25 m).
  CHECK(chosen_m <= nearest_m + 25);

  // That crew was on a low-priority order, which the fire preempted (the
  // PREEMPTED event has the order back in the queue, without its crew: the
  // crew is the one its events named before).
  std::map<std::string, std::string> crew_of;  // work order -> its last crew
  bool preempted_low = false;
  for (const auto& event : suite.AssignmentEvents()) {
    const auto& wo = event.work_order();
    if (event.change() == dv1::ASSIGNMENT_CHANGE_PREEMPTED) {
      if (wo.priority() == iv1::PRIORITY_LOW && crew_of[wo.id()] == order.crew_id()) preempted_low = true;
    }
    if (!wo.crew_id().empty()) crew_of[wo.id()] = wo.crew_id();
  }
  CHECK(preempted_low);
  CHECK(run.report["preemptions"].get<int>() >= 1);

  // The crew resets the alarm, and the incident resolves after it.
  const dv1::WorkOrder done = CompletedOrder(suite, fire, "building_security");
  CHECK(done.crew_id() == order.crew_id());
  const iv1::Incident resolved = WaitResolved(suite, fire.id(), 90s);
  CHECK(resolved.resolved_at().seconds() >= done.completed_at().seconds());
  CheckReportAgainstServices(suite, run.report, incidents);
}

}  // namespace
}  // namespace cityops::testing
