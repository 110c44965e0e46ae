#include "domain/dispatcher.h"

#include <catch2/catch.hpp>

#include <random>

#include "cityops/common/geo.h"

namespace cityops::dispatch {
namespace {

using namespace std::chrono_literals;
using Kind = Decision::Kind;

const TimePoint kT0 = std::chrono::system_clock::from_time_t(1795000000);

DispatchRules DefaultRules() {
  auto rules = DispatchRules::FromJson(DefaultDispatchRulesJson());
  if (!rules.ok()) throw std::runtime_error(std::string(rules.status().message()));
  return *rules;
}

// Metres north of Dijon's centre, as a point.
Point North(double metres) { return {47.3220 + metres / 111195.0, 5.0410}; }

Crew MakeCrew(const std::string& id, std::set<std::string> skills, Point at) {
  Crew c;
  c.id = id;
  c.name = "Crew " + id;
  c.skills = std::move(skills);
  c.home_base = at;
  c.position = at;
  c.status = CrewStatus::kAvailable;
  return c;
}

class World {
 public:
  World() : rules(DefaultRules()), eta(rules.road_factor, rules.speed_kmh), dispatcher(rules, eta) {}

  void Add(const Crew& crew) { REQUIRE(dispatcher.UpsertCrew(crew, decisions).ok()); }
  std::string Open(const std::string& incident, const std::string& skill, Priority p, Point where, TimePoint at = kT0) {
    return dispatcher.OnIncidentOpened(incident, skill, p, where, 4, "incident " + incident, at, decisions);
  }
  const WorkOrder& Order(const std::string& id) const {
    const WorkOrder* o = dispatcher.FindOrder(id);
    REQUIRE(o != nullptr);
    return *o;
  }
  const Crew& CrewOf(const std::string& id) const {
    const Crew* c = dispatcher.FindCrew(id);
    REQUIRE(c != nullptr);
    return *c;
  }
  bool Decided(Kind kind, const std::string& order, const std::string& crew = {}) const {
    for (const auto& d : decisions.records()) {
      if (d.kind == kind && d.order_id == order && (crew.empty() || d.crew_id == crew)) return true;
    }
    return false;
  }
  // Accept, arrive, complete.
  void Finish(const std::string& crew, const std::string& order, TimePoint at) {
    REQUIRE(dispatcher.Accept(crew, order, at, decisions).ok());
    REQUIRE(dispatcher.Arrive(crew, order, at + 10min, decisions).ok());
    REQUIRE(dispatcher.Complete(crew, order, at + 40min, decisions).ok());
  }

