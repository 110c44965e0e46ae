#include "domain/correlator.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <vector>

#include "fixtures.h"

namespace cityops::incidents {
namespace {

using namespace testing;  // NOLINT(google-build-using-namespace): test fixtures

class World {
 public:
  World() : rules(DefaultRules()), topology(MakeTopology()), correlator(rules, topology) {}
  explicit World(Rules custom) : rules(std::move(custom)), topology(MakeTopology()), correlator(rules, topology) {}

  Outcome Raise(const std::string& asset, tv1::FaultType type, TimePoint at) {
    return correlator.OnFault(Fault(topology, asset, type, at), at, changes);
  }
  Outcome Clear(const std::string& asset, tv1::FaultType type, TimePoint at) {
    return correlator.OnFault(Fault(topology, asset, type, at, false), at, changes);
  }
  std::vector<const v1::Incident*> WithStatus(v1::IncidentStatus status) const {
    std::vector<const v1::Incident*> out;
    for (const auto* i : correlator.All()) {
      if (i->status() == status) out.push_back(i);
    }
    return out;
  }
  const v1::Incident& Get(const std::string& id) const {
    const v1::Incident* i = correlator.Find(id);
    REQUIRE(i != nullptr);
    return *i;
  }

  Rules rules;
  Topology topology;
  Correlator correlator;
  Changes changes;
};

TEST_CASE("Deduplication: one open incident per asset and fault type, repeats count on it", "[correlation]") {
  World w;
  const auto first = w.Raise("tc-1", tv1::FAULT_TYPE_DEVICE_FAILURE, kT0);
  CHECK(first.effect == Outcome::Effect::kOpened);
  CHECK(first.rule == v1::RULE_DEDUPLICATION);
  w.Clear("tc-1", tv1::FAULT_TYPE_DEVICE_FAILURE, kT0 + 5s);
  const auto repeat = w.Raise("tc-1", tv1::FAULT_TYPE_DEVICE_FAILURE, kT0 + 10s);
  CHECK(repeat.effect == Outcome::Effect::kRepeated);
  CHECK(repeat.incident_id == first.incident_id);
  const auto& incident = w.Get(first.incident_id);
  CHECK(incident.occurrences() == 2);
  REQUIRE(incident.symptoms_size() == 1);
  CHECK(incident.symptoms(0).count() == 2);
  CHECK(incident.symptoms(0).active());
  CHECK(common::FromProtoTime(incident.last_seen_at()) == kT0 + 10s);
  CHECK(incident.explanation().find("Deduplication rule") != std::string::npos);

  const auto other = w.Raise("tc-1", tv1::FAULT_TYPE_TAMPER, kT0 + 20s);
  CHECK(other.effect == Outcome::Effect::kOpened);
  CHECK(other.incident_id != first.incident_id);
  CHECK(w.correlator.open_count() == 2);
}

TEST_CASE("Priority and skill come from the asset kind and fault type", "[correlation]") {
  World w;
  const auto fire = w.Raise("bap-1", tv1::FAULT_TYPE_FIRE_ALARM, kT0);
  const auto junction = w.Raise("tc-1", tv1::FAULT_TYPE_COMMUNICATION_LOSS, kT0);
  const auto lamp = w.Raise(LampId(5), tv1::FAULT_TYPE_LAMP_FAILURE, kT0);
  const auto intrusion = w.Raise("bap-1", tv1::FAULT_TYPE_INTRUSION, kT0);
  CHECK(w.Get(fire.incident_id).priority() == v1::PRIORITY_CRITICAL);
  CHECK(w.Get(fire.incident_id).required_skill() == "building_security");
  CHECK(w.Get(junction.incident_id).priority() == v1::PRIORITY_HIGH);
  CHECK(w.Get(junction.incident_id).required_skill() == "traffic_signals");
  CHECK(w.Get(lamp.incident_id).priority() == v1::PRIORITY_LOW);
  CHECK(w.Get(lamp.incident_id).required_skill() == "street_lighting");
  CHECK(w.Get(intrusion.incident_id).priority() == v1::PRIORITY_HIGH);
  CHECK(w.Get(intrusion.incident_id).required_skill() == "municipal_police");
}

TEST_CASE("Topology: 40 lamps of one cabinet going dark within a minute are one incident on the cabinet",
          "[correlation]") {
  World w;
  for (int i = 0; i < 40; ++i)
    w.Raise(LampId(i), tv1::FAULT_TYPE_LAMP_FAILURE, kT0 + std::chrono::milliseconds(1500 * i));
  const auto open = w.WithStatus(v1::INCIDENT_STATUS_OPEN);
  REQUIRE(open.size() == 1);
  const v1::Incident& cabinet = *open.front();
  CHECK(cabinet.rule() == v1::RULE_TOPOLOGY);
  CHECK(cabinet.asset_id() == "cab-1");
  CHECK(cabinet.asset_kind() == tv1::ASSET_KIND_CONTROL_CABINET);
  CHECK(cabinet.fault_type() == tv1::FAULT_TYPE_POWER_LOSS);
  CHECK(cabinet.symptoms_size() == 40);
  CHECK(cabinet.occurrences() == 40);
  CHECK(cabinet.district() == 4);
  CHECK(cabinet.title().find("cabinet power loss") != std::string::npos);
  CHECK(cabinet.explanation().find("40 of 40 children") != std::string::npos);
  // The two lamps that failed before the threshold had incidents of their own, now merged.
  const auto merged = w.WithStatus(v1::INCIDENT_STATUS_MERGED);
  CHECK(merged.size() == static_cast<size_t>(w.rules.min_children - 1));
  for (const auto* m : merged) CHECK(m->merged_into() == cabinet.id());
}

TEST_CASE("Topology: children failing further apart than the window stay separate", "[correlation]") {
  World w;
  w.Raise(LampId(1), tv1::FAULT_TYPE_LAMP_FAILURE, kT0);
  w.Raise(LampId(2), tv1::FAULT_TYPE_LAMP_FAILURE, kT0 + 3min);
  w.Raise(LampId(3), tv1::FAULT_TYPE_LAMP_FAILURE, kT0 + 6min);
  CHECK(w.WithStatus(v1::INCIDENT_STATUS_OPEN).size() == 3);
  for (const auto* i : w.WithStatus(v1::INCIDENT_STATUS_OPEN)) CHECK(i->rule() == v1::RULE_DEDUPLICATION);
}

TEST_CASE("Topology: half of a small cabinet's lamps is enough", "[correlation]") {
  World w;
  w.Raise(LampId(100), tv1::FAULT_TYPE_LAMP_FAILURE, kT0);
  const auto second = w.Raise(LampId(101), tv1::FAULT_TYPE_SILENT, kT0 + 10s);
  CHECK(second.effect == Outcome::Effect::kOpened);
  CHECK(second.rule == v1::RULE_TOPOLOGY);
  CHECK(w.Get(second.incident_id).asset_id() == "cab-2");
  CHECK(w.Get(second.incident_id).symptoms_size() == 2);
}

TEST_CASE("Topology: children that fail later join the parent's incident", "[correlation]") {
  World w;
  for (int i = 0; i < 3; ++i) w.Raise(CameraId(i), tv1::FAULT_TYPE_COMMUNICATION_LOSS, kT0 + std::chrono::seconds(i));
  const auto later = w.Raise(CameraId(7), tv1::FAULT_TYPE_SILENT, kT0 + 10min);
  CHECK(later.effect == Outcome::Effect::kJoined);
  const auto& site = w.Get(later.incident_id);
  CHECK(site.asset_id() == "aps-1");
  CHECK(site.title().find("Access-point site down") != std::string::npos);
  CHECK(site.priority() == v1::PRIORITY_HIGH);
  CHECK(site.required_skill() == "network_fibre");
  CHECK(site.symptoms_size() == 4);
}

TEST_CASE("Topology: a fault type outside the rule does not group", "[correlation]") {
  World w;
  for (int i = 0; i < 5; ++i) w.Raise(LampId(i), tv1::FAULT_TYPE_TAMPER, kT0 + std::chrono::seconds(i));
  CHECK(w.WithStatus(v1::INCIDENT_STATUS_OPEN).size() == 5);
}

TEST_CASE("The parent's own fault gathers its children's recent incidents and later ones", "[correlation]") {
  World w;
  w.Raise(LampId(1), tv1::FAULT_TYPE_SILENT, kT0);
  const auto cabinet = w.Raise("cab-1", tv1::FAULT_TYPE_POWER_LOSS, kT0 + 5s);
  CHECK(cabinet.effect == Outcome::Effect::kOpened);
  const auto later = w.Raise(LampId(2), tv1::FAULT_TYPE_SILENT, kT0 + 20s);
  CHECK(later.effect == Outcome::Effect::kJoined);
  CHECK(later.incident_id == cabinet.incident_id);
  const auto open = w.WithStatus(v1::INCIDENT_STATUS_OPEN);
  REQUIRE(open.size() == 1);
  CHECK(open.front()->symptoms_size() == 3);  // the cabinet and two lamps
}

TEST_CASE("Resolution: recovered assets resolve the incident after the hold, not before", "[correlation]") {
  World w;
  for (int i = 0; i < 40; ++i) w.Raise(LampId(i), tv1::FAULT_TYPE_LAMP_FAILURE, kT0);
  const std::string id = w.WithStatus(v1::INCIDENT_STATUS_OPEN).front()->id();
  for (int i = 0; i < 39; ++i) w.Clear(LampId(i), tv1::FAULT_TYPE_LAMP_FAILURE, kT0 + 60s);
  w.correlator.Tick(kT0 + 10min, w.changes);
  CHECK(w.Get(id).status() == v1::INCIDENT_STATUS_OPEN);  // one lamp is still dark
  w.Clear(LampId(39), tv1::FAULT_TYPE_LAMP_FAILURE, kT0 + 11min);
  w.correlator.Tick(kT0 + 11min + w.rules.resolve_hold - 1s, w.changes);
  CHECK(w.Get(id).status() == v1::INCIDENT_STATUS_OPEN);
  w.changes.clear();
  w.correlator.Tick(kT0 + 11min + w.rules.resolve_hold, w.changes);
  CHECK(w.Get(id).status() == v1::INCIDENT_STATUS_RESOLVED);
  CHECK(w.Get(id).resolved_by() == "incident-correlation");
  REQUIRE(w.changes.records().size() == 1);
  CHECK(w.changes.records()[0].change == v1::INCIDENT_CHANGE_RESOLVED);
}

TEST_CASE("Resolution waits while a crew is working on the incident", "[correlation]") {
  World w;
  const auto opened = w.Raise("tc-1", tv1::FAULT_TYPE_DEVICE_FAILURE, kT0);
  REQUIRE(w.correlator.SetCrewWorking(opened.incident_id, true, kT0 + 1min, w.changes).ok());
  w.Clear("tc-1", tv1::FAULT_TYPE_DEVICE_FAILURE, kT0 + 2min);
  w.correlator.Tick(kT0 + 30min, w.changes);
  CHECK(w.Get(opened.incident_id).status() == v1::INCIDENT_STATUS_OPEN);
  REQUIRE(w.correlator.SetCrewWorking(opened.incident_id, false, kT0 + 31min, w.changes).ok());
  w.correlator.Tick(kT0 + 31min + w.rules.resolve_hold, w.changes);
  CHECK(w.Get(opened.incident_id).status() == v1::INCIDENT_STATUS_RESOLVED);
}

TEST_CASE("A fault that comes back during the hold keeps the incident open", "[correlation]") {
  World w;
  const auto opened = w.Raise("tc-1", tv1::FAULT_TYPE_DEVICE_FAILURE, kT0);
  w.Clear("tc-1", tv1::FAULT_TYPE_DEVICE_FAILURE, kT0 + 10s);
  w.Raise("tc-1", tv1::FAULT_TYPE_DEVICE_FAILURE, kT0 + 20s);
  w.correlator.Tick(kT0 + 10min, w.changes);
  CHECK(w.Get(opened.incident_id).status() == v1::INCIDENT_STATUS_OPEN);
  CHECK(w.correlator.open_count() == 1);
}

TEST_CASE("Flapping equipment reopens one incident, then stops resolving itself", "[correlation]") {
  World w;
  const auto opened = w.Raise("tc-1", tv1::FAULT_TYPE_DEVICE_FAILURE, kT0);
  TimePoint t = kT0;
  for (int cycle = 1; cycle <= w.rules.flapping_reopens; ++cycle) {
    w.Clear("tc-1", tv1::FAULT_TYPE_DEVICE_FAILURE, t + 1s);
    w.correlator.Tick(t + 1s + w.rules.resolve_hold, w.changes);
    REQUIRE(w.Get(opened.incident_id).status() == v1::INCIDENT_STATUS_RESOLVED);
    t += w.rules.resolve_hold + 1min;
    const auto back = w.Raise("tc-1", tv1::FAULT_TYPE_DEVICE_FAILURE, t);
    CHECK(back.effect == Outcome::Effect::kReopened);
    CHECK(back.incident_id == opened.incident_id);
  }
  const auto& incident = w.Get(opened.incident_id);
  CHECK(incident.reopen_count() == w.rules.flapping_reopens);
  CHECK(incident.flapping());
  CHECK(incident.explanation().find("Flapping") != std::string::npos);
  w.Clear("tc-1", tv1::FAULT_TYPE_DEVICE_FAILURE, t + 1s);
  w.correlator.Tick(t + 1h, w.changes);
  CHECK(w.Get(opened.incident_id).status() == v1::INCIDENT_STATUS_OPEN);
  // Only one incident was ever opened for it.
  CHECK(w.correlator.held_count() == 1);
}

TEST_CASE("A fault long after its incident resolved opens a new incident", "[correlation]") {
  World w;
  const auto opened = w.Raise("tc-1", tv1::FAULT_TYPE_DEVICE_FAILURE, kT0);
  w.Clear("tc-1", tv1::FAULT_TYPE_DEVICE_FAILURE, kT0 + 1s);
  w.correlator.Tick(kT0 + 1s + w.rules.resolve_hold, w.changes);
  const TimePoint later = kT0 + w.rules.reopen_window + 10min;
  w.correlator.Tick(later, w.changes);  // forgets what can no longer reopen
  const auto again = w.Raise("tc-1", tv1::FAULT_TYPE_DEVICE_FAILURE, later);
  CHECK(again.effect == Outcome::Effect::kOpened);
  CHECK(again.incident_id != opened.incident_id);
}

TEST_CASE("Resident calls link to a matching open incident within the distance", "[correlation]") {
  World w;
  for (int i = 0; i < 5; ++i) w.Raise(LampId(i), tv1::FAULT_TYPE_LAMP_FAILURE, kT0);
  const std::string cabinet = w.WithStatus(v1::INCIDENT_STATUS_OPEN).front()->id();
  // 100 m north of lamp 4, the last one that failed.
  auto near = w.correlator.OnRequest(Request("r1", "street_lighting", LampLat(4) + NorthDegrees(100), 5.0400, kT0 + 1h),
                                     kT0 + 1h, w.changes);
  CHECK(near.effect == Outcome::Effect::kLinked);
  CHECK(near.incident_id == cabinet);
  REQUIRE(w.Get(cabinet).requests_size() == 1);
  CHECK(w.Get(cabinet).requests(0).distance_m() == Approx(100).margin(2));

  SECTION("too far away: the request opens its own incident") {
    auto far = w.correlator.OnRequest(
        Request("r2", "street_lighting", LampLat(4) + NorthDegrees(400), 5.0400, kT0 + 1h), kT0 + 1h, w.changes);
    CHECK(far.effect == Outcome::Effect::kOpened);
    CHECK(far.rule == v1::RULE_RESIDENT_CALL);
    const auto& own = w.Get(far.incident_id);
    CHECK(own.category() == "street_lighting");
    CHECK(own.priority() == v1::PRIORITY_LOW);
    CHECK(own.requests_size() == 1);
  }
  SECTION("another category does not link to a lighting incident") {
    auto roads = w.correlator.OnRequest(Request("r3", "roads", LampLat(4), 5.0400, kT0 + 1h), kT0 + 1h, w.changes);
    CHECK(roads.effect == Outcome::Effect::kOpened);
  }
  SECTION("a request replayed or updated links once") {
    auto again = w.correlator.OnRequest(
        Request("r1", "street_lighting", LampLat(4) + NorthDegrees(100), 5.0400, kT0 + 1h), kT0 + 2h, w.changes);
    CHECK(again.effect == Outcome::Effect::kIgnored);
    CHECK(w.Get(cabinet).requests_size() == 1);
  }
  SECTION("an incident quiet for longer than the link window does not take calls") {
    const TimePoint late = kT0 + w.rules.link_window + 1h;
    auto stale = w.correlator.OnRequest(Request("r4", "street_lighting", LampLat(4), 5.0400, late), late, w.changes);
    CHECK(stale.effect == Outcome::Effect::kOpened);
  }
}

TEST_CASE("Requests near each other gather on the incident the first one opened", "[correlation]") {
  World w;
  auto first = w.correlator.OnRequest(Request("b1", "bulky_items", 47.33, 5.03, kT0), kT0, w.changes);
  auto second = w.correlator.OnRequest(Request("b2", "bulky_items", 47.33 + NorthDegrees(40), 5.03, kT0 + 1h), kT0 + 1h,
                                       w.changes);
  CHECK(first.effect == Outcome::Effect::kOpened);
  CHECK(second.effect == Outcome::Effect::kLinked);
  CHECK(second.incident_id == first.incident_id);
}

TEST_CASE("Many residents calling about one incident raise its priority, up to a ceiling", "[correlation]") {
  World w;
  const auto lamp = w.Raise(LampId(20), tv1::FAULT_TYPE_LAMP_FAILURE, kT0);
  REQUIRE(w.Get(lamp.incident_id).priority() == v1::PRIORITY_LOW);
  const int step = w.rules.calls_per_priority_step;
  for (int i = 0; i < step; ++i) {
    w.correlator.OnRequest(Request("c" + std::to_string(i), "street_lighting", LampLat(20), 5.0401, kT0 + 1min),
                           kT0 + 1min, w.changes);
  }
  CHECK(w.Get(lamp.incident_id).priority() == v1::PRIORITY_NORMAL);
  CHECK(w.Get(lamp.incident_id).base_priority() == v1::PRIORITY_LOW);
  for (int i = step; i < 10 * step; ++i) {
    w.correlator.OnRequest(Request("c" + std::to_string(i), "street_lighting", LampLat(20), 5.0401, kT0 + 2min),
                           kT0 + 2min, w.changes);
  }
  CHECK(w.Get(lamp.incident_id).priority() == w.rules.max_raised_priority);
  CHECK(w.Get(lamp.incident_id).explanation().find("Priority raised") != std::string::npos);
}

TEST_CASE("Operators' commands check the transition and record who and when", "[correlation]") {
  World w;
  const auto opened = w.Raise("tc-1", tv1::FAULT_TYPE_DEVICE_FAILURE, kT0);
  const std::string& id = opened.incident_id;
  REQUIRE(w.correlator.Acknowledge(id, "alice", kT0 + 1min, w.changes).ok());
  CHECK(w.Get(id).status() == v1::INCIDENT_STATUS_ACKNOWLEDGED);
  CHECK(w.Get(id).acknowledged_by() == "alice");
  CHECK(w.correlator.Acknowledge(id, "bob", kT0 + 2min, w.changes).code() == absl::StatusCode::kFailedPrecondition);
  REQUIRE(w.correlator.Assign(id, "alice", "team-signals", "", kT0 + 3min, w.changes).ok());
  CHECK(w.Get(id).owner() == "team-signals");
  REQUIRE(w.correlator.AddNote(id, "bob", "called the maintainer", kT0 + 4min, w.changes).ok());
  CHECK(w.Get(id).notes_size() == 2);
  CHECK(w.correlator.Reopen(id, "bob", "", kT0 + 5min, w.changes).code() == absl::StatusCode::kFailedPrecondition);
  REQUIRE(w.correlator.Resolve(id, "bob", "replaced the controller board", kT0 + 6min, w.changes).ok());
  CHECK(w.Get(id).resolved_by() == "bob");
  CHECK(common::FromProtoTime(w.Get(id).resolved_at()) == kT0 + 6min);
  const auto again = w.correlator.Resolve(id, "bob", "", kT0 + 7min, w.changes);
  CHECK(again.code() == absl::StatusCode::kFailedPrecondition);
  CHECK(std::string(again.message()).find("resolved") != std::string::npos);
  REQUIRE(w.correlator.Reopen(id, "carol", "still dark", kT0 + 8min, w.changes).ok());
  CHECK(w.Get(id).status() == v1::INCIDENT_STATUS_OPEN);
  CHECK(w.Get(id).resolved_by().empty());
  CHECK(w.correlator.Acknowledge("INC-99999999", "alice", kT0, w.changes).code() == absl::StatusCode::kNotFound);
  // Every command is a change recorded with its actor.
  int with_actor = 0;
  for (const auto& r : w.changes.records()) with_actor += r.actor.empty() ? 0 : 1;
  CHECK(with_actor == 5);
}

TEST_CASE("A merged incident refuses commands, naming where it went", "[correlation]") {
  World w;
  const auto first = w.Raise(LampId(1), tv1::FAULT_TYPE_LAMP_FAILURE, kT0);
  w.Raise(LampId(2), tv1::FAULT_TYPE_LAMP_FAILURE, kT0 + 1s);
  w.Raise(LampId(3), tv1::FAULT_TYPE_LAMP_FAILURE, kT0 + 2s);
  REQUIRE(w.Get(first.incident_id).status() == v1::INCIDENT_STATUS_MERGED);
  const auto s = w.correlator.Resolve(first.incident_id, "alice", "", kT0 + 1min, w.changes);
  CHECK(s.code() == absl::StatusCode::kFailedPrecondition);
  CHECK(std::string(s.message()).find(w.Get(first.incident_id).merged_into()) != std::string::npos);
}

TEST_CASE("State reloaded from storage carries on where it was", "[correlation]") {
  World w;
  for (int i = 0; i < 10; ++i) w.Raise(LampId(i), tv1::FAULT_TYPE_LAMP_FAILURE, kT0);
  std::vector<v1::Incident> saved;
  for (const auto* i : w.correlator.All()) saved.push_back(*i);
  const int64_t next = w.correlator.next_number();

  Correlator restarted(w.rules, w.topology);
  restarted.Load(saved, next);
  Changes changes;
  const auto later =
      restarted.OnFault(Fault(w.topology, LampId(10), tv1::FAULT_TYPE_LAMP_FAILURE, kT0 + 5s), kT0 + 5s, changes);
  CHECK(later.effect == Outcome::Effect::kJoined);
  const auto repeat =
      restarted.OnFault(Fault(w.topology, LampId(3), tv1::FAULT_TYPE_LAMP_FAILURE, kT0 + 6s), kT0 + 6s, changes);
  CHECK(repeat.effect == Outcome::Effect::kRepeated);
  CHECK(restarted.open_count() == 1);
  const auto fresh = restarted.OnFault(Fault(w.topology, "tc-1", tv1::FAULT_TYPE_TAMPER, kT0 + 7s), kT0 + 7s, changes);
  CHECK(fresh.incident_id > later.incident_id);  // numbering goes on
}

TEST_CASE("Changes of one incident in one batch fold into one record with every cause", "[correlation]") {
  Changes changes;
  v1::Cause a, b, c;
  a.set_event_id("a");
  b.set_event_id("b");
  c.set_event_id("c");
  changes.Add("INC-1", v1::INCIDENT_CHANGE_OPENED, &a);
  changes.Add("INC-1", v1::INCIDENT_CHANGE_UPDATED, &b);
  changes.Add("INC-2", v1::INCIDENT_CHANGE_UPDATED, &c);
  changes.Add("INC-2", v1::INCIDENT_CHANGE_RESOLVED);
  changes.Add("INC-2", v1::INCIDENT_CHANGE_ACKNOWLEDGED, nullptr, "alice");
  REQUIRE(changes.records().size() == 3);
  CHECK(changes.records()[0].change == v1::INCIDENT_CHANGE_OPENED);
  CHECK(changes.records()[0].causes.size() == 2);
  CHECK(changes.records()[1].change == v1::INCIDENT_CHANGE_RESOLVED);
  CHECK(changes.records()[2].actor == "alice");
  CHECK(changes.TouchedIds() == std::vector<std::string>{"INC-1", "INC-2"});
}

TEST_CASE("Faults without an asset or a type are ignored, changing nothing", "[correlation]") {
  World w;
  auto fault = Fault(w.topology, "tc-1", tv1::FAULT_TYPE_DEVICE_FAILURE, kT0);
  fault.clear_asset_id();
  CHECK(w.correlator.OnFault(fault, kT0, w.changes).effect == Outcome::Effect::kIgnored);
  fault = Fault(w.topology, "tc-1", tv1::FAULT_TYPE_UNSPECIFIED, kT0);
  CHECK(w.correlator.OnFault(fault, kT0, w.changes).effect == Outcome::Effect::kIgnored);
  CHECK(w.changes.empty());
  CHECK(w.correlator.held_count() == 0);
}

}  // namespace
}  // namespace cityops::incidents

