// The crisis book: proposals from the triggers, declaring, grouping and
// raising incidents, changing scope, ending (and what ending gives back),
// dismissing, and the action results the runner reports.
#include <catch2/catch.hpp>

#include "cityops/common/districts.h"
#include "domain/crisis_book.h"
#include "fixtures.h"

namespace cityops::incidents {
namespace {

using namespace testing;  // NOLINT(google-build-using-namespace): test fixtures

const crisis::Playbooks& ShippedPlaybooks() {
  static const crisis::Playbooks playbooks = [] {
    auto p = crisis::Playbooks::FromJson(crisis::DefaultPlaybooksJson(), "playbooks.json");
    if (!p.ok()) throw std::runtime_error(std::string(p.status().message()));
    return *p;
  }();
  return playbooks;
}

// The fixtures' city plus a snow sensor in districts 3, 5, 9 and 12 and a
// flood sensor in district 7.
Topology CrisisTopology() {
  Topology t = MakeTopology();
  const int districts[] = {3, 5, 9, 12};
  for (int i = 0; i < 4; ++i) {
    t.Upsert({"ss-" + std::to_string(i + 1), tv1::ASSET_KIND_SNOW_SENSOR, "", districts[i], 47.31 + 0.01 * i, 5.03, 1});
  }
  t.Upsert({"fs-1", tv1::ASSET_KIND_FLOOD_SENSOR, "", 7, 47.305, 5.02, 1});
  t.Upsert({"fs-2", tv1::ASSET_KIND_FLOOD_SENSOR, "", 7, 47.306, 5.021, 1});
  return t;
}

struct World {
  Rules rules = DefaultRules();
  Topology topology = CrisisTopology();
  Correlator correlator{rules, topology};
  CrisisBook book{ShippedPlaybooks(), common::DistrictMap::Dijon()};
  TimePoint now = kT0;

  std::string Raise(const std::string& asset, tv1::FaultType type) {
    Changes changes;
    const Outcome o = correlator.OnFault(Fault(topology, asset, type, now), now, changes);
    CrisisChanges crisis_changes;
    book.OnIncidents(correlator, changes.TouchedIds(), now, changes, crisis_changes);
    return o.incident_id;
  }

  CrisisChanges Tick() {
    CrisisChanges out;
    book.EvaluateTriggers(correlator, now, out);
    return out;
  }

  absl::StatusOr<std::string> Declare(const std::string& crisis_id, const std::string& playbook,
                                      std::vector<int> districts, const std::string& actor = "sam.supervisor") {
    v1::DeclareCrisisRequest r;
    r.set_crisis_id(crisis_id);
    r.set_playbook(playbook);
    for (int d : districts) r.add_districts(d);
    r.set_actor(actor);
    Changes changes;
    CrisisChanges out;
    return book.Declare(r, now, correlator, changes, out);
  }

  absl::Status End(const std::string& id, const std::string& actor = "sam.supervisor") {
    Changes changes;
    CrisisChanges out;
    return book.End(id, actor, "thaw", now, correlator, changes, out);
  }

  const v1::CrisisAction* Action(const std::string& crisis_id, const std::string& action_id) {
    for (const auto& a : book.Find(crisis_id)->actions()) {
      if (a.id() == action_id) return &a;
    }
    return nullptr;
  }