  DispatchRules rules;
  GreatCircleEta eta;
  Dispatcher dispatcher;
  Decisions decisions;
};

TEST_CASE("The nearest available crew with the skill is assigned, with its ETA", "[dispatch]") {
  World w;
  w.Add(MakeCrew("near-but-wrong-skill", {"roads"}, North(100)));
  w.Add(MakeCrew("far", {"street_lighting"}, North(5000)));
  w.Add(MakeCrew("near", {"street_lighting", "roads"}, North(1200)));
  const auto id = w.Open("INC-1", "street_lighting", Priority::kLow, North(0));
  const auto& order = w.Order(id);
  CHECK(order.status == OrderStatus::kAssigned);
  CHECK(order.crew_id == "near");
  // 1,200 m x 1.4 at 30 km/h.
  CHECK(order.eta_s == Approx(1200 * 1.4 / (30 / 3.6)).epsilon(0.01));
  CHECK(w.CrewOf("near").status == CrewStatus::kEnRoute);
  CHECK(w.CrewOf("near").order_id == id);
  CHECK(w.Decided(Kind::kCreated, id));
  CHECK(w.Decided(Kind::kAssigned, id, "near"));
  CHECK(order.arrive_by == kT0 + 24h);
}

TEST_CASE("Equally near crews: the smaller id wins, every time", "[dispatch]") {
  World w;
  // Two crews at the same depot: exactly the same ETA.
  w.Add(MakeCrew("b", {"roads"}, {47.3220, 5.0510}));
  w.Add(MakeCrew("a", {"roads"}, {47.3220, 5.0510}));
  CHECK(w.Order(w.Open("INC-1", "roads", Priority::kNormal, {47.3220, 5.0410})).crew_id == "a");
}

TEST_CASE("With no crew free the order waits, and goes by priority then age when one frees up", "[dispatch]") {
  World w;
  w.Add(MakeCrew("c1", {"roads"}, North(0)));
  const auto first = w.Open("INC-1", "roads", Priority::kNormal, North(100));
  const auto old_low = w.Open("INC-2", "roads", Priority::kLow, North(200), kT0 + 1min);
  const auto high = w.Open("INC-3", "roads", Priority::kHigh, North(9000), kT0 + 2min);
  const auto young_low = w.Open("INC-4", "roads", Priority::kLow, North(50), kT0 + 3min);
  CHECK(w.Order(old_low).status == OrderStatus::kQueued);
  CHECK(w.Decided(Kind::kQueued, old_low));
  CHECK(w.dispatcher.queue_size() == 3);
  CHECK(w.dispatcher.QueueLengths().at(Priority::kLow) == 2);

  w.Finish("c1", first, kT0 + 5min);
  CHECK(w.Order(first).status == OrderStatus::kCompleted);
  CHECK(w.Order(high).crew_id == "c1");  // priority first, though farther
  w.Finish("c1", high, kT0 + 2h);
  CHECK(w.Order(old_low).crew_id == "c1");  // then age, though the younger one is nearer
  CHECK(w.Order(young_low).status == OrderStatus::kQueued);
}

TEST_CASE("A critical order takes the crew of a low-priority one, which goes back to the queue", "[dispatch]") {
  World w;
  w.Add(MakeCrew("c1", {"building_security"}, North(0)));
  const auto low = w.Open("INC-1", "building_security", Priority::kLow, North(100));
  REQUIRE(w.Order(low).crew_id == "c1");
  REQUIRE(w.dispatcher.Accept("c1", low, kT0 + 1min, w.decisions).ok());
  const auto fire = w.Open("INC-2", "building_security", Priority::kCritical, North(3000), kT0 + 2min);
  CHECK(w.Order(fire).crew_id == "c1");
  CHECK(w.Order(low).status == OrderStatus::kQueued);
  CHECK(w.Order(low).crew_id.empty());
  CHECK(w.Decided(Kind::kPreempted, low));
  // The low order gets the crew back once the fire is dealt with.
  w.Finish("c1", fire, kT0 + 3min);
  CHECK(w.Order(low).crew_id == "c1");
}

TEST_CASE("Preemption spares normal-priority orders and crews on site", "[dispatch]") {
  World w;
  w.Add(MakeCrew("c1", {"roads"}, North(0)));
  w.Add(MakeCrew("c2", {"roads"}, North(10)));
  const auto normal = w.Open("INC-1", "roads", Priority::kNormal, North(100));
  const auto low = w.Open("INC-2", "roads", Priority::kLow, North(100));
  const std::string low_crew = w.Order(low).crew_id;
  REQUIRE(w.dispatcher.Arrive(low_crew, low, kT0 + 5min, w.decisions).ok());
  const auto flood = w.Open("INC-3", "roads", Priority::kCritical, North(500), kT0 + 6min);
  CHECK(w.Order(flood).status == OrderStatus::kQueued);
  CHECK(w.Order(normal).status == OrderStatus::kAssigned);
  CHECK(w.Order(low).status == OrderStatus::kOnSite);
}

TEST_CASE("A decline sends the order to the next best crew, never back to the one that declined", "[dispatch]") {
  World w;
  w.Add(MakeCrew("near", {"roads"}, North(100)));
  w.Add(MakeCrew("far", {"roads"}, North(4000)));
  const auto id = w.Open("INC-1", "roads", Priority::kNormal, North(0));
  REQUIRE(w.Order(id).crew_id == "near");
  REQUIRE(w.dispatcher.Decline("near", id, kT0 + 1min, w.decisions).ok());
  CHECK(w.Order(id).crew_id == "far");
  CHECK(w.Order(id).declined_by.count("near") == 1);
  CHECK(w.CrewOf("near").status == CrewStatus::kAvailable);
  CHECK(w.Decided(Kind::kDeclined, id, "near"));
  // When every qualified crew declined, it waits.
  REQUIRE(w.dispatcher.Decline("far", id, kT0 + 2min, w.decisions).ok());
  CHECK(w.Order(id).status == OrderStatus::kQueued);
}

TEST_CASE("An assignment not accepted in time goes to the next crew, the silent one goes off duty", "[dispatch]") {
  World w;
  w.Add(MakeCrew("silent", {"roads"}, North(100)));
  w.Add(MakeCrew("other", {"roads"}, North(900)));
  const auto id = w.Open("INC-1", "roads", Priority::kNormal, North(0));
  w.dispatcher.Tick(kT0 + w.rules.accept_timeout - 1s, w.decisions);
  CHECK(w.Order(id).crew_id == "silent");
  w.dispatcher.Tick(kT0 + w.rules.accept_timeout, w.decisions);
  CHECK(w.Order(id).crew_id == "other");
  CHECK(w.CrewOf("silent").status == CrewStatus::kOffDuty);
}

TEST_CASE("Crews' answers check the transition", "[dispatch]") {
  World w;
  w.Add(MakeCrew("c1", {"roads"}, North(0)));
  w.Add(MakeCrew("c2", {"roads"}, North(5000)));
  const auto id = w.Open("INC-1", "roads", Priority::kNormal, North(10));
  const auto code = [](const absl::Status& s) { return s.code(); };
  CHECK(code(w.dispatcher.Complete("c1", id, kT0, w.decisions)) == absl::StatusCode::kFailedPrecondition);
  CHECK(code(w.dispatcher.Accept("c2", id, kT0, w.decisions)) == absl::StatusCode::kFailedPrecondition);
  CHECK(code(w.dispatcher.Accept("nobody", id, kT0, w.decisions)) == absl::StatusCode::kNotFound);
  CHECK(code(w.dispatcher.Accept("c1", "WO-99999999", kT0, w.decisions)) == absl::StatusCode::kNotFound);
  REQUIRE(w.dispatcher.Accept("c1", id, kT0, w.decisions).ok());
  CHECK(code(w.dispatcher.Accept("c1", id, kT0, w.decisions)) == absl::StatusCode::kFailedPrecondition);
  REQUIRE(w.dispatcher.Arrive("c1", id, kT0 + 5min, w.decisions).ok());
  CHECK(w.CrewOf("c1").status == CrewStatus::kOnSite);
  CHECK(code(w.dispatcher.Decline("c1", id, kT0, w.decisions)) == absl::StatusCode::kFailedPrecondition);
  CHECK(code(w.dispatcher.SetAvailability("c1", false, kT0, w.decisions)) == absl::StatusCode::kFailedPrecondition);
  REQUIRE(w.dispatcher.Complete("c1", id, kT0 + 30min, w.decisions).ok());
  CHECK(w.CrewOf("c1").status == CrewStatus::kAvailable);
  CHECK(w.Order(id).completed_at == kT0 + 30min);
}

TEST_CASE("A supervisor assigns by hand, a missing skill needs an explicit override", "[dispatch]") {
  World w;
  w.Add(MakeCrew("lighting", {"street_lighting"}, North(100)));
  w.Add(MakeCrew("police", {"municipal_police"}, North(5000)));
  const auto id = w.Open("INC-1", "street_lighting", Priority::kHigh, North(0));
  REQUIRE(w.Order(id).crew_id == "lighting");
  const auto refused = w.dispatcher.AssignManually(id, "police", "sup", false, kT0 + 1min, w.decisions);
  CHECK(refused.code() == absl::StatusCode::kFailedPrecondition);
  CHECK_THAT(std::string(refused.message()), Catch::Contains("override"));
  CHECK(w.Order(id).crew_id == "lighting");  // nothing changed
  REQUIRE(w.dispatcher.AssignManually(id, "police", "sup", true, kT0 + 2min, w.decisions).ok());
  CHECK(w.Order(id).crew_id == "police");
  CHECK(w.Order(id).manual);
  CHECK(w.Order(id).assigned_by == "sup");
  CHECK(w.CrewOf("lighting").status == CrewStatus::kAvailable);
  // A busy crew is refused.
  const auto other = w.Open("INC-2", "street_lighting", Priority::kLow, North(0));
  REQUIRE(w.Order(other).crew_id == "lighting");
  CHECK(w.dispatcher.AssignManually(id, "lighting", "sup", false, kT0, w.decisions).code() ==
        absl::StatusCode::kFailedPrecondition);
}

TEST_CASE("An incident resolved elsewhere cancels its order and frees the crew for the queue", "[dispatch]") {
  World w;
  w.Add(MakeCrew("c1", {"roads"}, North(0)));
  const auto first = w.Open("INC-1", "roads", Priority::kNormal, North(10));
  const auto waiting = w.Open("INC-2", "roads", Priority::kNormal, North(20), kT0 + 1min);
  w.dispatcher.OnIncidentClosed("INC-1", kT0 + 2min, w.decisions);
  CHECK(w.Order(first).status == OrderStatus::kCancelled);
  CHECK(w.Decided(Kind::kCancelled, first, "c1"));
  CHECK(w.Order(waiting).crew_id == "c1");
  // Closing again, or an unknown incident, changes nothing.
  const size_t before = w.decisions.records().size();
  w.dispatcher.OnIncidentClosed("INC-1", kT0 + 3min, w.decisions);
  w.dispatcher.OnIncidentClosed("INC-404", kT0 + 3min, w.decisions);
  CHECK(w.decisions.records().size() == before);
}

TEST_CASE("One order per incident, a higher priority raises it and its target", "[dispatch]") {
  World w;
  const auto id = w.Open("INC-1", "roads", Priority::kLow, North(0));
  CHECK(w.Open("INC-1", "roads", Priority::kHigh, North(0), kT0 + 1min) == id);
  CHECK(w.Order(id).priority == Priority::kHigh);
  CHECK(w.Order(id).arrive_by == kT0 + 1h);
  CHECK(w.dispatcher.queue_size() == 1);
}

TEST_CASE("A lowered priority (a crisis's end) gives the order back its rank and target", "[dispatch]") {
  World w;
  const auto id = w.Open("INC-1", "roads", Priority::kLow, North(0));
  const auto target = w.Order(id).arrive_by;
  REQUIRE(w.Open("INC-1", "roads", Priority::kCritical, North(0), kT0 + 1min) == id);
  REQUIRE(w.Order(id).priority == Priority::kCritical);
  REQUIRE(w.Order(id).arrive_by < target);
  CHECK(w.Open("INC-1", "roads", Priority::kLow, North(0), kT0 + 2min) == id);
  CHECK(w.Order(id).priority == Priority::kLow);
  CHECK(w.Order(id).arrive_by == target);
  CHECK(w.dispatcher.queue_size() == 1);
  // Queued behind a NORMAL order again, as before the crisis.
  const auto normal = w.Open("INC-2", "roads", Priority::kNormal, North(10), kT0 + 3min);
  Crew crew = MakeCrew("c1", {"roads"}, North(300));
  crew.status = CrewStatus::kOffDuty;
  w.Add(crew);
  REQUIRE(w.dispatcher.SetAvailability("c1", true, kT0 + 4min, w.decisions).ok());
  CHECK(w.Order(normal).crew_id == "c1");
  CHECK(w.Order(id).status == OrderStatus::kQueued);
}

TEST_CASE("A missed arrival target is reported once", "[dispatch]") {
  World w;
  const auto id = w.Open("INC-1", "roads", Priority::kCritical, North(0));
  w.dispatcher.Tick(kT0 + 14min, w.decisions);
  CHECK_FALSE(w.Order(id).target_breached);
  w.dispatcher.Tick(kT0 + 15min, w.decisions);
  w.dispatcher.Tick(kT0 + 16min, w.decisions);
  CHECK(w.Order(id).target_breached);
  int breaches = 0;
  for (const auto& d : w.decisions.records()) breaches += d.kind == Kind::kBreached ? 1 : 0;
  CHECK(breaches == 1);
}

TEST_CASE("A crew coming on duty takes the oldest order it can do", "[dispatch]") {
  World w;
  const auto id = w.Open("INC-1", "refuse", Priority::kNormal, North(0));
  Crew crew = MakeCrew("c1", {"refuse"}, North(300));
  crew.status = CrewStatus::kOffDuty;
  w.Add(crew);
  CHECK(w.Order(id).status == OrderStatus::kQueued);
  REQUIRE(w.dispatcher.SetAvailability("c1", true, kT0 + 1min, w.decisions).ok());
  CHECK(w.Order(id).crew_id == "c1");
}

TEST_CASE("The spatial index finds the same crew as looking at every crew", "[dispatch]") {
  const auto rules = DefaultRules();
  GreatCircleEta eta(rules.road_factor, rules.speed_kmh);
  std::mt19937 rng(42);
  std::uniform_real_distribution<double> lat(47.28, 47.36), lon(4.98, 5.10);
  const std::vector<std::string> skills{"roads", "street_lighting", "refuse", "traffic_signals"};
  std::vector<Crew> crews;
  CrewIndex index;
  for (int i = 0; i < 2050; ++i) {
    Crew c = MakeCrew("c" + std::to_string(i), {skills[static_cast<size_t>(i) % skills.size()]}, {lat(rng), lon(rng)});
    if (i % 7 == 0) c.status = CrewStatus::kEnRoute;  // not available: not indexed
    index.Put(c);
    crews.push_back(c);
  }
  for (int q = 0; q < 200; ++q) {
    const Point to{lat(rng), lon(rng)};
    const std::string& skill = skills[static_cast<size_t>(q) % skills.size()];
    const auto found = index.Nearest(skill, to, eta, [](const std::string&) { return true; });
    std::string best;
    double best_s = 0;
    for (const auto& c : crews) {
      if (c.status != CrewStatus::kAvailable || c.skills.count(skill) == 0) continue;
      const double s = eta.Seconds(c.position, to);
      if (best.empty() || s < best_s || (s == best_s && c.id < best)) {
        best = c.id;
        best_s = s;
      }
    }
    REQUIRE(found.has_value());
    CHECK(found->crew_id == best);
  }
  // A crew far outside the city does not make the search wander.
  index.Put(MakeCrew("lost", {"roads"}, {0.0, 0.0}));
  CHECK(index.Nearest("roads", {47.32, 5.04}, eta, [](const std::string&) { return true; })->crew_id != "lost");
}

TEST_CASE("Dispatch rules: the shipped file loads, a mistake is refused naming the field", "[dispatch]") {
  const auto rules = DefaultRules();
  CHECK(rules.TargetFor(Priority::kCritical) == 15min);
  CHECK(rules.TargetFor(Priority::kLow) == 24h);
  CHECK(rules.preempt_by == Priority::kCritical);
  std::string text(DefaultDispatchRulesJson());
  const std::string from = "\"speed_kmh\": 30";
  text.replace(text.find(from), from.size(), "\"speed_kph\": 30");
  const auto bad = DispatchRules::FromJson(text);
  REQUIRE_FALSE(bad.ok());
  CHECK_THAT(std::string(bad.status().message()), Catch::Contains("eta.speed_kph: unknown field"));
  text = std::string(DefaultDispatchRulesJson());
  const std::string by = "\"from_at_most\": \"LOW\"";
  text.replace(text.find(by), by.size(), "\"from_at_most\": \"CRITICAL\"");
  CHECK_FALSE(DispatchRules::FromJson(text).ok());
}

}  // namespace
}  // namespace cityops::dispatch

