#include "city.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace cityops::sim {
namespace {

namespace v1 = telemetry::v1;

City Make(uint64_t seed, double scale) {
  CityParams params;
  params.seed = seed;
  params.scale = scale;
  return GenerateCity(params);
}

bool SameAssets(const City& a, const City& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    const CityAsset& x = a.at(i);
    const CityAsset& y = b.at(i);
    if (x.id != y.id || x.kind != y.kind || x.district != y.district || x.lat != y.lat || x.lon != y.lon ||
        x.parent_id != y.parent_id || x.reporting_interval_s != y.reporting_interval_s ||
        x.rated_watts != y.rated_watts || x.baseline_watts != y.baseline_watts) {
      return false;
    }
  }
  return true;
}

}  // namespace

TEST_CASE("City: the same seed gives the same city / another seed another", "[city]") {
  const City a = Make(42, 1);
  const City b = Make(42, 1);
  const City c = Make(43, 1);
  CHECK(SameAssets(a, b));
  CHECK_FALSE(SameAssets(a, c));
  // Not only the locations: the grouping of light points on cabinets moves too.
  std::vector<size_t> groups_a, groups_c;
  for (size_t i = 0; i < 20; ++i) {
    char id[16];
    std::snprintf(id, sizeof(id), "cab-%04zu", i + 1);
    groups_a.push_back(a.ChildrenOf(id).size());
    groups_c.push_back(c.ChildrenOf(id).size());
  }
  CHECK(groups_a != groups_c);
}

TEST_CASE("City: a known seed gives known first assets (portable generation)", "[city]") {
  const City a = Make(7, 1);
  // The first asset is the first cabinet; the light points follow the roots.
  REQUIRE(a.size() > 0);
  CHECK(a.at(0).id == "cab-0001");
  CHECK(a.at(0).kind == v1::ASSET_KIND_CONTROL_CABINET);
  const auto first_light = a.IndexOf("lp-000001");
  REQUIRE(first_light >= 0);
  CHECK(a.at(static_cast<size_t>(first_light)).parent_id == "cab-0001");
}

TEST_CASE("City: exact counts at scale 1 (Dijon) and 2", "[city]") {
  struct Expect {
    v1::AssetKind kind;
    size_t dijon;
  };
  const Expect expected[] = {
      {v1::ASSET_KIND_LIGHT_POINT, 34000},
      {v1::ASSET_KIND_ACCESS_POINT_SITE, 26},
      {v1::ASSET_KIND_CAMERA, 269},
      {v1::ASSET_KIND_TRAFFIC_CONTROLLER, 113},
      {v1::ASSET_KIND_BUILDING_ALARM_PANEL, 180},
      {v1::ASSET_KIND_FLOOD_SENSOR, 20},
      {v1::ASSET_KIND_SNOW_SENSOR, 24},
      {v1::ASSET_KIND_CREW_VEHICLE, 205},
      {v1::ASSET_KIND_BUS, 180},
  };
  for (const double scale : {1.0, 2.0}) {
    const City city = Make(1, scale);
    INFO("scale " << scale);
    size_t total = 0;
    for (const auto& e : expected) {
      INFO("kind " << v1::AssetKind_Name(e.kind));
      CHECK(city.CountOf(e.kind) == e.dijon * static_cast<size_t>(scale));
      total += city.CountOf(e.kind);
    }
    const size_t cabinets = city.CountOf(v1::ASSET_KIND_CONTROL_CABINET);
    // 30..60 light points each.
    CHECK(cabinets >= 34000 * static_cast<size_t>(scale) / 60);
    CHECK(cabinets <= 34000 * static_cast<size_t>(scale) / 30);
    CHECK(city.size() == total + cabinets);
    CHECK(city.CountOf(v1::ASSET_KIND_BOLLARD) == 0);
  }
}

