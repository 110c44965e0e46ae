#include "domain/planner.h"

#include <catch2/catch.hpp>

#include <random>

#include "fixtures.h"

namespace cityops::lighting {
namespace {

using namespace testing;
using Source = Planner::Decision::Source;

const TimePoint kT0 = Local(2025, 11, 20, 19);

// Every point's planned level at t, by id.
std::map<std::string, int> PlanById(Planner& planner, TimePoint t) {
  CityLevels levels;
  planner.Plan(t, levels);
  std::map<std::string, int> out;
  for (PointIndex p = 0; p < planner.city().point_count(); ++p) out[planner.city().point_id(p)] = levels.points[p];
  return out;
}

int LevelOf(Planner& planner, const std::string& id, TimePoint t) { return PlanById(planner, t).at(id); }

TEST_CASE("The standard profile follows sunset, local clock times and sunrise", "[planner][profile]") {
  const CityIndex city = Index(SmallCityPoints());
  Planner planner = MakePlanner(city, "standard");
  // Winter (UTC+1): in Dijon the sun sets about 17:12 on 15 January and rises about 08:13 on the 16th.
  CHECK(LevelOf(planner, "p1", Local(2025, 1, 15, 12)) == 0);
  CHECK(LevelOf(planner, "p1", Local(2025, 1, 15, 17, 45)) == 100);
  CHECK(LevelOf(planner, "p1", Local(2025, 1, 15, 22, 29)) == 100);
  CHECK(LevelOf(planner, "p1", Local(2025, 1, 15, 22, 31)) == 50);
  CHECK(LevelOf(planner, "p1", Local(2025, 1, 16, 3)) == 50);
  CHECK(LevelOf(planner, "p1", Local(2025, 1, 16, 5, 31)) == 100);
  CHECK(LevelOf(planner, "p1", Local(2025, 1, 16, 9)) == 0);
  // Summer (UTC+2): sunset about 21:37 on 1 July, sunrise about 05:50 on the 2nd.
  CHECK(LevelOf(planner, "p1", Local(2025, 7, 1, 21, 20)) == 0);
  CHECK(LevelOf(planner, "p1", Local(2025, 7, 1, 22)) == 100);
  CHECK(LevelOf(planner, "p1", Local(2025, 7, 1, 22, 45)) == 50);
  CHECK(LevelOf(planner, "p1", Local(2025, 7, 2, 5, 40)) == 100);
  CHECK(LevelOf(planner, "p1", Local(2025, 7, 2, 6, 15)) == 0);
}

TEST_CASE("Clock-time steps follow the local clock through the DST switches", "[planner][profile][dst]") {
  const CityIndex city = Index(SmallCityPoints());
  Planner planner = MakePlanner(city, "standard");
  // 05:30 local is 04:30 UTC on 29 March (winter time) ...
  CHECK(LevelOf(planner, "p1", Utc(2025, 3, 29, 4, 15)) == 50);
  CHECK(LevelOf(planner, "p1", Utc(2025, 3, 29, 4, 45)) == 100);
  // ... and 03:30 UTC the next morning, the first of summer time.
  CHECK(LevelOf(planner, "p1", Utc(2025, 3, 30, 3, 15)) == 50);
  CHECK(LevelOf(planner, "p1", Utc(2025, 3, 30, 3, 45)) == 100);
  // 22:30 local is 20:30 UTC on 25 October (summer time), 05:30 is 04:30 UTC on
  // the 26th (winter time again).
  CHECK(LevelOf(planner, "p1", Utc(2025, 10, 25, 20, 15)) == 100);
  CHECK(LevelOf(planner, "p1", Utc(2025, 10, 25, 20, 45)) == 50);
  CHECK(LevelOf(planner, "p1", Utc(2025, 10, 26, 4, 15)) == 50);
  CHECK(LevelOf(planner, "p1", Utc(2025, 10, 26, 4, 45)) == 100);
}

TEST_CASE("A step that falls before the previous one starts with it", "[planner][profile]") {
  // In June, sunrise (about 05:45) comes before 06:30: "100% from 06:30, off
  // from sunrise" must still end off, at 06:30, not stay on all day.
  const DimmingProfile early{"early",
                             "",
                             {{Anchor::kSunset, 0, 0, 100},
                              {Anchor::kClock, 23 * 60, 0, 40},
                              {Anchor::kClock, 6 * 60 + 30, 0, 100},
                              {Anchor::kSunrise, 0, 0, 0}}};
  const ScheduleClock clock = DijonClock();
  CHECK(clock.LevelAt(early, Local(2025, 6, 22, 6, 0)) == 40);
  CHECK(clock.LevelAt(early, Local(2025, 6, 22, 6, 45)) == 0);
  CHECK(clock.LevelAt(early, Local(2025, 6, 22, 14, 0)) == 0);
  // In January sunrise is after 06:30: the 100% step holds until it.
  CHECK(clock.LevelAt(early, Local(2025, 1, 16, 7, 0)) == 100);
}

TEST_CASE("Crisis beats operator beats schedule, whatever the scopes", "[planner][precedence]") {
  const CityIndex city = Index(SmallCityPoints());
  Planner planner = MakePlanner(city, "flat10");
  REQUIRE(planner.AddOverride(MakeOverride("sched", Scope::City(), 20, OverrideSource::kSchedule, kT0, kT0 + 4h), kT0)
              .ok());
  REQUIRE(
      planner
          .AddOverride(MakeOverride("op", Scope::Cabinet("cab-1"), 60, OverrideSource::kOperator, kT0, kT0 + 4h), kT0)
          .ok());
  REQUIRE(
      planner.AddOverride(MakeOverride("crisis", Scope::District(1), 90, OverrideSource::kCrisis, kT0, kT0 + 4h), kT0)
          .ok());
  const TimePoint t = kT0 + 1min;
  auto levels = PlanById(planner, t);
  CHECK(levels["p1"] == 90);  // cab-1, district 1: the crisis, though it is the wider scope
  CHECK(levels["p5"] == 90);  // cab-2, district 1
  CHECK(levels["p9"] == 20);  // district 2: only the schedule override (city-wide)
  CHECK(levels["p13"] == 20);
  CHECK(planner.Explain("p1", t)->override_id == "crisis");

  REQUIRE(planner.CancelOverride("crisis").ok());
  levels = PlanById(planner, t);
  CHECK(levels["p1"] == 60);  // the operator's, on cab-1
  CHECK(levels["p5"] == 20);  // the schedule override's
  REQUIRE(planner.CancelOverride("sched").ok());
  CHECK(LevelOf(planner, "p5", t) == 10);  // the profile
  CHECK(planner.Explain("p5", t)->source == Source::kDefaultProfile);
  CHECK(planner.CancelOverride("sched").code() == absl::StatusCode::kNotFound);
}

TEST_CASE("Among overrides of equal precedence the narrowest scope wins, then the latest start",
          "[planner][precedence]") {
  const CityIndex city = Index(SmallCityPoints());
  Planner planner = MakePlanner(city, "flat10");
  const auto op = [&](const std::string& id, Scope scope, int level, TimePoint start = kT0) {
    REQUIRE(
        planner.AddOverride(MakeOverride(id, std::move(scope), level, OverrideSource::kOperator, start, kT0 + 4h), kT0)
            .ok());
  };
  op("city", Scope::City(), 15);
  op("district", Scope::District(1), 30);
  op("street", Scope::Street("Rue B"), 70);
  op("cabinet", Scope::Cabinet("cab-2"), 45);
  op("point", Scope::Point("p3"), 5);
  const TimePoint t = kT0 + 5min;
  auto levels = PlanById(planner, t);
  CHECK(levels["p3"] == 5);   // its own override
  CHECK(levels["p4"] == 70);  // Rue B, cab-1
  CHECK(levels["p1"] == 30);  // Rue A: the district's
  CHECK(levels["p5"] == 45);  // Rue B but on cab-2: the cabinet is narrower than the street
  CHECK(levels["p7"] == 45);
  CHECK(levels["p9"] == 15);  // district 2: the city's

  // Same scope, same source: the one that started last.
  op("district-later", Scope::District(1), 35, kT0 + 1min);
  levels = PlanById(planner, t);
  CHECK(levels["p1"] == 35);
  CHECK(planner.Explain("p1", t)->override_id == "district-later");
}

TEST_CASE("At its expiry an override gives way to the schedule", "[planner][expiry]") {
  const CityIndex city = Index(SmallCityPoints());
  Planner planner = MakePlanner(city, "flat10");
  const TimePoint expiry = kT0 + 30min;
  REQUIRE(planner.AddOverride(MakeOverride("op", Scope::District(2), 100, OverrideSource::kOperator, kT0, expiry), kT0)
              .ok());
  CHECK(LevelOf(planner, "p9", kT0 - 1s) == 10);  // not started yet
  CHECK(LevelOf(planner, "p9", kT0) == 100);
  CHECK(LevelOf(planner, "p9", expiry - 1s) == 100);
  CHECK(LevelOf(planner, "p9", expiry) == 10);
  CHECK(planner.ActiveOverrides(expiry - 1s).size() == 1);
  CHECK(planner.ActiveOverrides(expiry).empty());
  CHECK(planner.ForgetExpired(expiry - 1s) == 0);
  CHECK(planner.ForgetExpired(expiry) == 1);
  CHECK(planner.CancelOverride("op").code() == absl::StatusCode::kNotFound);
}

TEST_CASE("A group's profile comes from its most specific group: cabinet, street, district, city",
          "[planner][groups]") {
  const CityIndex city = Index(SmallCityPoints());
  Planner planner = MakePlanner(city, "flat10");
  REQUIRE(planner.AssignProfile(Scope::City(), "flat20").ok());
  REQUIRE(planner.AssignProfile(Scope::District(1), "flat40").ok());
  REQUIRE(planner.AssignProfile(Scope::Street("Rue B"), "flat60").ok());
  REQUIRE(planner.AssignProfile(Scope::Cabinet("cab-2"), "flat80").ok());
  auto levels = PlanById(planner, kT0);
  CHECK(levels["p1"] == 40);  // Rue A, cab-1, district 1
  CHECK(levels["p3"] == 60);  // Rue B
  CHECK(levels["p5"] == 80);  // cab-2 (on Rue B)
  CHECK(levels["p9"] == 20);  // the city's
  const auto why = planner.Explain("p3", kT0);
  CHECK(why->source == Source::kGroupProfile);
  CHECK(why->group == Scope::Street("Rue B"));
  CHECK(why->profile_id == "flat60");

  REQUIRE(planner.AssignProfile(Scope::Cabinet("cab-2"), "").ok());  // unassigned
  CHECK(LevelOf(planner, "p5", kT0) == 60);
  CHECK(planner.Assignments().size() == 3);

  CHECK(planner.AssignProfile(Scope::District(9), "flat20").code() == absl::StatusCode::kNotFound);
  CHECK(planner.AssignProfile(Scope::Cabinet("cab-1"), "nope").code() == absl::StatusCode::kNotFound);
  CHECK(planner.AssignProfile(Scope::Point("p1"), "flat20").code() == absl::StatusCode::kInvalidArgument);
  CHECK(LevelOf(planner, "p1", kT0) == 40);  // nothing changed
}

TEST_CASE("Calendar exceptions replace the profile on their nights, overlapping ones are refused",
          "[planner][exceptions]") {
  const CityIndex city = Index(SmallCityPoints());
  Planner planner = MakePlanner(city, "flat10");
  REQUIRE(planner.AssignProfile(Scope::District(1), "flat40").ok());
  REQUIRE(planner.AddException({"holidays", Scope::City(), {2025, 12, 24}, {2025, 12, 26}, "flat70", "winter holidays"})
              .ok());
  REQUIRE(
      planner.AddException({"cab1", Scope::Cabinet("cab-1"), {2025, 12, 25}, {2025, 12, 25}, "flat20", "works"}).ok());

  auto before = PlanById(planner, Local(2025, 12, 23, 20));
  CHECK(before["p1"] == 40);  // its district's profile
  CHECK(before["p9"] == 10);  // the default
  auto eve = PlanById(planner, Local(2025, 12, 24, 20));
  CHECK(eve["p1"] == 70);  // the exception beats the district's assignment
  CHECK(eve["p9"] == 70);
  // The morning of the 25th is still the night of the 24th.
  CHECK(LevelOf(planner, "p1", Local(2025, 12, 25, 3)) == 70);
  auto christmas = PlanById(planner, Local(2025, 12, 25, 20));
  CHECK(christmas["p1"] == 20);  // the cabinet's exception is narrower than the city's
  CHECK(christmas["p5"] == 70);
  const auto why = planner.Explain("p1", Local(2025, 12, 25, 20));
  CHECK(why->source == Source::kException);
  CHECK(why->exception_id == "cab1");
  auto after = PlanById(planner, Local(2025, 12, 27, 20));
  CHECK(after["p1"] == 40);
  CHECK(after["p9"] == 10);

  // Overlapping the holidays on the same scope: refused, nothing changes.
  const auto overlap =
      planner.AddException({"late", Scope::City(), {2025, 12, 26}, {2025, 12, 31}, "flat80", "new year"});
  CHECK(overlap.code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(std::string(overlap.message()), Catch::Contains("overlaps"));
  CHECK(planner.exceptions().size() == 2);
  CHECK(LevelOf(planner, "p9", Local(2025, 12, 28, 20)) == 10);
  // Unknown group or profile, repeated id.
  CHECK(planner.AddException({"x", Scope::Street("Nowhere"), {2026, 1, 1}, {2026, 1, 1}, "flat80", ""}).code() ==
        absl::StatusCode::kNotFound);
  CHECK(planner.AddException({"x", Scope::City(), {2026, 1, 1}, {2026, 1, 1}, "nope", ""}).code() ==
        absl::StatusCode::kNotFound);
  CHECK(planner.AddException({"cab1", Scope::City(), {2026, 1, 1}, {2026, 1, 1}, "flat80", ""}).code() ==
        absl::StatusCode::kAlreadyExists);
  // Removed, the profile is back.
  REQUIRE(planner.RemoveException("holidays").ok());
  CHECK(LevelOf(planner, "p9", Local(2025, 12, 24, 20)) == 10);
}

TEST_CASE("Bad overrides are refused and change nothing", "[planner][validation]") {
  const CityIndex city = Index(SmallCityPoints());
  Planner planner = MakePlanner(city, "flat10");
  auto o = MakeOverride("op", Scope::District(1), 150, OverrideSource::kOperator, kT0, kT0 + 1h);
  CHECK(planner.AddOverride(o, kT0).code() == absl::StatusCode::kInvalidArgument);
  o.level = 50;
  o.expiry.reset();
  CHECK(planner.AddOverride(o, kT0).code() == absl::StatusCode::kInvalidArgument);
  o.expiry = kT0 - 1min;
  CHECK(planner.AddOverride(o, kT0).code() == absl::StatusCode::kInvalidArgument);
  o.expiry = kT0 + 1h;
  o.scope = Scope::District(99);
  const auto unknown = planner.AddOverride(o, kT0);
  CHECK(unknown.code() == absl::StatusCode::kNotFound);
  CHECK_THAT(std::string(unknown.message()), Catch::Contains("district 99"));
  o.scope = Scope::Point("p404");
  CHECK(planner.AddOverride(o, kT0).code() == absl::StatusCode::kNotFound);
  CHECK(planner.ActiveOverrides(kT0).empty());
  CHECK(LevelOf(planner, "p1", kT0) == 10);
  o.scope = Scope::District(1);
  REQUIRE(planner.AddOverride(o, kT0).ok());
  CHECK(planner.AddOverride(o, kT0).code() == absl::StatusCode::kAlreadyExists);
  CHECK(planner.Explain("p404", kT0).status().code() == absl::StatusCode::kNotFound);
}

TEST_CASE("The whole-city plan agrees with the point-by-point explanation", "[planner]") {
  const CityIndex city = Index(GridCityPoints(4, 5, 12));
  Planner planner = MakePlanner(city, "standard");
  REQUIRE(planner.AssignProfile(Scope::District(2), "flat40").ok());
  REQUIRE(planner.AssignProfile(Scope::Street("street-3-4"), "flat60").ok());
  REQUIRE(planner.AssignProfile(Scope::Cabinet("cab-4-1"), "flat80").ok());
  REQUIRE(planner.AddException({"e1", Scope::District(3), {2025, 12, 24}, {2025, 12, 25}, "flat70", ""}).ok());
  REQUIRE(planner.AddException({"e2", Scope::Street("street-3-2"), {2025, 12, 25}, {2025, 12, 25}, "flat20", ""}).ok());
  std::mt19937 rng(7);
  const Scope scopes[] = {Scope::City(),
                          Scope::District(1),
                          Scope::District(3),
                          Scope::Cabinet("cab-2-3"),
                          Scope::Street("street-1-5"),
                          Scope::Street("street-4-2"),
                          Scope::Point("cab-3-1-4"),
                          Scope::Point("cab-1-0-0")};
  const TimePoint start = Local(2025, 12, 24, 16);
  for (int i = 0; i < 30; ++i) {
    const Scope& scope = scopes[rng() % std::size(scopes)];
    const auto source = static_cast<OverrideSource>(1 + rng() % 3);
    const TimePoint from = start + std::chrono::minutes(rng() % 1800);
    REQUIRE(planner
                .AddOverride(MakeOverride("o" + std::to_string(i), scope, static_cast<int>(rng() % 101), source, from,
                                          from + std::chrono::minutes(30 + rng() % 600)),
                             start)
                .ok());
  }
  CityLevels levels;
  for (int minutes = 0; minutes < 48 * 60; minutes += 37) {
    const TimePoint t = start + std::chrono::minutes(minutes);
    planner.Plan(t, levels);
    for (PointIndex p = 0; p < city.point_count(); ++p) {
      INFO("point " << city.point_id(p) << " at minute " << minutes);
      REQUIRE(int{levels.points[p]} == planner.Explain(p, t).level);
    }
    for (SectionIndex s = 0; s < city.section_count(); ++s) {
      const auto& section = city.section(s);
      bool same = true;
      for (PointIndex p = section.begin; p < section.end; ++p)
        same = same && levels.points[p] == levels.points[section.begin];
      REQUIRE(levels.sections[s] == (same ? levels.points[section.begin] : kMixedLevel));
    }
  }
}

// ------------------------------------------------------------------ road classes

bool IsMain(const std::string& id) { return id[0] == 'm'; }
int DistrictOfRoadPoint(const std::string& id) { return id[0] == 'x' ? 4 : id[1] - '0'; }

// The plan and the point-by-point explanation agree everywhere.
void RequirePlanMatchesExplain(Planner& planner, TimePoint t) {
  const auto levels = PlanById(planner, t);
  for (const auto& [id, level] : levels) {
    INFO(id);
    REQUIRE(planner.Explain(id, t)->level == level);
  }
}

TEST_CASE("A crisis override on the main roads of district 3 sets exactly those points", "[planner][road_class]") {
  const CityIndex city = Index(RoadCityPoints());
  Planner planner = MakePlanner(city, "flat10");
  REQUIRE(planner
              .AddOverride(
                  MakeOverride("snow", Scope::RoadClass("main", 3), 100, OverrideSource::kCrisis, kT0, kT0 + 2h), kT0)
              .ok());
  const TimePoint t = kT0 + 1min;
  const auto levels = PlanById(planner, t);
  int lit = 0;
  for (const auto& [id, level] : levels) {
    INFO(id);
    const bool targeted = IsMain(id) && DistrictOfRoadPoint(id) == 3;
    CHECK(level == (targeted ? 100 : 10));
    lit += targeted;
  }
  CHECK(lit == 4);  // m3-0..m3-3, not l3-*, not m1-*/m2-*
  const auto why = planner.Explain("m3-2", t);
  CHECK(why->source == Source::kOverride);
  CHECK(why->override_id == "snow");
  CHECK(planner.Explain("l3-0", t)->source == Source::kDefaultProfile);
  RequirePlanMatchesExplain(planner, t);
  REQUIRE(planner.CancelOverride("snow").ok());
  CHECK(LevelOf(planner, "m3-0", t) == 10);
}

TEST_CASE("A road-class override on district 0 covers the main roads of the whole city", "[planner][road_class]") {
  const CityIndex city = Index(RoadCityPoints());
  Planner planner = MakePlanner(city, "flat10");
  REQUIRE(
      planner
          .AddOverride(MakeOverride("ice", Scope::RoadClass("main"), 80, OverrideSource::kCrisis, kT0, kT0 + 2h), kT0)
          .ok());
  const auto levels = PlanById(planner, kT0);
  int lit = 0;
  for (const auto& [id, level] : levels) {
    INFO(id);
    CHECK(level == (IsMain(id) ? 80 : 10));
    lit += level == 80;
  }
  CHECK(lit == 13);  // 4 per district and m1-mix
  CHECK(city.Covers(Scope::RoadClass("main"), *city.FindPoint("m2-1")));
  CHECK_FALSE(city.Covers(Scope::RoadClass("main"), *city.FindPoint("x-0")));
  CHECK_FALSE(city.Covers(Scope::RoadClass("main", 2), *city.FindPoint("m1-0")));
  RequirePlanMatchesExplain(planner, kT0);
}

TEST_CASE("A road class in a district is narrower than the district, wider than a street", "[planner][road_class]") {
  const CityIndex city = Index(RoadCityPoints());
  Planner planner = MakePlanner(city, "flat10");
  const auto op = [&](const std::string& id, Scope scope, int level,
                      OverrideSource source = OverrideSource::kOperator) {
    REQUIRE(planner.AddOverride(MakeOverride(id, std::move(scope), level, source, kT0, kT0 + 4h), kT0).ok());
  };
  CHECK(ScopeBreadth(Scope::Street("Avenue 3")) < ScopeBreadth(Scope::RoadClass("main", 3)));
  CHECK(ScopeBreadth(Scope::RoadClass("main", 3)) < ScopeBreadth(Scope::District(3)));
  CHECK(ScopeBreadth(Scope::District(3)) < ScopeBreadth(Scope::RoadClass("main")));
  CHECK(ScopeBreadth(Scope::RoadClass("main")) < ScopeBreadth(Scope::City()));

  op("main-city", Scope::RoadClass("main"), 20);
  op("district", Scope::District(3), 30);
  op("main-d3", Scope::RoadClass("main", 3), 50);
  op("avenue", Scope::Street("Avenue 3"), 70);
  auto levels = PlanById(planner, kT0);
  CHECK(levels["m3-0"] == 50);  // Boulevard 3: the road class in its district beats the district
  CHECK(levels["m3-2"] == 70);  // Avenue 3: the street beats the road class
  CHECK(levels["l3-0"] == 30);  // a local road: the district's
  CHECK(levels["m1-0"] == 20);  // a main road elsewhere: the city-wide road class
  CHECK(levels["l1-0"] == 10);  // the schedule
  RequirePlanMatchesExplain(planner, kT0);

  REQUIRE(planner.CancelOverride("main-d3").ok());
  CHECK(LevelOf(planner, "m3-0", kT0) == 30);  // the district beats the city-wide road class
  REQUIRE(planner.CancelOverride("district").ok());
  CHECK(LevelOf(planner, "m3-0", kT0) == 20);
  // A higher source wins whatever the scope.
  op("crisis", Scope::RoadClass("main"), 90, OverrideSource::kCrisis);
  CHECK(LevelOf(planner, "m3-2", kT0) == 90);
  const auto active = planner.ActiveOverrides(kT0);
  REQUIRE(active.size() == 3);
  CHECK(active.front().id == "crisis");
  CHECK(active.back().id == "main-city");  // operator, widest
}

TEST_CASE("Bad road-class overrides are refused and change nothing", "[planner][road_class][validation]") {
  const CityIndex city = Index(RoadCityPoints());
  Planner planner = MakePlanner(city, "flat10");
  auto o = MakeOverride("bad", Scope::RoadClass("", 3), 100, OverrideSource::kCrisis, kT0, kT0 + 1h);
  CHECK(planner.AddOverride(o, kT0).code() == absl::StatusCode::kInvalidArgument);
  o.scope = Scope::RoadClass("main", -1);
  CHECK(planner.AddOverride(o, kT0).code() == absl::StatusCode::kInvalidArgument);
  o.scope = Scope::RoadClass("Main Road", 3);
  CHECK(planner.AddOverride(o, kT0).code() == absl::StatusCode::kInvalidArgument);
  o.scope = Scope::RoadClass("main", 99);
  const auto unknown = planner.AddOverride(o, kT0);
  CHECK(unknown.code() == absl::StatusCode::kNotFound);
  CHECK_THAT(std::string(unknown.message()), Catch::Contains("main roads of district 99"));
  o.scope = Scope::RoadClass("motorway", 0);
  CHECK(planner.AddOverride(o, kT0).code() == absl::StatusCode::kNotFound);
  CHECK(planner.ActiveOverrides(kT0).empty());
  for (const auto& [id, level] : PlanById(planner, kT0)) CHECK(level == 10);
  // District 4 exists but has no main road: accepted, and it lights nothing.
  o.scope = Scope::RoadClass("main", 4);
  REQUIRE(planner.AddOverride(o, kT0).ok());
  for (const auto& [id, level] : PlanById(planner, kT0)) CHECK(level == 10);
}

TEST_CASE("Profiles and exceptions on a road class take their place between street and district",
          "[planner][road_class][groups]") {
  const CityIndex city = Index(RoadCityPoints());
  Planner planner = MakePlanner(city, "flat10");
  REQUIRE(planner.AssignProfile(Scope::RoadClass("main"), "flat60").ok());
  REQUIRE(planner.AssignProfile(Scope::District(1), "flat40").ok());
  REQUIRE(planner.AssignProfile(Scope::RoadClass("main", 1), "flat80").ok());
  REQUIRE(planner.AssignProfile(Scope::Street("Avenue 3"), "flat70").ok());
  auto levels = PlanById(planner, kT0);
  CHECK(levels["m1-0"] == 80);    // main roads of district 1
  CHECK(levels["m1-mix"] == 80);  // the same, on a mixed cabinet
  CHECK(levels["l1-mix"] == 40);  // district 1
  CHECK(levels["m2-0"] == 60);    // main roads of the city
  CHECK(levels["m3-2"] == 70);    // Avenue 3
  CHECK(levels["l2-0"] == 10);    // the default
  const auto why = planner.Explain("m2-0", kT0);
  CHECK(why->source == Source::kGroupProfile);
  CHECK(why->group == Scope::RoadClass("main"));
  RequirePlanMatchesExplain(planner, kT0);
  CHECK(planner.AssignProfile(Scope::RoadClass("main", 9), "flat20").code() == absl::StatusCode::kNotFound);

  // An exception on the main roads of district 2 for one night.
  REQUIRE(
      planner.AddException({"market", Scope::RoadClass("main", 2), {2025, 11, 20}, {2025, 11, 20}, "flat20", "market"})
          .ok());
  levels = PlanById(planner, kT0);
  CHECK(levels["m2-0"] == 20);
  CHECK(levels["m3-0"] == 60);
  CHECK(levels["l2-0"] == 10);
  CHECK(planner.Explain("m2-0", kT0)->exception_id == "market");
  RequirePlanMatchesExplain(planner, kT0);
  CHECK(LevelOf(planner, "m2-0", kT0 + 24h) == 60);  // the next night
}

}  // namespace
}  // namespace cityops::lighting
