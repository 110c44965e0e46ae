#pragma once

// The simulated city: its assets generated from a seed, as plain data. Pure:
// nothing here talks to a network.

#include <cstddef>
#include <cstdint>
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
};

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

// The same params give the same city, on any machine.
City GenerateCity(const CityParams& params);

// The asset as telemetry-ingest registers it.
telemetry::v1::Asset ToProto(const CityAsset& asset);

}  // namespace cityops::sim
