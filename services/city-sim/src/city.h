#pragma once

// The simulated city: its assets generated from a seed, as plain data. Pure:
// nothing here talks to a network.

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "cityops/common/districts.h"
#include "cityops/telemetry/v1/assets.pb.h"

namespace cityops::sim {

// How many of each kind. Defaults: Dijon.
struct CityCounts {
  int light_points = 34000;
  int access_point_sites = 26;
  int cameras = 269;
  int traffic_controllers = 113;
  int building_alarm_panels = 180;
  int flood_sensors = 20;
  int snow_sensors = 24;
  int crew_vehicles = 205;
  int buses = 180;

  // Every count multiplied by scale (rounded, at least one; at least one
  // cabinet's worth of light points).
  static CityCounts Dijon(double scale);
};

// Light points hang off cabinets in groups of this size.
inline constexpr int kMinLightPointsPerCabinet = 30;
inline constexpr int kMaxLightPointsPerCabinet = 60;

// Reporting intervals, in seconds.
inline constexpr int kLightPointIntervalS = 300;
inline constexpr int kCabinetIntervalS = 60;
inline constexpr int kCameraIntervalS = 60;
inline constexpr int kAccessPointSiteIntervalS = 60;
inline constexpr int kTrafficControllerIntervalS = 60;
inline constexpr int kAlarmPanelIntervalS = 300;
inline constexpr int kSensorIntervalS = 120;
inline constexpr int kVehicleIntervalS = 30;

struct CityAsset {
  std::string id;
  telemetry::v1::AssetKind kind = telemetry::v1::ASSET_KIND_UNSPECIFIED;
  int district = 0;
  double lat = 0;
  double lon = 0;
  std::string parent_id;  // empty for a root
  int reporting_interval_s = 0;
  double rated_watts = 0;     // light points only
  double baseline_watts = 0;  // light points only
  // Free attributes, registered as the Asset's `attributes` (telemetry-ingest
  // takes at most 32, keys 64 and values 256 characters):
  //  - building alarm panels: `building` (one of kBuildingTypes' codes) and
  //    `name` ("École élémentaire des Tilleuls");
  //  - flood sensors: `river` ("Ouche" or "Suzon") and `river_km` (distance
  //    along the river from where it enters the map, 1 decimal: "3.4");
  //  - snow sensors: `road` (an invented main road, "Boulevard des Tanneurs");
  //  - control cabinets and their light points: `street` (an invented street
  //    name, the cabinet's and all its points' the same) and `road_class`
  //    (kRoadClassMain or kRoadClassLocal). About a quarter of the cabinets
  //    are on main roads (named from the snow sensors' list; a district's snow
  //    sensor's road is one of that district's main-road cabinets' streets),
  //    and every district with two cabinets or more has one at least.
  std::map<std::string, std::string> attributes;
};

// Attribute keys.
inline constexpr const char* kAttrBuilding = "building";
inline constexpr const char* kAttrName = "name";
inline constexpr const char* kAttrRiver = "river";
inline constexpr const char* kAttrRiverKm = "river_km";
inline constexpr const char* kAttrRoad = "road";
inline constexpr const char* kAttrStreet = "street";
inline constexpr const char* kAttrRoadClass = "road_class";

// Road classes of the cabinets' streets.
inline constexpr const char* kRoadClassMain = "main";
inline constexpr const char* kRoadClassLocal = "local";

// The public buildings with an alarm panel, per 180 (Dijon): nursery and
// primary schools the largest share (80 of 180 are schools), then sports
// halls, nurseries, administrative buildings, libraries, district town halls,
// community centres, museums, pools, theatres, the conservatory and the town
// hall (always exactly one, from two buildings up). Other counts are
// apportioned by these shares (largest remainder), with at least one school.
struct BuildingType {
  std::string_view code;    // the `building` attribute
  std::string_view prefix;  // the start of its name
  int per_dijon;            // how many of Dijon's 180
  bool school;
};
inline constexpr BuildingType kBuildingTypes[] = {
    {"primary_school", "École élémentaire", 38, true},
    {"nursery_school", "École maternelle", 32, true},
    {"school_group", "Groupe scolaire", 10, true},
    {"sports_hall", "Gymnase", 24, false},
    {"swimming_pool", "Piscine", 4, false},
    {"library", "Bibliothèque", 10, false},
    {"district_town_hall", "Mairie de quartier", 8, false},
    {"museum", "Musée", 6, false},
    {"nursery", "Crèche", 16, false},
    {"administrative", "Centre administratif", 18, false},
    {"community_centre", "Maison de quartier", 10, false},
    {"theatre", "Théâtre", 2, false},
    {"conservatory", "Conservatoire", 1, false},
    {"town_hall", "Hôtel de Ville", 1, false},
};
// True for the school codes (primary_school, nursery_school, school_group).
bool IsSchoolBuilding(std::string_view building);

// The rivers the flood sensors watch, as polylines upstream to downstream.
inline constexpr const char* kRiverOuche = "Ouche";
inline constexpr const char* kRiverSuzon = "Suzon";

struct CityParams {
  uint64_t seed = 1;
  double scale = 1.0;  // 1 = Dijon
  // The districts to place the assets in (not owned); nullptr: the shipped
  // Dijon map (common::DistrictMap::Dijon()).
  const common::DistrictMap* districts = nullptr;

  const common::DistrictMap& Districts() const {
    return districts != nullptr ? *districts : common::DistrictMap::Dijon();
  }
};

class City {
 public:
  City(CityParams params, std::vector<CityAsset> assets);

  const CityParams& params() const { return params_; }
  // Parents before their children (the order to register them in).
  const std::vector<CityAsset>& assets() const { return assets_; }
  size_t size() const { return assets_.size(); }
  const CityAsset& at(size_t index) const { return assets_[index]; }

  // Index of an asset, or -1.
  int64_t IndexOf(std::string_view id) const;
  // Indices of an asset's children.
  const std::vector<size_t>& ChildrenOf(std::string_view id) const;
  size_t CountOf(telemetry::v1::AssetKind kind) const;

 private:
  CityParams params_;
  std::vector<CityAsset> assets_;
  std::unordered_map<std::string, size_t> index_;
  std::unordered_map<std::string, std::vector<size_t>> children_;
};

// Indices (in the city's order) of the assets of `kind` whose attribute
// `key` equals `value` (any value when `value` is empty).
std::vector<size_t> AssetsWhere(const City& city, telemetry::v1::AssetKind kind, std::string_view key,
                                std::string_view value = {});

// The same params give the same city, on any machine.
City GenerateCity(const CityParams& params);

// The asset as telemetry-ingest registers it.
telemetry::v1::Asset ToProto(const CityAsset& asset);

}  // namespace cityops::sim
