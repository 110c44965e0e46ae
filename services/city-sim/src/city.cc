#include "city.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "random.h"

namespace cityops::sim {

namespace v1 = telemetry::v1;

namespace {

// Locations are kept to 6 decimals (about 10 cm); an asset's district is the
// one whose polygon holds its rounded location. A location that misses its
// district (a root that rounding put across an edge, a child drawn outside
// its parent's district) is drawn again, up to this many times.
constexpr int kPlaceTries = 32;
// Children stand within this many degrees (about 200 m) of their parent.
constexpr double kChildSpreadDeg = 0.002;

double Round6(double value) { return std::round(value * 1e6) / 1e6; }

std::string MakeId(const char* prefix, int number, int width) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%s-%0*d", prefix, width, number);
  return buf;
}

struct Point {
  double lat, lon;
};

Point Rounded(double lat, double lon) { return {Round6(lat), Round6(lon)}; }

class Generator {
 public:
  explicit Generator(const CityParams& params) : params_(params), map_(params.Districts()), rng_(params.seed) {}

  City Run() {
    const CityCounts counts = CityCounts::Dijon(params_.scale);
    // Roots first, then the children, so that registration in order always
    // finds the parent.
    std::vector<CityAsset> roots;
    std::vector<CityAsset> children;

    // Control cabinets with 30..60 light points each, until the count is reached.
    int remaining = counts.light_points;
    int cabinet_no = 0;
    int light_no = 0;
    while (remaining > 0) {
      int group = remaining;
      if (remaining > kMaxLightPointsPerCabinet) {
        group = static_cast<int>(rng_.UniformInt(kMinLightPointsPerCabinet, kMaxLightPointsPerCabinet));
        // Never leave fewer than a cabinet's minimum for the last one.
        if (remaining - group < kMinLightPointsPerCabinet) group = remaining - kMinLightPointsPerCabinet;
      }
      remaining -= group;
      CityAsset cabinet = Root(MakeId("cab", ++cabinet_no, 4), v1::ASSET_KIND_CONTROL_CABINET, kCabinetIntervalS);
      for (int i = 0; i < group; ++i) {
        CityAsset light = Child(MakeId("lp", ++light_no, 6), v1::ASSET_KIND_LIGHT_POINT, kLightPointIntervalS, cabinet);
        light.rated_watts = static_cast<double>(rng_.UniformInt(40, 60));
        light.baseline_watts = static_cast<double>(rng_.UniformInt(150, 250));
        children.push_back(std::move(light));
      }
      roots.push_back(std::move(cabinet));
    }

    // Access-point sites, with the cameras shared out evenly among them.
    std::vector<CityAsset> sites;
    for (int i = 1; i <= counts.access_point_sites; ++i) {
      sites.push_back(Root(MakeId("aps", i, 2), v1::ASSET_KIND_ACCESS_POINT_SITE, kAccessPointSiteIntervalS));
    }
    const int per_site = counts.cameras / counts.access_point_sites;
    const int extra = counts.cameras % counts.access_point_sites;
    int camera_no = 0;
    for (int s = 0; s < counts.access_point_sites; ++s) {
      const int n = per_site + (s < extra ? 1 : 0);
      for (int i = 0; i < n; ++i) {
        children.push_back(Child(MakeId("cam", ++camera_no, 3), v1::ASSET_KIND_CAMERA, kCameraIntervalS, sites[s]));
      }
    }
    for (auto& site : sites) roots.push_back(std::move(site));

    AddRoots(roots, "tc", 3, counts.traffic_controllers, v1::ASSET_KIND_TRAFFIC_CONTROLLER,
             kTrafficControllerIntervalS);
    AddRoots(roots, "bap", 3, counts.building_alarm_panels, v1::ASSET_KIND_BUILDING_ALARM_PANEL, kAlarmPanelIntervalS);
    AddRoots(roots, "fs", 2, counts.flood_sensors, v1::ASSET_KIND_FLOOD_SENSOR, kSensorIntervalS);
    AddRoots(roots, "ss", 2, counts.snow_sensors, v1::ASSET_KIND_SNOW_SENSOR, kSensorIntervalS);
    AddRoots(roots, "veh", 3, counts.crew_vehicles, v1::ASSET_KIND_CREW_VEHICLE, kVehicleIntervalS);
    AddRoots(roots, "bus", 3, counts.buses, v1::ASSET_KIND_BUS, kVehicleIntervalS);

    std::vector<CityAsset> all = std::move(roots);
    all.reserve(all.size() + children.size());
    for (auto& child : children) all.push_back(std::move(child));
    return City(params_, std::move(all));
  }