  bool HasEntry(const std::string& crisis_id, v1::CrisisTimelineKind kind) {
    for (const auto& e : book.Find(crisis_id)->timeline()) {
      if (e.kind() == kind) return true;
    }
    return false;
  }
};

TEST_CASE("Ice in three districts proposes a snow crisis over them, once", "[crisis][trigger]") {
  World w;
  w.Raise("ss-1", tv1::FAULT_TYPE_ICE_ON_ROAD);
  w.Raise("ss-2", tv1::FAULT_TYPE_ICE_ON_ROAD);
  CHECK(w.Tick().empty());  // two districts: below the trigger

  w.Raise("ss-3", tv1::FAULT_TYPE_ICE_ON_ROAD);
  const CrisisChanges out = w.Tick();
  REQUIRE(out.records().size() == 1);
  CHECK(out.records()[0].change == v1::CRISIS_CHANGE_PROPOSED);
  const v1::Crisis* c = w.book.Find(out.records()[0].crisis_id);
  REQUIRE(c != nullptr);
  CHECK(c->status() == v1::CRISIS_STATUS_PROPOSED);
  CHECK(c->playbook() == "snow");
  CHECK(std::vector<int>(c->districts().begin(), c->districts().end()) == std::vector<int>{3, 5, 9});
  CHECK(c->proposed_by() == "platform");
  CHECK(c->reason().find("ICE_ON_ROAD") != std::string::npos);
  CHECK(w.Tick().empty());  // nothing new: not proposed twice

  // A fourth district grows the proposal rather than making another.
  w.Raise("ss-4", tv1::FAULT_TYPE_ICE_ON_ROAD);
  const CrisisChanges grown = w.Tick();
  REQUIRE(grown.records().size() == 1);
  CHECK(grown.records()[0].change == v1::CRISIS_CHANGE_SCOPE_CHANGED);
  CHECK(w.book.Find(c->id())->districts_size() == 4);
}

TEST_CASE("Declaring groups the districts' incidents, raises the playbook's kinds and opens the crisis incident",
          "[crisis][declare]") {
  World w;
  const std::string ice3 = w.Raise("ss-1", tv1::FAULT_TYPE_ICE_ON_ROAD);      // district 3
  const std::string ice5 = w.Raise("ss-2", tv1::FAULT_TYPE_ICE_ON_ROAD);      // district 5
  const std::string other = w.Raise("tc-1", tv1::FAULT_TYPE_DEVICE_FAILURE);  // district 1, not covered
  REQUIRE(w.correlator.Find(ice3)->priority() == v1::PRIORITY_HIGH);

  auto id = w.Declare({}, "snow", {5, 3});
  REQUIRE(id.ok());
  const v1::Crisis& c = *w.book.Find(*id);
  CHECK(c.status() == v1::CRISIS_STATUS_ACTIVE);
  CHECK(std::vector<int>(c.districts().begin(), c.districts().end()) == std::vector<int>{3, 5});
  CHECK(c.declared_by() == "sam.supervisor");
  CHECK(c.grouped_incidents() == 2);

  const v1::Incident* crisis_incident = w.correlator.Find(c.incident_id());
  REQUIRE(crisis_incident != nullptr);
  CHECK(crisis_incident->rule() == v1::RULE_CRISIS);
  CHECK(crisis_incident->crisis_id() == *id);
  CHECK(crisis_incident->required_skill().empty());

  for (const auto& incident_id : {ice3, ice5}) {
    const v1::Incident* i = w.correlator.Find(incident_id);
    CHECK(i->crisis_id() == *id);
    CHECK(i->priority() == v1::PRIORITY_CRITICAL);
    CHECK(i->priority_before_crisis() == v1::PRIORITY_HIGH);
  }
  CHECK(w.correlator.Find(other)->crisis_id().empty());

  // Actions: priority applied at once; lighting and crews wait for the runner.
  CHECK(w.Action(*id, "priority")->state() == v1::CRISIS_ACTION_STATE_APPLIED);
  CHECK(w.Action(*id, "lighting:d3")->state() == v1::CRISIS_ACTION_STATE_PENDING);
  CHECK(w.Action(*id, "lighting:d5")->state() == v1::CRISIS_ACTION_STATE_PENDING);
  CHECK(w.Action(*id, "lighting:d9") == nullptr);
  CHECK(w.HasEntry(*id, v1::CRISIS_TIMELINE_KIND_DECLARED));
  CHECK(w.HasEntry(*id, v1::CRISIS_TIMELINE_KIND_INCIDENT_GROUPED));
  CHECK(w.HasEntry(*id, v1::CRISIS_TIMELINE_KIND_PRIORITY_RAISED));

  // An incident opened later in a covered district joins as it opens.
  const std::string later = w.Raise("ss-3", tv1::FAULT_TYPE_ICE_ON_ROAD);  // district 9: not covered
  CHECK(w.correlator.Find(later)->crisis_id().empty());
  const std::string cabinet = w.Raise("cab-1", tv1::FAULT_TYPE_POWER_LOSS);  // district 4: not covered
  CHECK(w.correlator.Find(cabinet)->crisis_id().empty());
}

TEST_CASE("Ending gives back the priorities it raised and nothing else, and undoes its actions", "[crisis][end]") {
  World w;
  const std::string ice = w.Raise("ss-1", tv1::FAULT_TYPE_ICE_ON_ROAD);
  auto id = w.Declare({}, "snow", {3});
  REQUIRE(id.ok());
  const std::string incident_id = w.book.Find(*id)->incident_id();

  // The runner applied the lighting; a crew could not be found yet.
  CrisisChanges out;
  REQUIRE(w.book.RecordAction(*id, "lighting:d3", {ActionOutcome::Kind::kApplied, "ovr-7", ""}, w.now, out).ok());
  REQUIRE(w.book.RecordAction(*id, "preposition:roads:d3:1", {ActionOutcome::Kind::kWaiting, "", "no crew"}, w.now, out)
              .ok());
  CHECK(w.Action(*id, "lighting:d3")->state() == v1::CRISIS_ACTION_STATE_APPLIED);
  CHECK(w.Action(*id, "lighting:d3")->target() == "ovr-7");

  w.now += std::chrono::minutes(30);
  REQUIRE(w.End(*id).ok());
  const v1::Crisis& c = *w.book.Find(*id);
  CHECK(c.status() == v1::CRISIS_STATUS_ENDED);
  CHECK(c.ended_by() == "sam.supervisor");
  const v1::Incident* i = w.correlator.Find(ice);
  CHECK(i->priority() == v1::PRIORITY_HIGH);
  CHECK(i->priority_before_crisis() == v1::PRIORITY_UNSPECIFIED);
  CHECK(i->crisis_id() == *id);  // it stays part of the crisis's history
  CHECK(w.correlator.Find(incident_id)->status() == v1::INCIDENT_STATUS_RESOLVED);
  CHECK(w.Action(*id, "priority")->state() == v1::CRISIS_ACTION_STATE_REVERTED);
  CHECK(w.Action(*id, "lighting:d3")->state() == v1::CRISIS_ACTION_STATE_REVERTING);

  // The runner is given the lighting to undo, and the crew action (in case a try staged one).
  std::set<std::string> to_run;
  for (const auto& work : w.book.ActionsToRun()) to_run.insert(work.action.id());
  CHECK(to_run.count("lighting:d3") == 1);
  CHECK(to_run.count("priority") == 0);
  REQUIRE(w.book.RecordAction(*id, "lighting:d3", {ActionOutcome::Kind::kReverted, "ovr-7", ""}, w.now, out).ok());
  CHECK(w.Action(*id, "lighting:d3")->state() == v1::CRISIS_ACTION_STATE_REVERTED);
  CHECK(w.HasEntry(*id, v1::CRISIS_TIMELINE_KIND_ACTION_REVERTED));
  CHECK(w.HasEntry(*id, v1::CRISIS_TIMELINE_KIND_ENDED));
}

TEST_CASE("A resident call of a raised category is raised too, and given back at the end", "[crisis][calls]") {
  World w;
  auto request = Request("r1", "roads", 47.3, 5.04, w.now);
  request.mutable_request()->set_district(3);
  Changes changes;
  const Outcome o = w.correlator.OnRequest(request, w.now, changes);
  const v1::Priority base = w.correlator.Find(o.incident_id)->priority();
  REQUIRE(base < v1::PRIORITY_CRITICAL);
  auto other = Request("r2", "bulky_items", 47.3, 5.06, w.now);
  other.mutable_request()->set_district(3);
  const Outcome o2 = w.correlator.OnRequest(other, w.now, changes);
  const v1::Priority other_base = w.correlator.Find(o2.incident_id)->priority();

  auto id = w.Declare({}, "snow", {3});
  REQUIRE(id.ok());
  CHECK(w.correlator.Find(o.incident_id)->priority() == v1::PRIORITY_CRITICAL);
  // Another category is grouped but keeps its priority.
  CHECK(w.correlator.Find(o2.incident_id)->crisis_id() == *id);
  CHECK(w.correlator.Find(o2.incident_id)->priority() == other_base);
  CHECK(w.correlator.Find(o2.incident_id)->priority_before_crisis() == v1::PRIORITY_UNSPECIFIED);

  REQUIRE(w.End(*id).ok());
  CHECK(w.correlator.Find(o.incident_id)->priority() == base);
  CHECK(w.correlator.Find(o2.incident_id)->priority() == other_base);
}

TEST_CASE("Changing scope adds the new districts' actions and undoes the removed ones'", "[crisis][scope]") {
  World w;
  const std::string ice3 = w.Raise("ss-1", tv1::FAULT_TYPE_ICE_ON_ROAD);
  const std::string ice9 = w.Raise("ss-3", tv1::FAULT_TYPE_ICE_ON_ROAD);
  auto id = w.Declare({}, "snow", {3});
  REQUIRE(id.ok());
  CrisisChanges out;
  REQUIRE(w.book.RecordAction(*id, "lighting:d3", {ActionOutcome::Kind::kApplied, "ovr-1", ""}, w.now, out).ok());

  Changes changes;
  REQUIRE(w.book.ChangeScope(*id, {9}, "sam.supervisor", "moved north", w.now, w.correlator, changes, out).ok());
  const v1::Crisis& c = *w.book.Find(*id);
  CHECK(std::vector<int>(c.districts().begin(), c.districts().end()) == std::vector<int>{9});
  CHECK(w.Action(*id, "lighting:d3")->state() == v1::CRISIS_ACTION_STATE_REVERTING);
  CHECK(w.Action(*id, "lighting:d9")->state() == v1::CRISIS_ACTION_STATE_PENDING);
  // District 3's incident gets its priority back; district 9's is raised.
  CHECK(w.correlator.Find(ice3)->priority() == v1::PRIORITY_HIGH);
  CHECK(w.correlator.Find(ice9)->priority() == v1::PRIORITY_CRITICAL);
  CHECK(w.correlator.Find(ice9)->crisis_id() == *id);
  CHECK(w.HasEntry(*id, v1::CRISIS_TIMELINE_KIND_SCOPE_CHANGED));

  // Unknown districts: refused, nothing changed.
  const int64_t version = c.version();
  auto bad = w.book.ChangeScope(*id, {9, 99}, "sam.supervisor", "", w.now, w.correlator, changes, out);
  CHECK(bad.code() == absl::StatusCode::kInvalidArgument);
  CHECK(std::string(bad.message()).find("99") != std::string::npos);
  CHECK(w.book.Find(*id)->version() == version);
}

TEST_CASE("Bad commands are refused with a clear error and change nothing", "[crisis][errors]") {
  World w;
  auto unknown_district = w.Declare({}, "snow", {3, 42});
  CHECK(unknown_district.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(std::string(unknown_district.status().message()).find("unknown district 42") != std::string::npos);
  CHECK(w.book.All().empty());
  CHECK(w.correlator.All().empty());  // no crisis incident either

  CHECK(w.Declare({}, "snow", {}).status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(w.Declare({}, "tornado", {3}).status().code() == absl::StatusCode::kNotFound);
  CHECK(w.Declare({}, "snow", {3}, "").status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(w.Declare("CRI-00000099", "", {}).status().code() == absl::StatusCode::kNotFound);

  auto id = w.Declare({}, "snow", {3});
  REQUIRE(id.ok());
  // A second snow crisis: change the first one's scope instead.
  CHECK(w.Declare({}, "snow", {5}).status().code() == absl::StatusCode::kFailedPrecondition);
  REQUIRE(w.End(*id).ok());
  // Ending one that is not active.
  const absl::Status again = w.End(*id);
  CHECK(again.code() == absl::StatusCode::kFailedPrecondition);
  CHECK(std::string(again.message()).find("not active") != std::string::npos);
  CHECK(w.End("CRI-12345678").code() == absl::StatusCode::kNotFound);
  // Declaring an ended crisis, dismissing one that is not a proposal.
  CHECK(w.Declare(*id, "", {}).status().code() == absl::StatusCode::kFailedPrecondition);
  CrisisChanges out;
  CHECK(w.book.Dismiss(*id, "sam.supervisor", "", w.now, out).code() == absl::StatusCode::kFailedPrecondition);
}

TEST_CASE("A dismissed proposal is not proposed again for an hour unless it spreads", "[crisis][dismiss]") {
  World w;
  w.Raise("ss-1", tv1::FAULT_TYPE_ICE_ON_ROAD);
  w.Raise("ss-2", tv1::FAULT_TYPE_ICE_ON_ROAD);
  w.Raise("ss-3", tv1::FAULT_TYPE_ICE_ON_ROAD);
  const CrisisChanges proposed = w.Tick();
  REQUIRE(proposed.records().size() == 1);
  const std::string id = proposed.records()[0].crisis_id;
  CrisisChanges out;
  REQUIRE(w.book.Dismiss(id, "sam.supervisor", "only frost", w.now, out).ok());
  CHECK(w.book.Find(id)->status() == v1::CRISIS_STATUS_DISMISSED);

  w.now += std::chrono::minutes(10);
  CHECK(w.Tick().empty());
  w.Raise("ss-4", tv1::FAULT_TYPE_ICE_ON_ROAD);  // district 12: it spreads
  const CrisisChanges spread = w.Tick();
  REQUIRE(spread.records().size() == 1);
  CHECK(spread.records()[0].change == v1::CRISIS_CHANGE_PROPOSED);
  CHECK(spread.records()[0].crisis_id != id);
}

TEST_CASE("Declaring a proposal keeps its id - a flood proposal needs two sensors", "[crisis][declare]") {
  World w;
  w.Raise("fs-1", tv1::FAULT_TYPE_WATER_LEVEL_HIGH);
  CHECK(w.Tick().empty());
  const std::string water = w.Raise("fs-2", tv1::FAULT_TYPE_WATER_LEVEL_HIGH);
  const CrisisChanges proposed = w.Tick();
  REQUIRE(proposed.records().size() == 1);
  const std::string id = proposed.records()[0].crisis_id;
  CHECK(w.book.Find(id)->playbook() == "flood");

  auto declared = w.Declare(id, "", {});
  REQUIRE(declared.ok());
  CHECK(*declared == id);
  CHECK(w.book.Find(id)->status() == v1::CRISIS_STATUS_ACTIVE);
  CHECK(w.correlator.Find(water)->crisis_id() == id);
  CHECK(w.correlator.Find(w.book.Find(id)->incident_id())->priority() == v1::PRIORITY_CRITICAL);
}

TEST_CASE("Action results: applied, late results after the end, waiting details", "[crisis][actions]") {
  World w;
  auto id = w.Declare({}, "snow", {3});
  REQUIRE(id.ok());
  CrisisChanges out;
  // Waiting twice with the same detail changes the crisis once.
  REQUIRE(w.book.RecordAction(*id, "preposition:roads:d3:1", {ActionOutcome::Kind::kWaiting, "", "no crew"}, w.now, out)
              .ok());
  const int64_t version = w.book.Find(*id)->version();
  REQUIRE(w.book.RecordAction(*id, "preposition:roads:d3:1", {ActionOutcome::Kind::kWaiting, "", "no crew"}, w.now, out)
              .ok());
  CHECK(w.book.Find(*id)->version() == version);

  // The crisis ends while the runner stages a crew: the late "applied" leaves it to undo.
  REQUIRE(w.End(*id).ok());
  CHECK(w.Action(*id, "preposition:roads:d3:1")->state() == v1::CRISIS_ACTION_STATE_REVERTING);
  REQUIRE(w.book.RecordAction(*id, "preposition:roads:d3:1", {ActionOutcome::Kind::kApplied, "crew-4", ""}, w.now, out)
              .ok());
  CHECK(w.Action(*id, "preposition:roads:d3:1")->state() == v1::CRISIS_ACTION_STATE_REVERTING);
  CHECK(w.Action(*id, "preposition:roads:d3:1")->target() == "crew-4");

  CHECK(w.book.RecordAction(*id, "nope", {ActionOutcome::Kind::kApplied, "", ""}, w.now, out).code() ==
        absl::StatusCode::kNotFound);

  // Settled crises are forgotten an hour after they end, not before.
  for (const auto& work : w.book.ActionsToRun()) {
    REQUIRE(w.book.RecordAction(*id, work.action.id(), {ActionOutcome::Kind::kReverted, "", ""}, w.now, out).ok());
  }
  CHECK(w.book.ActionsToRun().empty());
  w.book.Forget(w.now + std::chrono::minutes(59));
  CHECK(w.book.Find(*id) != nullptr);
  w.book.Forget(w.now + std::chrono::minutes(61));
  CHECK(w.book.Find(*id) == nullptr);
}

}  // namespace
}  // namespace cityops::incidents