namespace cityops::incidents {
namespace {

using namespace testing;  // NOLINT(google-build-using-namespace): test fixtures

TEST_CASE("A crew completing its order resolves an incident opened by residents, equipment must recover first",
          "[correlation]") {
  const Rules rules = DefaultRules();
  const Topology topology = MakeTopology();
  Correlator correlator(rules, topology);
  Changes changes;
  const auto call = correlator.OnRequest(Request("b1", "bulky_items", 47.33, 5.03, kT0), kT0, changes);
  REQUIRE(correlator.SetCrewWorking(call.incident_id, true, kT0 + 1h, changes).ok());
  REQUIRE(correlator.CrewCompleted(call.incident_id, kT0 + 2h, changes).ok());
  CHECK(correlator.Find(call.incident_id)->status() == v1::INCIDENT_STATUS_RESOLVED);
  CHECK_THAT(correlator.Find(call.incident_id)->resolution(), Catch::Contains("crew completed"));

  const auto lamp = correlator.OnFault(Fault(topology, LampId(7), tv1::FAULT_TYPE_LAMP_FAILURE, kT0), kT0, changes);
  REQUIRE(correlator.CrewCompleted(lamp.incident_id, kT0 + 1h, changes).ok());
  CHECK(correlator.Find(lamp.incident_id)->status() == v1::INCIDENT_STATUS_OPEN);  // the lamp is still dark
  CHECK(correlator.CrewCompleted("INC-404", kT0, changes).code() == absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace cityops::incidents
