#include "telemetry_model.h"

#include <catch2/catch.hpp>

#include <map>
#include <string>

namespace cityops::sim {
namespace {

namespace v1 = telemetry::v1;

// 2026-01-15 at the given UTC hour.
common::TimePoint AtUtcHour(int hour) { return common::TimePoint(std::chrono::seconds(1768435200LL + hour * 3600LL)); }

// The normal ranges of telemetry-ingest's shipped file, for the metrics sent.
struct Range {
  double min, max;
};
const std::map<std::pair<v1::AssetKind, std::string>, Range>& NormalRanges() {
  static const std::map<std::pair<v1::AssetKind, std::string>, Range> ranges = {
      {{v1::ASSET_KIND_LIGHT_POINT, "power_w"}, {0, 250}},
      {{v1::ASSET_KIND_LIGHT_POINT, "level_pct"}, {0, 100}},
      {{v1::ASSET_KIND_CONTROL_CABINET, "voltage_v"}, {200, 250}},
      {{v1::ASSET_KIND_CAMERA, "bitrate_mbps"}, {0.5, 50}},
      {{v1::ASSET_KIND_ACCESS_POINT_SITE, "packet_loss_pct"}, {0, 5}},
      {{v1::ASSET_KIND_TRAFFIC_CONTROLLER, "voltage_v"}, {200, 250}},
      {{v1::ASSET_KIND_BUILDING_ALARM_PANEL, "battery_pct"}, {20, 100}},
      {{v1::ASSET_KIND_FLOOD_SENSOR, "water_level_cm"}, {0, 150}},
      {{v1::ASSET_KIND_SNOW_SENSOR, "road_temp_c"}, {-2, 60}},
      {{v1::ASSET_KIND_CREW_VEHICLE, "speed_kmh"}, {0, 130}},
      {{v1::ASSET_KIND_BUS, "speed_kmh"}, {0, 130}},
  };
  return ranges;
}

}  // namespace

TEST_CASE("LightLevelPct: off by day / full in the evening / dimmed at night (UTC+1)", "[telemetry_model]") {
  CHECK(LightLevelPct(AtUtcHour(11)) == 0.0);    // 12:00 local
  CHECK(LightLevelPct(AtUtcHour(18)) == 100.0);  // 19:00
  CHECK(LightLevelPct(AtUtcHour(1)) == 50.0);    // 02:00
  CHECK(LightLevelPct(AtUtcHour(5)) == 100.0);   // 06:00
  CHECK(LightLevelPct(AtUtcHour(6)) == 100.0);   // 07:00
  CHECK(LightLevelPct(AtUtcHour(7)) == 0.0);     // 08:00
}

TEST_CASE("SampleReadings: every kind reports values inside the normal ranges", "[telemetry_model]") {
  CityParams params;
  params.scale = 0.05;
  const City city = GenerateCity(params);
  SimRng rng(3);
  std::map<v1::AssetKind, int> kinds_reporting;
  std::vector<MetricValue> out;
  for (const int hour : {1, 5, 11, 18, 22}) {
    for (const auto& asset : city.assets()) {
      out.clear();
      SampleReadings(asset, AtUtcHour(hour), rng, out);
      if (!out.empty()) ++kinds_reporting[asset.kind];
      for (const auto& m : out) {
        INFO(asset.id << " " << m.metric << "=" << m.value);
        const auto it = NormalRanges().find({asset.kind, std::string(m.metric)});
        REQUIRE(it != NormalRanges().end());
        CHECK(m.value >= it->second.min);
        CHECK(m.value <= it->second.max);
      }
    }
  }
  // Every kind of the city (all but bollards) sends something.
  CHECK(kinds_reporting.size() == 10);
}

TEST_CASE("SampleReadings: a light point's power follows its rating and level", "[telemetry_model]") {
  CityAsset light;
  light.id = "lp-000001";
  light.kind = v1::ASSET_KIND_LIGHT_POINT;
  light.rated_watts = 50;
  SimRng rng(1);
  std::vector<MetricValue> out;
  SampleReadings(light, AtUtcHour(18), rng, out);  // full
  REQUIRE(out.size() == 2);
  CHECK(out[0].metric == "level_pct");
  CHECK(out[0].value == 100.0);
  CHECK(out[1].metric == "power_w");
  CHECK(out[1].value == Approx(50).margin(1.6));
  out.clear();
  SampleReadings(light, AtUtcHour(1), rng, out);  // dimmed to half
  CHECK(out[1].value == Approx(25).margin(0.9));
  out.clear();
  SampleReadings(light, AtUtcHour(11), rng, out);  // off: standby draw
  CHECK(out[0].value == 0.0);
  CHECK(out[1].value < 1.0);
}

}  // namespace cityops::sim
