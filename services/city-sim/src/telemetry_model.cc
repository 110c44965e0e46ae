#include "telemetry_model.h"

#include <chrono>
#include <cmath>

namespace cityops::sim {

namespace v1 = telemetry::v1;

namespace {

constexpr int kUtcOffsetHours = 1;

double Round1(double value) { return std::round(value * 10.0) / 10.0; }

}  // namespace

double LightLevelPct(common::TimePoint now) {
  const auto since_epoch = std::chrono::duration_cast<std::chrono::hours>(now.time_since_epoch()).count();
  const int hour = static_cast<int>(((since_epoch + kUtcOffsetHours) % 24 + 24) % 24);
  if (hour >= 8 && hour < 18) return 0.0;   // day: off
  if (hour >= 23 || hour < 5) return 50.0;  // dead of night: dimmed
  return 100.0;                             // evening and early morning
}

void SampleReadings(const CityAsset& asset, common::TimePoint now, SimRng& rng, std::vector<MetricValue>& out,
                    std::optional<double> commanded_level) {
  switch (asset.kind) {
    case v1::ASSET_KIND_LIGHT_POINT: {
      const double level = commanded_level.value_or(LightLevelPct(now));
      // A lantern draws about its rating times the level; a driver in standby a little.
      const double power =
          level > 0 ? asset.rated_watts * level / 100.0 * rng.UniformReal(0.97, 1.03) : rng.UniformReal(0.3, 0.8);
      out.push_back({"level_pct", level});
      out.push_back({"power_w", Round1(power)});
      break;
    }
    case v1::ASSET_KIND_CONTROL_CABINET:
      out.push_back({"voltage_v", Round1(rng.UniformReal(226.0, 234.0))});
      break;
    case v1::ASSET_KIND_CAMERA:
      out.push_back({"bitrate_mbps", Round1(rng.UniformReal(4.0, 8.0))});
      break;
    case v1::ASSET_KIND_ACCESS_POINT_SITE:
      out.push_back({"packet_loss_pct", Round1(rng.UniformReal(0.0, 0.5))});
      break;
    case v1::ASSET_KIND_TRAFFIC_CONTROLLER:
      out.push_back({"voltage_v", Round1(rng.UniformReal(226.0, 234.0))});
      break;
    case v1::ASSET_KIND_BUILDING_ALARM_PANEL:
      out.push_back({"battery_pct", Round1(rng.UniformReal(80.0, 100.0))});
      break;
    case v1::ASSET_KIND_FLOOD_SENSOR:
      out.push_back({"water_level_cm", Round1(rng.UniformReal(5.0, 40.0))});
      break;
    case v1::ASSET_KIND_SNOW_SENSOR:
      out.push_back({"road_temp_c", Round1(rng.UniformReal(2.0, 15.0))});
      break;
    case v1::ASSET_KIND_CREW_VEHICLE:
    case v1::ASSET_KIND_BUS: {
      // Stopped now and then, otherwise at town speeds.
      const double speed = rng.Unit() < 0.2 ? 0.0 : rng.UniformReal(10.0, 50.0);
      out.push_back({"speed_kmh", Round1(speed)});
      break;
    }
    default:
      break;
  }
}

}  // namespace cityops::sim