 private:
  CityAsset Place(std::string id, v1::AssetKind kind, int interval_s, Point p) {
    CityAsset asset;
    asset.id = std::move(id);
    asset.kind = kind;
    asset.lat = p.lat;
    asset.lon = p.lon;
    asset.district = map_.Locate(asset.lat, asset.lon);
    asset.reporting_interval_s = interval_s;
    return asset;
  }

  // Anywhere in a random district (each district as likely: the small central
  // ones are the denser).
  CityAsset Root(std::string id, v1::AssetKind kind, int interval_s) {
    const int district = static_cast<int>(rng_.UniformInt(1, static_cast<int64_t>(map_.size())));
    for (int i = 0; i < kPlaceTries; ++i) {
      const common::LatLon p = map_.RandomPointIn(district, [this] { return rng_.Unit(); });
      const Point rounded = Rounded(p.lat, p.lon);
      if (map_.Locate(rounded.lat, rounded.lon) == district) return Place(std::move(id), kind, interval_s, rounded);
    }
    const common::LatLon p = map_.PointIn(district, 0.5, 0.5);
    return Place(std::move(id), kind, interval_s, Rounded(p.lat, p.lon));
  }

  // Near its parent, in the parent's district (on the parent itself if no
  // draw lands there).
  CityAsset Child(std::string id, v1::AssetKind kind, int interval_s, const CityAsset& parent) {
    Point p{parent.lat, parent.lon};
    for (int i = 0; i < kPlaceTries; ++i) {
      const double lat = parent.lat + rng_.UniformReal(-kChildSpreadDeg, kChildSpreadDeg);
      const double lon = parent.lon + rng_.UniformReal(-kChildSpreadDeg, kChildSpreadDeg);
      const Point rounded = Rounded(lat, lon);
      if (map_.Locate(rounded.lat, rounded.lon) == parent.district) {
        p = rounded;
        break;
      }
    }
    CityAsset child = Place(std::move(id), kind, interval_s, p);
    child.parent_id = parent.id;
    return child;
  }

  void AddRoots(std::vector<CityAsset>& out, const char* prefix, int width, int count, v1::AssetKind kind,
                int interval_s) {
    for (int i = 1; i <= count; ++i) out.push_back(Root(MakeId(prefix, i, width), kind, interval_s));
  }

  const CityParams& params_;
  const common::DistrictMap& map_;
  SimRng rng_;
};

}  // namespace

CityCounts CityCounts::Dijon(double scale) {
  const CityCounts base;
  const auto scaled = [scale](int n) { return std::max(1, static_cast<int>(std::lround(n * scale))); };
  CityCounts out;
  out.light_points = std::max(kMinLightPointsPerCabinet, scaled(base.light_points));
  out.access_point_sites = scaled(base.access_point_sites);
  out.cameras = scaled(base.cameras);
  out.traffic_controllers = scaled(base.traffic_controllers);
  out.building_alarm_panels = scaled(base.building_alarm_panels);
  out.flood_sensors = scaled(base.flood_sensors);
  out.snow_sensors = scaled(base.snow_sensors);
  out.crew_vehicles = scaled(base.crew_vehicles);
  out.buses = scaled(base.buses);
  return out;
}

City::City(CityParams params, std::vector<CityAsset> assets) : params_(params), assets_(std::move(assets)) {
  index_.reserve(assets_.size());
  for (size_t i = 0; i < assets_.size(); ++i) {
    index_.emplace(assets_[i].id, i);
    if (!assets_[i].parent_id.empty()) children_[assets_[i].parent_id].push_back(i);
  }
}

int64_t City::IndexOf(std::string_view id) const {
  const auto it = index_.find(std::string(id));
  return it == index_.end() ? -1 : static_cast<int64_t>(it->second);
}

const std::vector<size_t>& City::ChildrenOf(std::string_view id) const {
  static const std::vector<size_t> kNone;
  const auto it = children_.find(std::string(id));
  return it == children_.end() ? kNone : it->second;
}

size_t City::CountOf(v1::AssetKind kind) const {
  return static_cast<size_t>(
      std::count_if(assets_.begin(), assets_.end(), [kind](const CityAsset& a) { return a.kind == kind; }));
}

City GenerateCity(const CityParams& params) { return Generator(params).Run(); }

v1::Asset ToProto(const CityAsset& asset) {
  v1::Asset out;
  out.set_id(asset.id);
  out.set_kind(asset.kind);
  out.set_district(asset.district);
  out.mutable_location()->set_lat(asset.lat);
  out.mutable_location()->set_lon(asset.lon);
  out.set_parent_id(asset.parent_id);
  out.set_reporting_interval_s(asset.reporting_interval_s);
  out.set_rated_watts(asset.rated_watts);
  out.set_baseline_watts(asset.baseline_watts);
  return out;
}

}  // namespace cityops::sim