namespace cityops::dispatch {
namespace {

// A local (Paris) time on a date of November 2026: the 16th is a Monday.
TimePoint Local(unsigned day, int hour, int minute = 0) {
  using namespace std::chrono;
  return common::FromLocal(common::LocalTimeRule{}, year(2026) / November / std::chrono::day(day), hour * 60 + minute);
}

Crew ShiftCrew(const std::string& id, Shift shift) {
  Crew c = MakeCrew(id, {"street_lighting"}, North(500));
  c.shift = shift;
  return c;
}

}  // namespace

TEST_CASE("A shift's hours: same day, through midnight, on chosen weekdays", "[dispatch][shift]") {
  const Shift day{7 * 60, 15 * 60, 0x7f};
  CHECK_FALSE(day.IsOn(0, 7 * 60 - 1));
  CHECK(day.IsOn(0, 7 * 60));
  CHECK(day.IsOn(6, 14 * 60 + 59));
  CHECK_FALSE(day.IsOn(6, 15 * 60));
  // 22:00 to 06:00, starting on Fridays (bit 4) only.
  const Shift friday_night{22 * 60, 6 * 60, 1 << 4};
  CHECK_FALSE(friday_night.IsOn(4, 21 * 60 + 59));
  CHECK(friday_night.IsOn(4, 23 * 60));
  CHECK(friday_night.IsOn(5, 5 * 60 + 59));  // Saturday morning
  CHECK_FALSE(friday_night.IsOn(5, 6 * 60));
  CHECK_FALSE(friday_night.IsOn(5, 23 * 60));  // Saturday night is not a Friday
  // Sunday night into Monday: the day before Monday is Sunday (bit 6).
  const Shift sunday_night{22 * 60, 6 * 60, 1 << 6};
  CHECK(sunday_night.IsOn(0, 1 * 60));
  CHECK_FALSE(sunday_night.IsOn(6, 1 * 60));
}

TEST_CASE("Crews go on and off duty with their shifts, in local time", "[dispatch][shift]") {
  World w;
  w.Add(ShiftCrew("day", {7 * 60, 15 * 60, 0x7f}));
  // Registered as available, but its shift is not on: the first look takes it off duty.
  w.dispatcher.Tick(Local(16, 6, 59), w.decisions);
  CHECK(w.CrewOf("day").status == CrewStatus::kOffDuty);
  CHECK(w.CrewOf("day").on_shift == false);
  const auto waiting = w.Open("INC-1", "street_lighting", Priority::kNormal, North(0), Local(16, 6, 59));
  CHECK(w.Order(waiting).status == OrderStatus::kQueued);

  // 07:00 Paris time is 06:00 UTC in November: the crew comes on and takes the queued order.
  w.dispatcher.Tick(Local(16, 7, 0), w.decisions);
  CHECK(w.CrewOf("day").status == CrewStatus::kEnRoute);
  CHECK(w.Order(waiting).crew_id == "day");
  REQUIRE(w.dispatcher.Accept("day", waiting, Local(16, 7, 1), w.decisions).ok());
  REQUIRE(w.dispatcher.Arrive("day", waiting, Local(16, 7, 30), w.decisions).ok());

  // The shift ends while it works: it finishes, then goes off duty instead of taking the next order.
  const auto next = w.Open("INC-2", "street_lighting", Priority::kNormal, North(0), Local(16, 14, 0));
  w.dispatcher.Tick(Local(16, 15, 0), w.decisions);
  CHECK(w.CrewOf("day").status == CrewStatus::kOnSite);
  CHECK(w.CrewOf("day").off_duty_after_order);
  REQUIRE(w.dispatcher.Complete("day", waiting, Local(16, 15, 20), w.decisions).ok());
  CHECK(w.CrewOf("day").status == CrewStatus::kOffDuty);
  CHECK_FALSE(w.CrewOf("day").off_duty_after_order);
  CHECK(w.Order(next).status == OrderStatus::kQueued);

  // Next morning it comes back and takes it.
  w.dispatcher.Tick(Local(17, 7, 0), w.decisions);
  CHECK(w.Order(next).crew_id == "day");
}

TEST_CASE("A supervisor's word between two changes of shift stands", "[dispatch][shift]") {
  World w;
  w.Add(ShiftCrew("day", {7 * 60, 15 * 60, 0x7f}));
  w.dispatcher.Tick(Local(16, 20, 0), w.decisions);
  REQUIRE(w.CrewOf("day").status == CrewStatus::kOffDuty);
  // Called in for the evening.
  REQUIRE(w.dispatcher.SetAvailability("day", true, Local(16, 20, 5), w.decisions).ok());
  w.dispatcher.Tick(Local(16, 20, 10), w.decisions);
  w.dispatcher.Tick(Local(16, 23, 0), w.decisions);
  CHECK(w.CrewOf("day").status == CrewStatus::kAvailable);
  // Sent home during the shift: the next ticks of the same shift leave it home.
  w.dispatcher.Tick(Local(17, 8, 0), w.decisions);
  REQUIRE(w.CrewOf("day").status == CrewStatus::kAvailable);
  REQUIRE(w.dispatcher.SetAvailability("day", false, Local(17, 9, 0), w.decisions).ok());
  w.dispatcher.Tick(Local(17, 9, 1), w.decisions);
  CHECK(w.CrewOf("day").status == CrewStatus::kOffDuty);
}

TEST_CASE("A changed shift is looked at again, and crews without one are left alone", "[dispatch][shift]") {
  World w;
  w.Add(ShiftCrew("day", {7 * 60, 15 * 60, 0x7f}));
  w.Add(MakeCrew("by-hand", {"roads"}, North(0)));
  w.dispatcher.Tick(Local(16, 20, 0), w.decisions);
  CHECK(w.CrewOf("day").status == CrewStatus::kOffDuty);
  CHECK(w.CrewOf("by-hand").status == CrewStatus::kAvailable);
  CHECK_FALSE(w.CrewOf("by-hand").on_shift.has_value());
  // Moved to the night shift: on at the next tick.
  w.Add(ShiftCrew("day", {19 * 60, 3 * 60, 0x7f}));
  w.dispatcher.Tick(Local(16, 20, 1), w.decisions);
  CHECK(w.CrewOf("day").status == CrewStatus::kAvailable);
}

TEST_CASE("A vehicle is one crew's: its positions move that crew", "[dispatch][vehicle]") {
  World w;
  Crew a = MakeCrew("a", {"roads"}, North(0));
  a.vehicle_id = "veh-1";
  w.Add(a);
  REQUIRE(w.dispatcher.CrewOfVehicle("veh-1") != nullptr);
  CHECK(w.dispatcher.CrewOfVehicle("veh-1")->id == "a");
  CHECK(w.dispatcher.CrewOfVehicle("veh-2") == nullptr);

  Crew b = MakeCrew("b", {"roads"}, North(0));
  b.vehicle_id = "veh-1";
  Decisions none;
  const auto taken = w.dispatcher.UpsertCrew(b, none);
  CHECK(taken.code() == absl::StatusCode::kFailedPrecondition);
  CHECK(w.dispatcher.FindCrew("b") == nullptr);
  CHECK(none.empty());

  // Crew a changes vehicle: veh-1 is free for b.
  a.vehicle_id = "veh-9";
  w.Add(a);
  CHECK(w.dispatcher.CrewOfVehicle("veh-1") == nullptr);
  w.Add(b);
  CHECK(w.dispatcher.CrewOfVehicle("veh-1")->id == "b");
  CHECK(w.dispatcher.CrewOfVehicle("veh-9")->id == "a");
}

TEST_CASE("Decisions carry the incident event that caused them", "[dispatch]") {
  World w;
  w.Add(MakeCrew("a", {"roads"}, North(100)));
  w.decisions.SetCause("evt-7", kT0 - 2s);
  const auto id = w.Open("INC-1", "roads", Priority::kHigh, North(0));
  w.decisions.SetCause("", TimePoint{});
  REQUIRE(w.dispatcher.Accept("a", id, kT0 + 1s, w.decisions).ok());
  int caused = 0;
  for (const auto& d : w.decisions.records()) {
    if (d.kind == Kind::kAccepted) {
      CHECK(d.cause_event_id.empty());
    } else {
      CHECK(d.cause_event_id == "evt-7");
      CHECK(d.cause_at == kT0 - 2s);
      ++caused;
    }
  }
  CHECK(caused >= 2);  // created, assigned
}

}  // namespace cityops::dispatch

