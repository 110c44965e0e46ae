#include "crews.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <map>
#include <set>

namespace cityops::sim {
namespace {

TEST_CASE("One crew per crew vehicle, with Dijon's mix of skills", "[crews]") {
  CityParams params;
  params.seed = 3;
  const City city = GenerateCity(params);
  const auto crews = PlanCrews(city);
  REQUIRE(crews.size() == city.CountOf(telemetry::v1::ASSET_KIND_CREW_VEHICLE));
  REQUIRE(crews.size() == 205);
  std::map<std::string, int> by_skill;
  std::set<std::string> ids;
  for (const auto& c : crews) {
    REQUIRE(c.skills.size() == 2);
    CHECK(c.skills[1] == "general");
    ++by_skill[c.skills[0]];
    CHECK(ids.insert(c.id).second);
    const auto index = city.IndexOf(c.vehicle_id);
    REQUIRE(index >= 0);
    CHECK(city.at(static_cast<size_t>(index)).lat == c.lat);
  }
  CHECK(by_skill == std::map<std::string, int>{{"building_security", 15},
                                               {"fleet", 5},
                                               {"green_spaces", 30},
                                               {"municipal_police", 20},
                                               {"network_fibre", 10},
                                               {"refuse", 35},
                                               {"roads", 40},
                                               {"street_lighting", 30},
                                               {"traffic_signals", 20}});
  // The same city, the same crews.
  const auto again = PlanCrews(GenerateCity(params));
  REQUIRE(again.size() == crews.size());
  for (size_t i = 0; i < crews.size(); ++i) CHECK(again[i].skills == crews[i].skills);
}

TEST_CASE("Every skill has crews at small scales, two for building security and street lighting", "[crews]") {
  for (const double scale : {0.05, 0.1, 1.0, 10.0}) {
    CAPTURE(scale);
    CityParams params;
    params.seed = 8;
    params.scale = scale;
    const City city = GenerateCity(params);
    const auto crews = PlanCrews(city);
    REQUIRE(crews.size() == city.CountOf(telemetry::v1::ASSET_KIND_CREW_VEHICLE));
    std::map<std::string, int> having;
    for (const auto& c : crews) {
      REQUIRE(c.skills.size() >= 2);
      CHECK(c.skills.back() == "general");
      for (const auto& skill : c.skills) ++having[skill];
      CHECK(c.name.find(c.skills[0]) != std::string::npos);
    }
    for (const auto& share : CrewSkillMix()) {
      CAPTURE(share.skill);
      CHECK(having[std::string(share.skill)] >= share.at_least);
      CHECK(having[std::string(share.skill)] >= 1);
    }
    CHECK(having["building_security"] >= 2);
    CHECK(having["street_lighting"] >= 2);
    // Close to the mix where there are enough crews for it: within one crew
    // plus the minimums' moves.
    const double n = static_cast<double>(crews.size());
    for (const auto& share : CrewSkillMix()) {
      CAPTURE(share.skill);
      CHECK(std::abs(having[std::string(share.skill)] - n * share.per_dijon / 205) <= 2);
    }
  }
  // e2e tests run at 0.1: 21 crews, each with one trade.
  CityParams params;
  params.scale = 0.1;
  const auto crews = PlanCrews(GenerateCity(params));
  CHECK(crews.size() == 21);
  for (const auto& c : crews) CHECK(c.skills.size() == 2);
  // At 0.05 (10 crews for minimums adding up to 11), one crew has two trades.
  params.scale = 0.05;
  const auto few = PlanCrews(GenerateCity(params));
  REQUIRE(few.size() == 10);
  int doubled = 0;
  for (const auto& c : few) doubled += c.skills.size() == 3 ? 1 : 0;
  CHECK(doubled == 1);
}

TEST_CASE("Trades are spread along the fleet, not in blocks", "[crews]") {
  CityParams params;
  params.seed = 2;
  const auto crews = PlanCrews(GenerateCity(params));
  REQUIRE(crews.size() == 205);
  // In any window of 41 crews (a fifth of the fleet), about a fifth of each trade.
  for (size_t start = 0; start + 41 <= crews.size(); start += 41) {
    std::map<std::string, int> window;
    for (size_t i = start; i < start + 41; ++i) ++window[crews[i].skills[0]];
    CHECK(window["roads"] >= 7);
    CHECK(window["roads"] <= 9);
    CHECK(window["fleet"] == 1);
  }
}

}  // namespace
}  // namespace cityops::sim
