#include <catch2/catch.hpp>

#include <map>
#include <set>

#include "domain/planner.h"
#include "fixtures.h"

namespace cityops::lighting {
namespace {

using namespace testing;

const TimePoint kT0 = Local(2025, 11, 20, 19);

// A city of 6 districts of 5 cabinets of 30 points, each district on its own
// constant profile (district d at 10 x d %), planned and fully commanded once.
struct World {
  World() : city(Index(GridCityPoints(6, 5, 30))), planner(MakePlanner(city, "flat10")), state(city) {
    for (int d = 1; d <= 6; ++d) REQUIRE(planner.UpsertProfile(Flat(10 * d)).ok());
    for (int d = 1; d <= 6; ++d) REQUIRE(planner.AssignProfile(Scope::District(d), Flat(10 * d).id).ok());
  }
  // Plans at t and returns the diff against what was commanded.
  const CommandBatch& Tick(TimePoint t) {
    planner.Plan(t, levels);
    state.Diff(levels, batch);
    return batch;
  }
  void Add(const Override& o) { REQUIRE(planner.AddOverride(o, kT0).ok()); }

  CityIndex city;
  Planner planner;
  CommandState state;
  CityLevels levels;
  CommandBatch batch;
};

std::set<std::string> PointsIn(const World& w, int district) {
  std::set<std::string> out;
  for (PointIndex p = 0; p < w.city.point_count(); ++p) {
    if (w.city.district_of(p) == district) out.insert(w.city.point_id(p));
  }
  return out;
}

// The ids of the points a batch sets.
std::set<std::string> PointsSet(const World& w, const CommandBatch& batch) {
  std::set<std::string> out;
  for (const auto& c : batch.commands) {
    if (c.whole_section) {
      const auto& s = w.city.section(c.section);
      for (PointIndex p = s.begin; p < s.end; ++p) out.insert(w.city.point_id(p));
    } else {
      for (const auto& pl : batch.PointsOf(c)) out.insert(w.city.point_id(pl.point));
    }
  }
  return out;
}

TEST_CASE("The first plan commands every cabinet once, an unchanged plan nothing", "[commands]") {
  World w;
  const auto& first = w.Tick(kT0);
  CHECK(first.commands.size() == 30);
  CHECK(first.PointsCovered(w.city) == 900);
  for (const auto& c : first.commands) {
    CHECK(c.whole_section);
    CHECK(c.level == 10 * w.city.district_of(w.city.section(c.section).begin));
  }
  CHECK(w.Tick(kT0 + 1s).empty());
  CHECK(w.Tick(kT0 + 1h).empty());
}

TEST_CASE("A district override is one cabinet-wide command per cabinet of that district, nothing else", "[commands]") {
  World w;
  w.Tick(kT0);
  w.Add(MakeOverride("storm", Scope::District(3), 100, OverrideSource::kCrisis, kT0 + 10min, kT0 + 2h));
  CHECK(w.Tick(kT0 + 9min).empty());  // not started yet
  const CommandBatch& batch = w.Tick(kT0 + 10min);
  REQUIRE(batch.commands.size() == 5);  // district 3's five cabinets
  std::set<std::string> cabinets;
  for (const auto& c : batch.commands) {
    CHECK(c.whole_section);
    CHECK(c.level == 100);
    cabinets.insert(w.city.cabinet_id(c.section));
  }
  CHECK(cabinets == std::set<std::string>{"cab-3-0", "cab-3-1", "cab-3-2", "cab-3-3", "cab-3-4"});
  CHECK(batch.points.empty());
  CHECK(PointsSet(w, batch) == PointsIn(w, 3));  // exactly that district's 150 points
  CHECK(batch.PointsCovered(w.city) == 150);
  for (PointIndex p = 0; p < w.city.point_count(); ++p) {
    const int d = w.city.district_of(p);
    CHECK(int{w.state.commanded(p)} == (d == 3 ? 100 : 10 * d));
  }
  CHECK(w.Tick(kT0 + 11min).empty());
  // At its expiry, the schedule comes back in as many commands.
  const CommandBatch& back = w.Tick(kT0 + 2h);
  REQUIRE(back.commands.size() == 5);
  for (const auto& c : back.commands) CHECK((c.whole_section && c.level == 30));
}

TEST_CASE("A cabinet whose points go to different levels gets one command listing the points that change",
          "[commands]") {
  World w;
  w.Tick(kT0);
  w.Add(MakeOverride("one", Scope::Point("cab-2-1-7"), 0, OverrideSource::kOperator, kT0, kT0 + 1h));
  const CommandBatch& one = w.Tick(kT0 + 1min);
  REQUIRE(one.commands.size() == 1);
  CHECK_FALSE(one.commands[0].whole_section);
  CHECK(w.city.cabinet_id(one.commands[0].section) == "cab-2-1");
  REQUIRE(one.PointsOf(one.commands[0]).size() == 1);
  CHECK(w.city.point_id(one.PointsOf(one.commands[0])[0].point) == "cab-2-1-7");
  CHECK(one.PointsOf(one.commands[0])[0].level == 0);

  // A street shared by two cabinets: one listing command for each, only its points.
  w.Add(MakeOverride("street", Scope::Street("street-4-2"), 75, OverrideSource::kOperator, kT0, kT0 + 1h));
  const CommandBatch& street = w.Tick(kT0 + 2min);
  REQUIRE(street.commands.size() == 2);
  std::set<std::string> cabinets;
  for (const auto& c : street.commands) {
    CHECK_FALSE(c.whole_section);
    cabinets.insert(w.city.cabinet_id(c.section));
    for (const auto& pl : street.PointsOf(c)) {
      CHECK(w.city.street_name(w.city.street_of(pl.point)) == "street-4-2");
      CHECK(pl.level == 75);
    }
  }
  CHECK(cabinets == std::set<std::string>{"cab-4-0", "cab-4-1"});
  const auto street_points = w.city.street_points(*w.city.FindStreet("street-4-2"));
  CHECK(street.PointsCovered(w.city) == street_points.size());

  // When the point's override ends, its cabinet is whole again: one cabinet-wide command.
  REQUIRE(w.planner.CancelOverride("one").ok());
  const CommandBatch& whole = w.Tick(kT0 + 3min);
  REQUIRE(whole.commands.size() == 1);
  CHECK(whole.commands[0].whole_section);
  CHECK(whole.commands[0].level == 20);
}

TEST_CASE("A city-wide change is one command per cabinet, not one per point", "[commands]") {
  World w;
  w.Tick(kT0);
  w.Add(MakeOverride("blackout", Scope::City(), 0, OverrideSource::kCrisis, kT0, kT0 + 1h));
  const CommandBatch& batch = w.Tick(kT0 + 1s);
  CHECK(batch.commands.size() == w.city.section_count());
  CHECK(batch.PointsCovered(w.city) == w.city.point_count());
}

TEST_CASE("A cabinet spread over two districts is two sections, both commanded", "[commands]") {
  std::vector<LightPoint> points = SmallCityPoints();
  points.push_back(Lp("p17", "cab-1", 2, "Rue D"));  // on cab-1 but registered in district 2
  const CityIndex city = Index(points);
  CHECK(city.FindCabinet("cab-1").size() == 2);
  CHECK(city.cabinet_count() == 4);
  CHECK(city.section_count() == 5);
  Planner planner = MakePlanner(city, "flat10");
  CommandState state(city);
  CityLevels levels;
  CommandBatch batch;
  planner.Plan(kT0, levels);
  state.Diff(levels, batch);
  REQUIRE(
      planner.AddOverride(MakeOverride("c", Scope::Cabinet("cab-1"), 90, OverrideSource::kOperator, kT0, kT0 + 1h), kT0)
          .ok());
  planner.Plan(kT0 + 1s, levels);
  state.Diff(levels, batch);
  REQUIRE(batch.commands.size() == 2);
  for (const auto& c : batch.commands) {
    CHECK(c.whole_section);
    CHECK(city.cabinet_id(c.section) == "cab-1");
  }
  CHECK(batch.PointsCovered(city) == 5);
}

TEST_CASE("After a restart the commanded levels are restored and only differences are sent", "[commands]") {
  World w;
  w.Tick(kT0);
  const std::vector<uint8_t> saved = w.state.commanded_levels();
  CommandState restarted(w.city);
  REQUIRE(restarted.Restore(saved).ok());
  CommandBatch batch;
  restarted.Diff(w.levels, batch);
  CHECK(batch.empty());
  std::vector<uint8_t> bad = saved;
  bad[3] = 150;
  CHECK(restarted.Restore(bad).code() == absl::StatusCode::kInvalidArgument);
  bad.pop_back();
  CHECK(restarted.Restore(bad).code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("The city index refuses bad light points", "[commands][validation]") {
  auto dup = SmallCityPoints();
  dup.push_back(Lp("p1", "cab-9", 1, ""));
  CHECK(CityIndex::Build(dup).status().code() == absl::StatusCode::kInvalidArgument);
  auto no_cabinet = SmallCityPoints();
  no_cabinet[2].cabinet_id.clear();
  const auto status = CityIndex::Build(no_cabinet).status();
  CHECK(status.code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(std::string(status.message()), Catch::Contains("cabinet_id"));
  auto no_district = SmallCityPoints();
  no_district[0].district = 0;
  CHECK(CityIndex::Build(no_district).status().code() == absl::StatusCode::kInvalidArgument);
  const CityIndex city = Index(SmallCityPoints());
  CHECK(city.point(*city.FindPoint("p5")).street == "Rue B");
  CHECK(city.district(*city.FindDistrict(1)).point_end - city.district(*city.FindDistrict(1)).point_begin == 8);
}

TEST_CASE("A road-class override commands the main-road cabinets of its district, and lists mixed ones' points",
          "[commands][road_class]") {
  const CityIndex city = Index(RoadCityPoints());
  Planner planner = MakePlanner(city, "flat10");
  CommandState state(city);
  CityLevels levels;
  CommandBatch batch;
  planner.Plan(kT0, levels);
  state.Diff(levels, batch);
  REQUIRE(planner
              .AddOverride(
                  MakeOverride("snow", Scope::RoadClass("main", 1), 100, OverrideSource::kCrisis, kT0, kT0 + 1h), kT0)
              .ok());
  planner.Plan(kT0 + 1s, levels);
  state.Diff(levels, batch);
  REQUIRE(batch.commands.size() == 2);
  std::map<std::string, const SectionCommand*> by_cabinet;
  for (const auto& c : batch.commands) by_cabinet[city.cabinet_id(c.section)] = &c;
  REQUIRE(by_cabinet.count("main-1") == 1);
  REQUIRE(by_cabinet.count("mix-1") == 1);
  CHECK(by_cabinet["main-1"]->whole_section);
  CHECK(by_cabinet["main-1"]->level == 100);
  CHECK_FALSE(by_cabinet["mix-1"]->whole_section);
  const auto listed = batch.PointsOf(*by_cabinet["mix-1"]);
  REQUIRE(listed.size() == 1);
  CHECK(city.point_id(listed[0].point) == "m1-mix");
  CHECK(int{listed[0].level} == 100);
  CHECK(batch.PointsCovered(city) == 5);
  CHECK(int{state.commanded(*city.FindPoint("l1-mix"))} == 10);
  // Cancelled: the same points go back to the schedule.
  REQUIRE(planner.CancelOverride("snow").ok());
  planner.Plan(kT0 + 2s, levels);
  state.Diff(levels, batch);
  CHECK(batch.commands.size() == 2);
  // mix-1 is one level again: a cabinet-wide command (its 2 points) this time.
  for (const auto& c : batch.commands) CHECK((c.whole_section && c.level == 10));
  CHECK(batch.PointsCovered(city) == 6);
  for (PointIndex p = 0; p < city.point_count(); ++p) CHECK(int{state.commanded(p)} == 10);
}

}  // namespace
}  // namespace cityops::lighting
