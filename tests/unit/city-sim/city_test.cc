#include "city.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <iterator>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "cityops/common/geo.h"

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
        x.rated_watts != y.rated_watts || x.baseline_watts != y.baseline_watts || x.attributes != y.attributes) {
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

TEST_CASE("City: building alarm panels have a building type in Dijon's mix and a name", "[city]") {
  const City city = Make(1, 1);
  std::map<std::string, int> per_type;
  std::set<std::string> names;
  for (const auto& asset : city.assets()) {
    if (asset.kind != v1::ASSET_KIND_BUILDING_ALARM_PANEL) {
      CHECK((asset.kind == v1::ASSET_KIND_FLOOD_SENSOR || asset.kind == v1::ASSET_KIND_SNOW_SENSOR ||
             asset.kind == v1::ASSET_KIND_CONTROL_CABINET || asset.kind == v1::ASSET_KIND_LIGHT_POINT ||
             asset.attributes.empty()));
      CHECK(asset.attributes.count(kAttrBuilding) == 0);
      continue;
    }
    INFO(asset.id);
    REQUIRE(asset.attributes.count(kAttrBuilding) == 1);
    REQUIRE(asset.attributes.count(kAttrName) == 1);
    CHECK(asset.attributes.size() == 2);
    ++per_type[asset.attributes.at(kAttrBuilding)];
    const std::string& name = asset.attributes.at(kAttrName);
    CHECK(names.insert(name).second);  // every name once
    CHECK(name.size() <= 256);
    // The name starts with its type's prefix.
    bool prefixed = false;
    for (const auto& type : kBuildingTypes) {
      if (type.code == asset.attributes.at(kAttrBuilding)) prefixed = name.rfind(std::string(type.prefix), 0) == 0;
    }
    CHECK(prefixed);
  }
  // Exactly the mix at Dijon's scale.
  int total = 0;
  for (const auto& type : kBuildingTypes) {
    INFO(type.code);
    CHECK(per_type[std::string(type.code)] == type.per_dijon);
    total += type.per_dijon;
  }
  CHECK(total == 180);
  CHECK(per_type.size() == std::size(kBuildingTypes));
  // Schools are the largest share.
  CHECK(per_type["primary_school"] + per_type["nursery_school"] + per_type["school_group"] == 80);
  CHECK(IsSchoolBuilding("primary_school"));
  CHECK(IsSchoolBuilding("nursery_school"));
  CHECK_FALSE(IsSchoolBuilding("library"));
  CHECK_FALSE(IsSchoolBuilding("unknown"));
  CHECK(AssetsWhere(city, v1::ASSET_KIND_BUILDING_ALARM_PANEL, kAttrBuilding, "town_hall").size() == 1);
  CHECK(AssetsWhere(city, v1::ASSET_KIND_BUILDING_ALARM_PANEL, kAttrBuilding).size() == 180);
  CHECK(AssetsWhere(city, v1::ASSET_KIND_FLOOD_SENSOR, kAttrBuilding).empty());
  // District town halls are named after their district.
  for (const size_t i : AssetsWhere(city, v1::ASSET_KIND_BUILDING_ALARM_PANEL, kAttrBuilding, "district_town_hall")) {
    const auto* district = common::DistrictMap::Dijon().Find(city.at(i).district);
    REQUIRE(district != nullptr);
    CHECK(city.at(i).attributes.at(kAttrName).find(district->name) != std::string::npos);
  }
}

TEST_CASE("City: at every scale at least one school - the types move with the seed", "[city]") {
  for (const double scale : {0.001, 0.01, 0.05, 0.1, 0.5, 2.0, 10.0}) {
    CAPTURE(scale);
    const City city = Make(3, scale);
    const auto buildings = AssetsWhere(city, v1::ASSET_KIND_BUILDING_ALARM_PANEL, kAttrBuilding);
    CHECK(buildings.size() == city.CountOf(v1::ASSET_KIND_BUILDING_ALARM_PANEL));
    size_t schools = 0;
    std::set<std::string> names;
    for (const size_t i : buildings) {
      if (IsSchoolBuilding(city.at(i).attributes.at(kAttrBuilding))) ++schools;
      CHECK(names.insert(city.at(i).attributes.at(kAttrName)).second);
    }
    CHECK(schools >= 1);
    if (buildings.size() >= 18) CHECK(schools >= buildings.size() * 4 / 10);
    CHECK(AssetsWhere(city, v1::ASSET_KIND_BUILDING_ALARM_PANEL, kAttrBuilding, "town_hall").size() ==
          (buildings.size() >= 2 ? 1U : 0U));
  }
  const City a = Make(1, 1);
  const City b = Make(2, 1);
  int differ = 0;
  for (int i = 1; i <= 180; ++i) {
    char id[16];
    std::snprintf(id, sizeof(id), "bap-%03d", i);
    if (a.at(static_cast<size_t>(a.IndexOf(id))).attributes != b.at(static_cast<size_t>(b.IndexOf(id))).attributes) {
      ++differ;
    }
  }
  CHECK(differ > 150);
}

TEST_CASE("City: flood sensors along the Ouche (and the Suzon), upstream to downstream", "[city]") {
  const City city = Make(1, 1);
  const auto ouche = AssetsWhere(city, v1::ASSET_KIND_FLOOD_SENSOR, kAttrRiver, kRiverOuche);
  const auto suzon = AssetsWhere(city, v1::ASSET_KIND_FLOOD_SENSOR, kAttrRiver, kRiverSuzon);
  CHECK(ouche.size() == 16);
  CHECK(suzon.size() == 4);
  CHECK(ouche.size() + suzon.size() == city.CountOf(v1::ASSET_KIND_FLOOD_SENSOR));
  for (const auto* river : {&ouche, &suzon}) {
    double previous_km = -1;
    std::string previous_id;
    for (const size_t i : *river) {
      const CityAsset& sensor = city.at(i);
      INFO(sensor.id << " " << sensor.lat << "," << sensor.lon);
      const std::string& km = sensor.attributes.at(kAttrRiverKm);
      // One decimal.
      REQUIRE(km.find('.') != std::string::npos);
      CHECK(km.size() - km.find('.') == 2);
      const double value = std::stod(km);
      CHECK(value > previous_km);  // ids in order down the river
      CHECK(sensor.id > previous_id);
      previous_km = value;
      previous_id = sensor.id;
      CHECK(sensor.district >= 1);
    }
  }
  // The Ouche's sensors run west to east across the south of the city, the
  // first within ~1.5 km of the Lac Kir, over its ~7.5 km through the map.
  const CityAsset& first = city.at(ouche.front());
  const CityAsset& last = city.at(ouche.back());
  CHECK(first.lon < 5.01);
  CHECK(last.lon > 5.06);
  CHECK(last.lat < first.lat);
  CHECK(std::stod(last.attributes.at(kAttrRiverKm)) > 6);
  CHECK(std::stod(last.attributes.at(kAttrRiverKm)) < 9);
  // Neighbours stand roughly a spacing apart (~0.5 km), not piled up.
  for (size_t k = 1; k < ouche.size(); ++k) {
    const CityAsset& a = city.at(ouche[k - 1]);
    const CityAsset& b = city.at(ouche[k]);
    CHECK(common::DistanceMeters(a.lat, a.lon, b.lat, b.lon) > 100);
    CHECK(common::DistanceMeters(a.lat, a.lon, b.lat, b.lon) < 1200);
  }
  // Few sensors: all on the Ouche.
  const City small = Make(1, 0.1);
  CHECK(AssetsWhere(small, v1::ASSET_KIND_FLOOD_SENSOR, kAttrRiver, kRiverOuche).size() == 2);
}

TEST_CASE("City: one snow sensor per district, each on a main road", "[city]") {
  const City city = Make(1, 1);
  const auto sensors = AssetsWhere(city, v1::ASSET_KIND_SNOW_SENSOR, kAttrRoad);
  REQUIRE(sensors.size() == 24);
  std::set<int> districts;
  std::set<std::string> roads;
  for (size_t k = 0; k < sensors.size(); ++k) {
    const CityAsset& sensor = city.at(sensors[k]);
    CHECK(sensor.district == static_cast<int>(k) + 1);
    districts.insert(sensor.district);
    CHECK_FALSE(sensor.attributes.at(kAttrRoad).empty());
    roads.insert(sensor.attributes.at(kAttrRoad));
  }
  CHECK(districts.size() == 24);
  CHECK(roads.size() == 24);
  // Other scales: spread evenly.
  const City half = Make(1, 0.5);
  std::set<int> half_districts;
  for (const size_t i : AssetsWhere(half, v1::ASSET_KIND_SNOW_SENSOR, kAttrRoad)) {
    half_districts.insert(half.at(i).district);
  }
  CHECK(half_districts.size() == 12);
  const City twice = Make(1, 2);
  std::map<int, int> per_district;
  for (const size_t i : AssetsWhere(twice, v1::ASSET_KIND_SNOW_SENSOR, kAttrRoad)) ++per_district[twice.at(i).district];
  CHECK(per_district.size() == 24);
  for (const auto& [district, n] : per_district) CHECK(n == 2);
}

TEST_CASE("City: ToProto carries the attributes", "[city]") {
  const City city = Make(1, 1);
  for (const char* id : {"bap-001", "fs-01", "ss-01"}) {
    INFO(id);
    const CityAsset& asset = city.at(static_cast<size_t>(city.IndexOf(id)));
    const v1::Asset proto = ToProto(asset);
    REQUIRE(proto.attributes_size() == static_cast<int>(asset.attributes.size()));
    CHECK(proto.attributes_size() > 0);
    CHECK(proto.attributes_size() <= 32);
    for (const auto& [key, value] : asset.attributes) {
      CHECK(proto.attributes().at(key) == value);
      CHECK(key.size() <= 64);
      CHECK(value.size() <= 256);
    }
  }
}

TEST_CASE("CityCounts: small scales keep at least one of each", "[city]") {
  const CityCounts tiny = CityCounts::Dijon(0.01);
  CHECK(tiny.light_points == 340);
  CHECK(tiny.flood_sensors == 1);
  const CityCounts tinier = CityCounts::Dijon(0.0001);
  CHECK(tinier.light_points == kMinLightPointsPerCabinet);
  CHECK(tinier.buses == 1);
}

// ------------------------------------------------------------------ streets

bool IsLit(const CityAsset& a) {
  return a.kind == v1::ASSET_KIND_CONTROL_CABINET || a.kind == v1::ASSET_KIND_LIGHT_POINT;
}

TEST_CASE("City: every cabinet and light point has a street and a road class, the points their cabinet's",
          "[city][streets]") {
  const City city = Make(1, 1);
  size_t cabinets = 0, points = 0;
  for (const CityAsset& a : city.assets()) {
    if (!IsLit(a)) continue;
    INFO(a.id);
    REQUIRE(a.attributes.count(kAttrStreet) == 1);
    REQUIRE(a.attributes.count(kAttrRoadClass) == 1);
    CHECK_FALSE(a.attributes.at(kAttrStreet).empty());
    CHECK(a.attributes.at(kAttrStreet).size() <= 256);
    const std::string& road_class = a.attributes.at(kAttrRoadClass);
    CHECK((road_class == kRoadClassMain || road_class == kRoadClassLocal));
    if (a.kind == v1::ASSET_KIND_CONTROL_CABINET) {
      ++cabinets;
      continue;
    }
    ++points;
    const CityAsset& cabinet = city.at(static_cast<size_t>(city.IndexOf(a.parent_id)));
    CHECK(a.attributes.at(kAttrStreet) == cabinet.attributes.at(kAttrStreet));
    CHECK(road_class == cabinet.attributes.at(kAttrRoadClass));
  }
  CHECK(cabinets == city.CountOf(v1::ASSET_KIND_CONTROL_CABINET));
  CHECK(points == 34000);
  // ToProto carries them.
  const v1::Asset proto = ToProto(city.at(static_cast<size_t>(city.IndexOf("lp-000001"))));
  CHECK(proto.attributes().at(kAttrStreet) == city.at(0).attributes.at(kAttrStreet));
}

TEST_CASE("City: about a quarter of the cabinets on main roads, at least one per district of two or more",
          "[city][streets]") {
  for (const uint64_t seed : {1, 7, 42}) {
    INFO("seed " << seed);
    const City city = Make(seed, 1);
    std::map<int, int> cabinets_in, mains_in;
    std::map<int, std::set<std::string>> main_streets_in;
    std::set<std::string> main_streets, local_streets;
    for (const CityAsset& a : city.assets()) {
      if (a.kind != v1::ASSET_KIND_CONTROL_CABINET) continue;
      ++cabinets_in[a.district];
      if (a.attributes.at(kAttrRoadClass) == kRoadClassMain) {
        ++mains_in[a.district];
        main_streets_in[a.district].insert(a.attributes.at(kAttrStreet));
        main_streets.insert(a.attributes.at(kAttrStreet));
      } else {
        local_streets.insert(a.attributes.at(kAttrStreet));
      }
    }
    int cabinets = 0, mains = 0;
    for (const auto& [district, n] : cabinets_in) {
      INFO("district " << district);
      cabinets += n;
      mains += mains_in[district];
      if (n >= 2) CHECK(mains_in[district] >= 1);
    }
    const double share = static_cast<double>(mains) / cabinets;
    CHECK(share >= 0.15);
    CHECK(share <= 0.40);
    // A main road is never also a local street, and the local streets are many.
    for (const auto& street : main_streets) CHECK(local_streets.count(street) == 0);
    CHECK(local_streets.size() > 100);
    // Each district's snow sensor stands on one of its main-road cabinets' roads.
    for (const size_t i : AssetsWhere(city, v1::ASSET_KIND_SNOW_SENSOR, kAttrRoad)) {
      const CityAsset& sensor = city.at(i);
      INFO(sensor.id);
      CHECK(main_streets_in[sensor.district].count(sensor.attributes.at(kAttrRoad)) == 1);
    }
  }
  // A small city too: every district of two cabinets or more has a main one.
  const City small = Make(3, 0.05);
  std::map<int, int> cabinets_in, mains_in;
  for (const CityAsset& a : small.assets()) {
    if (a.kind != v1::ASSET_KIND_CONTROL_CABINET) continue;
    ++cabinets_in[a.district];
    if (a.attributes.at(kAttrRoadClass) == kRoadClassMain) ++mains_in[a.district];
  }
  for (const auto& [district, n] : cabinets_in) {
    if (n >= 2) CHECK(mains_in[district] >= 1);
  }
}

TEST_CASE("City: the streets follow the seed, and only cabinets and light points have them", "[city][streets]") {
  const City a = Make(5, 0.2);
  const City b = Make(5, 0.2);
  const City c = Make(6, 0.2);
  bool differs = false;
  for (size_t i = 0; i < a.size(); ++i) {
    const CityAsset& x = a.at(i);
    INFO(x.id);
    REQUIRE(x.id == b.at(i).id);
    CHECK(x.attributes == b.at(i).attributes);
    if (IsLit(x)) {
      const int64_t j = c.IndexOf(x.id);
      if (j >= 0 && c.at(static_cast<size_t>(j)).attributes.at(kAttrStreet) != x.attributes.at(kAttrStreet)) {
        differs = true;
      }
      continue;
    }
    CHECK(x.attributes.count(kAttrStreet) == 0);
    CHECK(x.attributes.count(kAttrRoadClass) == 0);
  }
  CHECK(differs);
}

}  // namespace cityops::sim