TEST_CASE("City: every light point hangs off a cabinet of 30..60 light points", "[city]") {
  for (const uint64_t seed : {1ULL, 2ULL, 99ULL}) {
    const City city = Make(seed, 1);
    std::map<std::string, int> per_cabinet;
    for (const auto& asset : city.assets()) {
      if (asset.kind != v1::ASSET_KIND_LIGHT_POINT) continue;
      const int64_t parent = city.IndexOf(asset.parent_id);
      REQUIRE(parent >= 0);
      const CityAsset& cabinet = city.at(static_cast<size_t>(parent));
      CHECK(cabinet.kind == v1::ASSET_KIND_CONTROL_CABINET);
      CHECK(cabinet.district == asset.district);
      ++per_cabinet[asset.parent_id];
      CHECK(asset.rated_watts >= 40);
      CHECK(asset.rated_watts <= 60);
      CHECK(asset.baseline_watts >= 150);
      CHECK(asset.baseline_watts <= 250);
      CHECK(asset.reporting_interval_s == kLightPointIntervalS);
    }
    CHECK(per_cabinet.size() == city.CountOf(v1::ASSET_KIND_CONTROL_CABINET));
    for (const auto& [cabinet, n] : per_cabinet) {
      INFO(cabinet);
      CHECK(n >= kMinLightPointsPerCabinet);
      CHECK(n <= kMaxLightPointsPerCabinet);
      CHECK(city.ChildrenOf(cabinet).size() == static_cast<size_t>(n));
    }
  }
}

TEST_CASE("City: cameras hang off access-point sites and roots have no parent", "[city]") {
  const City city = Make(5, 1);
  for (const auto& asset : city.assets()) {
    INFO(asset.id);
    switch (asset.kind) {
      case v1::ASSET_KIND_LIGHT_POINT:
        break;
      case v1::ASSET_KIND_CAMERA: {
        const int64_t parent = city.IndexOf(asset.parent_id);
        REQUIRE(parent >= 0);
        CHECK(city.at(static_cast<size_t>(parent)).kind == v1::ASSET_KIND_ACCESS_POINT_SITE);
        CHECK(asset.reporting_interval_s == kCameraIntervalS);
        break;
      }
      default:
        CHECK(asset.parent_id.empty());
    }
  }
  for (int i = 1; i <= 26; ++i) {
    char id[16];
    std::snprintf(id, sizeof(id), "aps-%02d", i);
    INFO(id);
    CHECK(city.ChildrenOf(id).size() >= 10);
    CHECK(city.ChildrenOf(id).size() <= 11);
  }
}

TEST_CASE("City: parents come before their children", "[city]") {
  const City city = Make(3, 1);
  std::set<std::string> seen;
  for (const auto& asset : city.assets()) {
    if (!asset.parent_id.empty()) CHECK(seen.count(asset.parent_id) == 1);
    seen.insert(asset.id);
  }
}

TEST_CASE("City: locations inside the city / each asset in the district whose polygon holds it / ids unique",
          "[city]") {
  const common::DistrictMap& map = common::DistrictMap::Dijon();
  for (const double scale : {1.0, 2.0}) {
    const City city = Make(11, scale);
    std::set<std::string> ids;
    std::map<int, size_t> per_district;
    for (const auto& asset : city.assets()) {
      INFO(asset.id << " " << asset.lat << "," << asset.lon << " district " << asset.district);
      // Inside the simulator's extent and telemetry-ingest's city bounds.
      CHECK(asset.lat >= 47.29);
      CHECK(asset.lat <= 47.36);
      CHECK(asset.lon >= 4.99);
      CHECK(asset.lon <= 5.09);
      CHECK(asset.lat >= 47.20);
      CHECK(asset.lat <= 47.45);
      CHECK(asset.lon >= 4.85);
      CHECK(asset.lon <= 5.25);
      // Kept to 6 decimals.
      CHECK(std::round(asset.lat * 1e6) / 1e6 == asset.lat);
      CHECK(std::round(asset.lon * 1e6) / 1e6 == asset.lon);
      CHECK(asset.district >= 1);
      CHECK(asset.district <= 24);
      // The district is the one whose polygon holds the asset, and no other does.
      CHECK(asset.district == map.Locate(asset.lat, asset.lon));
      CHECK(map.Contains(asset.district, asset.lat, asset.lon));
      for (int other = 1; other <= 24; ++other) {
        if (other != asset.district && map.Contains(other, asset.lat, asset.lon)) FAIL_CHECK("also in " << other);
      }
      CHECK(asset.reporting_interval_s > 0);
      CHECK(ids.insert(asset.id).second);
      ++per_district[asset.district];
      CHECK(asset.id.size() <= 64);
    }
    // Every district has assets; roots pick a district uniformly, so even the
    // smallest has its share.
    CHECK(per_district.size() == 24);
    for (const auto& [district, n] : per_district) {
      INFO("district " << district);
      CHECK(n > city.size() / 24 / 3);
    }
  }
}

