#include "crews.h"

#include <catch2/catch.hpp>

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

}  // namespace
}  // namespace cityops::sim