// ---------------------------------------------------------------- crises' staging

namespace cityops::dispatch {
namespace {

CrewStaging StagingFor(const std::string& crisis, std::optional<Point> at = std::nullopt) {
  CrewStaging s;
  s.crisis_id = crisis;
  s.reason = "flood watch";
  s.position = at;
  s.district = at ? 7 : 0;
  s.staged_by = "supervisor-1";
  return s;
}

}  // namespace

TEST_CASE("Staging holds a crew for a crisis: recorded, idempotent, refused to another crisis", "[dispatch][staging]") {
  World w;
  w.Add(MakeCrew("c1", {"roads"}, North(0)));
  Decisions staged;
  REQUIRE(w.dispatcher.Stage("c1", StagingFor("CRI-1", North(2000)), false, kT0 + 1min, staged).ok());
  CHECK(staged.Crews() == std::set<std::string>{"c1"});
  const Crew& crew = w.CrewOf("c1");
  REQUIRE(crew.staging.has_value());
  CHECK(crew.staging->crisis_id == "CRI-1");
  CHECK(crew.staging->reason == "flood watch");
  CHECK(crew.staging->district == 7);
  CHECK(crew.staging->since == kT0 + 1min);
  CHECK(crew.staging->staged_by == "supervisor-1");
  CHECK_FALSE(crew.staging->called_in);
  REQUIRE(crew.staging->position.has_value());
  CHECK(crew.staging->position->lat == Approx(North(2000).lat));
  // Staging moves nothing by itself: the crew is where it was, still available.
  CHECK(crew.status == CrewStatus::kAvailable);
  CHECK(crew.position.lat == Approx(North(0).lat));

  // Again for the same crisis: nothing changes (not even `since`).
  Decisions again;
  REQUIRE(w.dispatcher.Stage("c1", StagingFor("CRI-1", North(9000)), false, kT0 + 5min, again).ok());
  CHECK(again.empty());
  CHECK(w.CrewOf("c1").staging->since == kT0 + 1min);
  CHECK(w.CrewOf("c1").staging->position->lat == Approx(North(2000).lat));

  // Another crisis is refused and changes nothing.
  Decisions other;
  const auto refused = w.dispatcher.Stage("c1", StagingFor("CRI-2"), true, kT0 + 6min, other);
  CHECK(refused.code() == absl::StatusCode::kFailedPrecondition);
  CHECK_THAT(std::string(refused.message()), Catch::Contains("CRI-1"));
  CHECK(other.empty());
  CHECK(w.CrewOf("c1").staging->crisis_id == "CRI-1");

  // Unknown crew, missing crisis.
  CHECK(w.dispatcher.Stage("nobody", StagingFor("CRI-1"), false, kT0, other).code() == absl::StatusCode::kNotFound);
  CHECK(w.dispatcher.Stage("c1", StagingFor(""), false, kT0, other).code() == absl::StatusCode::kInvalidArgument);
  CHECK(w.dispatcher.Unstage("nobody", "CRI-1", other).code() == absl::StatusCode::kNotFound);
  CHECK(other.empty());
}

TEST_CASE("A staged crew stays assignable, with its ETA from where it is", "[dispatch][staging]") {
  World w;
  w.Add(MakeCrew("staged", {"roads"}, North(1000)));
  w.Add(MakeCrew("far", {"roads"}, North(4000)));
  // Staged far away, but not there yet: it is chosen from its live position.
  REQUIRE(w.dispatcher.Stage("staged", StagingFor("CRI-1", North(20000)), false, kT0, w.decisions).ok());
  const auto id = w.Open("INC-1", "roads", Priority::kNormal, North(0));
  CHECK(w.Order(id).crew_id == "staged");
  CHECK(w.Order(id).eta_s == Approx(1000 * 1.4 / (30 / 3.6)).epsilon(0.01));
  // Still held after its order.
  w.Finish("staged", id, kT0 + 1min);
  CHECK(w.CrewOf("staged").status == CrewStatus::kAvailable);
  CHECK(w.CrewOf("staged").staging.has_value());
}

TEST_CASE("An off-duty crew is called in only when asked, and released goes off duty again", "[dispatch][staging]") {
  World w;
  Crew home = MakeCrew("home", {"roads"}, North(0));
  home.status = CrewStatus::kOffDuty;
  w.Add(home);
  Decisions refused;
  const auto s = w.dispatcher.Stage("home", StagingFor("CRI-1"), false, kT0, refused);
  CHECK(s.code() == absl::StatusCode::kFailedPrecondition);
  CHECK_THAT(std::string(s.message()), Catch::Contains("call_in"));
  CHECK(refused.empty());
  CHECK_FALSE(w.CrewOf("home").staging.has_value());
  CHECK(w.CrewOf("home").status == CrewStatus::kOffDuty);

  REQUIRE(w.dispatcher.Stage("home", StagingFor("CRI-1"), true, kT0, w.decisions).ok());
  CHECK(w.CrewOf("home").status == CrewStatus::kAvailable);
  CHECK(w.CrewOf("home").staging->called_in);
  // It takes orders as any available crew.
  const auto id = w.Open("INC-1", "roads", Priority::kNormal, North(100));
  CHECK(w.Order(id).crew_id == "home");
  w.Finish("home", id, kT0 + 1min);
  CHECK(w.CrewOf("home").status == CrewStatus::kAvailable);

  // Releasing by another crisis: nothing.
  Decisions none;
  REQUIRE(w.dispatcher.Unstage("home", "CRI-9", none).ok());
  CHECK(none.empty());
  CHECK(w.CrewOf("home").staging.has_value());
  // Released idle: off duty at once.
  Decisions released;
  REQUIRE(w.dispatcher.Unstage("home", "CRI-1", released).ok());
  CHECK(released.Crews() == std::set<std::string>{"home"});
  CHECK_FALSE(w.CrewOf("home").staging.has_value());
  CHECK(w.CrewOf("home").status == CrewStatus::kOffDuty);
  // Released again: a no-op.
  Decisions twice;
  REQUIRE(w.dispatcher.Unstage("home", "CRI-1", twice).ok());
  CHECK(twice.empty());
}

TEST_CASE("A called-in crew released while busy finishes its order, then goes off duty", "[dispatch][staging]") {
  World w;
  Crew home = MakeCrew("home", {"roads"}, North(0));
  home.status = CrewStatus::kOffDuty;
  w.Add(home);
  REQUIRE(w.dispatcher.Stage("home", StagingFor("CRI-1", North(500)), true, kT0, w.decisions).ok());
  const auto id = w.Open("INC-1", "roads", Priority::kNormal, North(100));
  const auto next = w.Open("INC-2", "roads", Priority::kNormal, North(200));
  REQUIRE(w.Order(id).crew_id == "home");
  REQUIRE(w.dispatcher.Unstage("home", "CRI-1", w.decisions).ok());
  CHECK(w.CrewOf("home").status == CrewStatus::kEnRoute);
  CHECK(w.CrewOf("home").off_duty_after_order);
  w.Finish("home", id, kT0 + 1min);
  CHECK(w.CrewOf("home").status == CrewStatus::kOffDuty);
  CHECK(w.Order(next).status == OrderStatus::kQueued);  // not taken on the way home
}

TEST_CASE("A staged crew (not called in) is released without changing its duty", "[dispatch][staging]") {
  World w;
  w.Add(MakeCrew("c1", {"roads"}, North(0)));
  REQUIRE(w.dispatcher.Stage("c1", StagingFor("CRI-1", North(500)), false, kT0, w.decisions).ok());
  REQUIRE(w.dispatcher.Unstage("c1", "CRI-1", w.decisions).ok());
  CHECK(w.CrewOf("c1").status == CrewStatus::kAvailable);
  CHECK_FALSE(w.CrewOf("c1").staging.has_value());
  CHECK_FALSE(w.CrewOf("c1").off_duty_after_order);
}

TEST_CASE("The end of a shift does not undo a call-in while the crisis holds the crew", "[dispatch][staging][shift]") {
  World w;
  w.Add(ShiftCrew("day", {7 * 60, 15 * 60, 0x7f}));
  w.dispatcher.Tick(Local(16, 20, 0), w.decisions);
  REQUIRE(w.CrewOf("day").status == CrewStatus::kOffDuty);
  REQUIRE(w.dispatcher.Stage("day", StagingFor("CRI-1"), true, Local(16, 20, 5), w.decisions).ok());
  CHECK(w.CrewOf("day").status == CrewStatus::kAvailable);
  // A changed shift is looked at again (first look: off): still on duty.
  w.Add(ShiftCrew("day", {8 * 60, 16 * 60, 0x7f}));
  w.dispatcher.Tick(Local(16, 20, 10), w.decisions);
  CHECK(w.CrewOf("day").status == CrewStatus::kAvailable);
  CHECK(w.CrewOf("day").on_shift == false);
  // Its shift comes and goes: still on duty, still held.
  w.dispatcher.Tick(Local(17, 8, 0), w.decisions);
  w.dispatcher.Tick(Local(17, 16, 0), w.decisions);
  CHECK(w.CrewOf("day").status == CrewStatus::kAvailable);
  CHECK(w.CrewOf("day").staging.has_value());
  // Busy at the end of a shift: not marked to go off duty either.
  const auto id = w.Open("INC-1", "street_lighting", Priority::kNormal, North(0), Local(18, 7, 0));
  REQUIRE(w.Order(id).crew_id == "day");
  REQUIRE(w.dispatcher.Accept("day", id, Local(18, 7, 1), w.decisions).ok());
  w.dispatcher.Tick(Local(18, 8, 0), w.decisions);
  REQUIRE(w.dispatcher.Arrive("day", id, Local(18, 8, 30), w.decisions).ok());
  w.dispatcher.Tick(Local(18, 16, 0), w.decisions);
  CHECK_FALSE(w.CrewOf("day").off_duty_after_order);
  REQUIRE(w.dispatcher.Complete("day", id, Local(18, 16, 1), w.decisions).ok());
  CHECK(w.CrewOf("day").status == CrewStatus::kAvailable);
  // Released off shift: off duty.
  REQUIRE(w.dispatcher.Unstage("day", "CRI-1", w.decisions).ok());
  CHECK(w.CrewOf("day").status == CrewStatus::kOffDuty);
}

TEST_CASE("A called-in crew whose own shift came on stays on duty when released", "[dispatch][staging][shift]") {
  World w;
  w.Add(ShiftCrew("day", {7 * 60, 15 * 60, 0x7f}));
  w.dispatcher.Tick(Local(16, 6, 0), w.decisions);
  REQUIRE(w.dispatcher.Stage("day", StagingFor("CRI-1"), true, Local(16, 6, 5), w.decisions).ok());
  w.dispatcher.Tick(Local(16, 7, 0), w.decisions);
  REQUIRE(w.dispatcher.Unstage("day", "CRI-1", w.decisions).ok());
  CHECK(w.CrewOf("day").status == CrewStatus::kAvailable);
  // And the end of its shift acts as usual again.
  w.dispatcher.Tick(Local(16, 15, 0), w.decisions);
  CHECK(w.CrewOf("day").status == CrewStatus::kOffDuty);
}

TEST_CASE("A staged crew sent home is called in by the same crisis again", "[dispatch][staging]") {
  World w;
  w.Add(MakeCrew("c1", {"roads"}, North(0)));
  REQUIRE(w.dispatcher.Stage("c1", StagingFor("CRI-1"), false, kT0, w.decisions).ok());
  REQUIRE(w.dispatcher.SetAvailability("c1", false, kT0 + 1min, w.decisions).ok());
  Decisions plain;
  REQUIRE(w.dispatcher.Stage("c1", StagingFor("CRI-1"), false, kT0 + 2min, plain).ok());
  CHECK(plain.empty());
  CHECK(w.CrewOf("c1").status == CrewStatus::kOffDuty);
  REQUIRE(w.dispatcher.Stage("c1", StagingFor("CRI-1"), true, kT0 + 3min, w.decisions).ok());
  CHECK(w.CrewOf("c1").status == CrewStatus::kAvailable);
  CHECK(w.CrewOf("c1").staging->called_in);
  CHECK(w.CrewOf("c1").staging->since == kT0);
}

}  // namespace cityops::dispatch