TEST_CASE("City: children stand near their parent, in the parent's district", "[city]") {
  const common::DistrictMap& map = common::DistrictMap::Dijon();
  const City city = Make(4, 1);
  size_t children = 0;
  size_t on_parent = 0;
  for (const auto& asset : city.assets()) {
    if (asset.parent_id.empty()) continue;
    ++children;
    const CityAsset& parent = city.at(static_cast<size_t>(city.IndexOf(asset.parent_id)));
    INFO(asset.id << " of " << parent.id);
    CHECK(asset.district == parent.district);
    CHECK(map.Locate(asset.lat, asset.lon) == parent.district);
    // Within 0.002 degrees (about 200 m) each way.
    CHECK(std::abs(asset.lat - parent.lat) <= 0.002 + 1e-9);
    CHECK(std::abs(asset.lon - parent.lon) <= 0.002 + 1e-9);
    if (asset.lat == parent.lat && asset.lon == parent.lon) ++on_parent;
  }
  CHECK(children == 34000 + 269);
  // Spread around the parent, not piled on it.
  CHECK(on_parent < children / 1000);
}

TEST_CASE("City: a map of one's own places the assets in its districts", "[city]") {
  // Two districts side by side, the western one ten times smaller.
  auto map = common::DistrictMap::FromGeoJson(R"({"type": "FeatureCollection", "features": [
    {"type": "Feature", "properties": {"id": 1, "name": "West"}, "geometry": {"type": "Polygon",
     "coordinates": [[[5.00, 47.30], [5.01, 47.30], [5.01, 47.34], [5.00, 47.34], [5.00, 47.30]]]}},
    {"type": "Feature", "properties": {"id": 2, "name": "East"}, "geometry": {"type": "Polygon",
     "coordinates": [[[5.01, 47.30], [5.11, 47.30], [5.11, 47.34], [5.01, 47.34], [5.01, 47.30]]]}}]})");
  REQUIRE(map.ok());
  CityParams params;
  params.seed = 3;
  params.scale = 0.1;
  params.districts = &*map;
  const City city = GenerateCity(params);
  std::map<int, size_t> roots;
  for (const auto& asset : city.assets()) {
    INFO(asset.id << " " << asset.lat << "," << asset.lon);
    REQUIRE((asset.district == 1 || asset.district == 2));
    CHECK(map->Locate(asset.lat, asset.lon) == asset.district);
    if (asset.parent_id.empty()) ++roots[asset.district];
  }
  // Each district as likely for a root, whatever its size.
  CHECK(roots[1] > roots[2] / 2);
  CHECK(roots[2] > roots[1] / 2);
  // And the same params, the same city.
  CHECK(SameAssets(city, GenerateCity(params)));
}

TEST_CASE("City: ids are readable", "[city]") {
  const City city = Make(1, 1);
  for (const char* id : {"cab-0001", "lp-000001", "lp-034000", "aps-01", "aps-26", "cam-001", "cam-269", "tc-113",
                         "bap-180", "fs-20", "ss-24", "veh-205", "bus-180"}) {
    INFO(id);
    CHECK(city.IndexOf(id) >= 0);
  }
  CHECK(city.IndexOf("lp-034001") < 0);
  CHECK(city.IndexOf("cam-270") < 0);
}

TEST_CASE("City: ToProto carries every field", "[city]") {
  const City city = Make(1, 1);
  const CityAsset& light = city.at(static_cast<size_t>(city.IndexOf("lp-000001")));
  const v1::Asset proto = ToProto(light);
  CHECK(proto.id() == "lp-000001");
  CHECK(proto.kind() == v1::ASSET_KIND_LIGHT_POINT);
  CHECK(proto.district() == light.district);
  CHECK(proto.location().lat() == light.lat);
  CHECK(proto.location().lon() == light.lon);
  CHECK(proto.parent_id() == light.parent_id);
  CHECK(proto.reporting_interval_s() == 300);
  CHECK(proto.rated_watts() == light.rated_watts);
  CHECK(proto.baseline_watts() == light.baseline_watts);
}

TEST_CASE("CityCounts: small scales keep at least one of each", "[city]") {
  const CityCounts tiny = CityCounts::Dijon(0.01);
  CHECK(tiny.light_points == 340);
  CHECK(tiny.flood_sensors == 1);
  const CityCounts tinier = CityCounts::Dijon(0.0001);
  CHECK(tinier.light_points == kMinLightPointsPerCabinet);
  CHECK(tinier.buses == 1);
}

}  // namespace cityops::sim
