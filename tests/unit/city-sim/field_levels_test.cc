#include "field_levels.h"

#include "telemetry_model.h"

#include <catch2/catch.hpp>

#include <algorithm>

namespace cityops::sim {
namespace {

namespace tv1 = telemetry::v1;

City SmallCity() {
  std::vector<CityAsset> assets;
  const auto add = [&](std::string id, tv1::AssetKind kind, std::string parent) {
    CityAsset a;
    a.id = std::move(id);
    a.kind = kind;
    a.district = 1;
    a.lat = 47.32;
    a.lon = 5.04;
    a.parent_id = std::move(parent);
    a.reporting_interval_s = 600;
    assets.push_back(a);
  };
  add("cab-1", tv1::ASSET_KIND_CONTROL_CABINET, "");
  add("cab-2", tv1::ASSET_KIND_CONTROL_CABINET, "");
  for (int i = 1; i <= 3; ++i) add("lp-1-" + std::to_string(i), tv1::ASSET_KIND_LIGHT_POINT, "cab-1");
  add("lp-2-1", tv1::ASSET_KIND_LIGHT_POINT, "cab-2");
  return City(CityParams{}, std::move(assets));
}

size_t Index(const City& city, const std::string& id) { return static_cast<size_t>(city.IndexOf(id)); }

}  // namespace

TEST_CASE("The field's controllers take a cabinet-wide or per-point command, unless deaf", "[field_levels]") {
  const City city = SmallCity();
  FieldLevels field(city);
  CHECK_FALSE(field.LevelOf(Index(city, "lp-1-1")).has_value());

  lighting::v1::LightingCommand whole;
  whole.set_cabinet_id("cab-1");
  whole.set_cabinet_level(50);
  CHECK(field.Apply(whole) == 3);
  CHECK(field.LevelOf(Index(city, "lp-1-3")) == 50.0);
  CHECK_FALSE(field.LevelOf(Index(city, "lp-2-1")).has_value());  // the other cabinet's point
  CHECK_FALSE(field.LevelOf(Index(city, "cab-1")).has_value());   // not a light point
  CHECK(field.Apply(whole) == 0);                                 // already there

  lighting::v1::LightingCommand some;
  some.set_cabinet_id("cab-1");
  auto* p = some.add_points();
  p->set_point_id("lp-1-2");
  p->set_level(100);
  auto* unknown = some.add_points();
  unknown->set_point_id("lp-9-9");
  unknown->set_level(100);
  CHECK(field.Apply(some) == 1);
  CHECK(field.LevelOf(Index(city, "lp-1-1")) == 50.0);
  CHECK(field.LevelOf(Index(city, "lp-1-2")) == 100.0);

  field.SetDeaf("cab-1", true);
  whole.set_cabinet_level(0);
  CHECK(field.Apply(whole) == 0);
  CHECK(field.LevelOf(Index(city, "lp-1-1")) == 50.0);
  field.SetDeaf("cab-1", false);
  CHECK(field.Apply(whole) == 3);
  CHECK(field.LevelOf(Index(city, "lp-1-1")) == 0.0);
  CHECK(field.commands_applied() == 4);
  // Every change is there to report at once, each time it happened.
  std::vector<size_t> changed;
  field.TakeChanged(changed);
  CHECK(changed.size() == 3 + 1 + 3);
  CHECK(std::count(changed.begin(), changed.end(), Index(city, "lp-1-1")) == 2);
  field.TakeChanged(changed);
  CHECK(changed.empty());
}

TEST_CASE("A light point reports its commanded level and the power it draws", "[field_levels][telemetry_model]") {
  const City city = SmallCity();
  CityAsset point = city.at(Index(city, "lp-1-1"));
  point.rated_watts = 40;
  SimRng rng(7);
  std::vector<MetricValue> out;
  // Noon: the built-in schedule says off; the command says 70%.
  const auto noon = common::TimePoint(std::chrono::hours(24 * 20000 + 11));
  SampleReadings(point, noon, rng, out, 70.0);
  REQUIRE(out.size() == 2);
  CHECK(out[0].metric == "level_pct");
  CHECK(out[0].value == 70.0);
  CHECK(out[1].value == Approx(28.0).epsilon(0.05));
}

}  // namespace cityops::sim
