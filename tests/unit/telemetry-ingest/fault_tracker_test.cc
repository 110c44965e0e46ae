#include "domain/fault_tracker.h"
#include "cityops/common/proto_time.h"

#include <catch2/catch.hpp>

#include <limits>
#include <string>
#include <vector>

#include "domain/normal_ranges.h"
#include "domain/validation.h"

namespace cityops::telemetry {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

// 2025-01-15T18:00:00Z.
const common::TimePoint kStart{seconds(1736964000)};

google::protobuf::Timestamp Ts(common::TimePoint t) { return common::ToProtoTime(t); }

std::string Message(const absl::Status& status) { return std::string(status.message()); }

constexpr const char* kRangesJson = R"({"ranges": [
  {"kind": "LIGHT_POINT", "metric": "power_w", "min": 0, "max": 250},
  {"kind": "LIGHT_POINT", "metric": "level_pct", "min": 0, "max": 100, "note": "dimming level"},
  {"kind": "SNOW_SENSOR", "metric": "road_temp_c", "min": -2, "max": 60}
]})";

NormalRanges TestRanges() {
  absl::StatusOr<NormalRanges> ranges = NormalRanges::FromJson(kRangesJson);
  REQUIRE(ranges.ok());
  return *std::move(ranges);
}

v1::Reading MakeReading(const std::string& metric, double value, common::TimePoint t) {
  v1::Reading reading;
  reading.set_asset_id("lp-1");
  reading.set_metric(metric);
  reading.set_value(value);
  *reading.mutable_time() = Ts(t);
  return reading;
}

v1::FaultReport MakeReport(v1::FaultType type, common::TimePoint t, bool cleared = false,
                           const std::string& detail = "") {
  v1::FaultReport report;
  report.set_asset_id("lp-1");
  report.set_type(type);
  *report.mutable_time() = Ts(t);
  report.set_cleared(cleared);
  report.set_detail(detail);
  return report;
}

AssetHealth LightPointHealth() {
  AssetHealth health;
  health.asset_id = "lp-1";
  health.kind = v1::ASSET_KIND_LIGHT_POINT;
  health.reporting_interval = seconds(60);
  return health;
}

}  // namespace

// ---- NormalRanges ----------------------------------------------------------

TEST_CASE("Normal ranges: parse and find", "[normal_ranges]") {
  const NormalRanges ranges = TestRanges();
  CHECK(ranges.size() == 3);
  const std::optional<Range> power = ranges.Find(v1::ASSET_KIND_LIGHT_POINT, "power_w");
  REQUIRE(power.has_value());
  CHECK(power->min == 0);
  CHECK(power->max == 250);
  CHECK(power->Contains(0));
  CHECK(power->Contains(250));
  CHECK_FALSE(power->Contains(250.001));
  CHECK_FALSE(power->Contains(-0.001));
  const std::optional<Range> ice = ranges.Find(v1::ASSET_KIND_SNOW_SENSOR, "road_temp_c");
  REQUIRE(ice.has_value());
  CHECK(ice->min == -2);
  CHECK_FALSE(ranges.Find(v1::ASSET_KIND_CONTROL_CABINET, "power_w").has_value());
  CHECK_FALSE(ranges.Find(v1::ASSET_KIND_LIGHT_POINT, "voltage_v").has_value());
  CHECK_FALSE(ranges.Find(v1::ASSET_KIND_UNSPECIFIED, "power_w").has_value());
}

TEST_CASE("Normal ranges: errors name the entry and the field", "[normal_ranges]") {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"not json", "not valid JSON"},
      {"[]", "object"},
      {"{}", "ranges"},
      {R"({"ranges": {}})", "ranges"},
      {R"({"ranges": [1]})", "ranges[0]"},
      {R"({"ranges": [{"kind": "LIGHT_POINT", "metric": "power_w", "min": 0, "max": 1},
                      {"kind": "LAMP", "metric": "power_w", "min": 0, "max": 1}]})",
       "ranges[1].kind"},
      {R"({"ranges": [{"kind": "UNSPECIFIED", "metric": "power_w", "min": 0, "max": 1}]})", "ranges[0].kind"},
      {R"({"ranges": [{"kind": "ASSET_KIND_BUS", "metric": "speed_kmh", "min": 0, "max": 1}]})", "ranges[0].kind"},
      {R"({"ranges": [{"metric": "power_w", "min": 0, "max": 1}]})", "ranges[0].kind"},
      {R"({"ranges": [{"kind": 1, "metric": "power_w", "min": 0, "max": 1}]})", "ranges[0].kind"},
      {R"({"ranges": [{"kind": "BUS", "metric": "Speed", "min": 0, "max": 1}]})", "ranges[0].metric"},
      {R"({"ranges": [{"kind": "BUS", "metric": "x'; DROP TABLE y;--", "min": 0, "max": 1}]})", "ranges[0].metric"},
      {R"({"ranges": [{"kind": "BUS", "min": 0, "max": 1}]})", "ranges[0].metric"},
      {R"({"ranges": [{"kind": "BUS", "metric": "speed_kmh", "max": 1}]})", "ranges[0].min"},
      {R"({"ranges": [{"kind": "BUS", "metric": "speed_kmh", "min": "0", "max": 1}]})", "ranges[0].min"},
      {R"({"ranges": [{"kind": "BUS", "metric": "speed_kmh", "min": 0}]})", "ranges[0].max"},
      {R"({"ranges": [{"kind": "BUS", "metric": "speed_kmh", "min": 5, "max": 1}]})", "ranges[0].max"},
      {R"({"ranges": [{"kind": "BUS", "metric": "speed_kmh", "min": 0, "max": 1, "mx": 2}]})", "ranges[0].mx"},
      {R"({"ranges": [{"kind": "BUS", "metric": "speed_kmh", "min": 0, "max": 1, "note": 3}]})", "ranges[0].note"},
      {R"({"ranges": [{"kind": "BUS", "metric": "speed_kmh", "min": 0, "max": 1},
                      {"kind": "BUS", "metric": "speed_kmh", "min": 0, "max": 2}]})",
       "ranges[1].metric"},
  };
  for (const auto& [json, expected] : cases) {
    INFO(json);
    const absl::StatusOr<NormalRanges> ranges = NormalRanges::FromJson(json);
    REQUIRE_FALSE(ranges.ok());
    CHECK(ranges.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK_THAT(Message(ranges.status()), Catch::Contains(expected));
  }
  // A degenerate range (min == max) and an empty list are fine.
  CHECK(NormalRanges::FromJson(R"({"ranges": [{"kind": "BUS", "metric": "doors", "min": 2, "max": 2}]})").ok());
  CHECK(NormalRanges::FromJson(R"({"ranges": []})").ok());
}

TEST_CASE("Normal ranges: the shipped file loads with the expected defaults", "[normal_ranges]") {
  const absl::StatusOr<NormalRanges> ranges =
      NormalRanges::LoadFile(std::string(CITYOPS_SOURCE_DIR) + "/services/telemetry-ingest/config/normal_ranges.json");
  REQUIRE(ranges.ok());
  struct Expected {
    v1::AssetKind kind;
    const char* metric;
    double min, max;
  };
  for (const Expected& e : std::vector<Expected>{
           {v1::ASSET_KIND_LIGHT_POINT, "power_w", 0, 250},
           {v1::ASSET_KIND_LIGHT_POINT, "level_pct", 0, 100},
           {v1::ASSET_KIND_CONTROL_CABINET, "voltage_v", 200, 250},
           {v1::ASSET_KIND_FLOOD_SENSOR, "water_level_cm", 0, 150},
           {v1::ASSET_KIND_SNOW_SENSOR, "road_temp_c", -2, 60},
           {v1::ASSET_KIND_CREW_VEHICLE, "speed_kmh", 0, 130},
           {v1::ASSET_KIND_BUS, "speed_kmh", 0, 130},
       }) {
    INFO(KindName(e.kind) << " " << e.metric);
    const std::optional<Range> range = ranges->Find(e.kind, e.metric);
    REQUIRE(range.has_value());
    CHECK(range->min == e.min);
    CHECK(range->max == e.max);
  }
  const absl::StatusOr<NormalRanges> missing = NormalRanges::LoadFile("no/such/normal_ranges.json");
  CHECK(missing.status().code() == absl::StatusCode::kNotFound);
}

// ---- AssetHealth -----------------------------------------------------------

TEST_CASE("Health summary", "[fault_tracker]") {
  AssetHealth health = LightPointHealth();
  CHECK(health.health() == v1::HEALTH_UNKNOWN);
  health.last_seen = kStart;
  CHECK(health.health() == v1::HEALTH_OK);
  health.faults.push_back({v1::FAULT_TYPE_LAMP_FAILURE, v1::FAULT_SOURCE_SELF_REPORTED, kStart, "", "", 0});
  CHECK(health.health() == v1::HEALTH_FAULTY);
  health.faults.push_back({v1::FAULT_TYPE_SILENT, v1::FAULT_SOURCE_SILENCE, kStart, "", "", 0});
  CHECK(health.health() == v1::HEALTH_SILENT);
  // Never heard, then silent: SILENT (the fault shows), not UNKNOWN.
  health.last_seen.reset();
  CHECK(health.health() == v1::HEALTH_SILENT);
}

// ---- Out-of-range faults ---------------------------------------------------

TEST_CASE("Out of range: raised once, no repeat while faulty, cleared once", "[fault_tracker]") {
  const FaultTracker tracker(TestRanges());
  common::FakeClock clock(kStart);
  AssetHealth health = LightPointHealth();

  CHECK(tracker.OnReading(health, MakeReading("power_w", 40, clock.Now())).empty());
  CHECK(health.health() == v1::HEALTH_OK);

  clock.Advance(minutes(1));
  const common::TimePoint raised_at = clock.Now();
  std::vector<FaultTransition> t = tracker.OnReading(health, MakeReading("power_w", 300, raised_at));
  REQUIRE(t.size() == 1);
  CHECK(t[0].type == v1::FAULT_TYPE_READING_OUT_OF_RANGE);
  CHECK(t[0].source == v1::FAULT_SOURCE_OUT_OF_RANGE);
  CHECK(t[0].state == v1::FAULT_STATE_RAISED);
  CHECK(t[0].since == raised_at);
  CHECK(t[0].at == raised_at);
  CHECK(t[0].metric == "power_w");
  CHECK(t[0].value == 300);
  CHECK_THAT(t[0].detail, Catch::Contains("power_w") && Catch::Contains("300"));
  CHECK(health.health() == v1::HEALTH_FAULTY);
  REQUIRE(health.faults.size() == 1);
  CHECK(health.faults[0].value == 300);

  for (int i = 0; i < 5; ++i) {
    clock.Advance(minutes(1));
    CHECK(tracker.OnReading(health, MakeReading("power_w", 310 + i, clock.Now())).empty());
  }
  CHECK(health.faults.size() == 1);

  clock.Advance(minutes(1));
  t = tracker.OnReading(health, MakeReading("power_w", 42, clock.Now()));
  REQUIRE(t.size() == 1);
  CHECK(t[0].type == v1::FAULT_TYPE_READING_OUT_OF_RANGE);
  CHECK(t[0].state == v1::FAULT_STATE_CLEARED);
  CHECK(t[0].since == raised_at);
  CHECK(t[0].at == clock.Now());
  CHECK(t[0].metric == "power_w");
  CHECK(t[0].value == 42);
  CHECK(health.health() == v1::HEALTH_OK);
  CHECK(health.faults.empty());

  clock.Advance(minutes(1));
  CHECK(tracker.OnReading(health, MakeReading("power_w", 41, clock.Now())).empty());
}

TEST_CASE("Out of range: bounds are inclusive", "[fault_tracker]") {
  const FaultTracker tracker(TestRanges());
  AssetHealth health = LightPointHealth();
  CHECK(tracker.OnReading(health, MakeReading("power_w", 250, kStart)).empty());
  CHECK(tracker.OnReading(health, MakeReading("power_w", 0, kStart)).empty());
  CHECK(tracker.OnReading(health, MakeReading("power_w", 250.5, kStart)).size() == 1);
  AssetHealth other = LightPointHealth();
  CHECK(tracker.OnReading(other, MakeReading("power_w", -0.5, kStart)).size() == 1);
}

TEST_CASE("Out of range: keyed by metric", "[fault_tracker]") {
  const FaultTracker tracker(TestRanges());
  common::FakeClock clock(kStart);
  AssetHealth health = LightPointHealth();
  REQUIRE(tracker.OnReading(health, MakeReading("power_w", 300, clock.Now())).size() == 1);
  clock.Advance(seconds(1));
  std::vector<FaultTransition> t = tracker.OnReading(health, MakeReading("level_pct", 120, clock.Now()));
  REQUIRE(t.size() == 1);
  CHECK(t[0].metric == "level_pct");
  CHECK(health.faults.size() == 2);
  REQUIRE(health.FindFault(v1::FAULT_TYPE_READING_OUT_OF_RANGE, "power_w") != nullptr);
  REQUIRE(health.FindFault(v1::FAULT_TYPE_READING_OUT_OF_RANGE, "level_pct") != nullptr);

  clock.Advance(seconds(1));
  t = tracker.OnReading(health, MakeReading("level_pct", 50, clock.Now()));
  REQUIRE(t.size() == 1);
  CHECK(t[0].metric == "level_pct");
  CHECK(t[0].state == v1::FAULT_STATE_CLEARED);
  CHECK(health.FindFault(v1::FAULT_TYPE_READING_OUT_OF_RANGE, "level_pct") == nullptr);
  CHECK(health.FindFault(v1::FAULT_TYPE_READING_OUT_OF_RANGE, "power_w") != nullptr);
  CHECK(health.health() == v1::HEALTH_FAULTY);
}

TEST_CASE("Out of range: metrics and kinds without a range never fault", "[fault_tracker]") {
  const FaultTracker tracker(TestRanges());
  AssetHealth health = LightPointHealth();
  CHECK(tracker.OnReading(health, MakeReading("voltage_v", 1e9, kStart)).empty());
  health.kind = v1::ASSET_KIND_BUS;
  CHECK(tracker.OnReading(health, MakeReading("power_w", 1e9, kStart)).empty());
  CHECK(health.faults.empty());
  CHECK(health.health() == v1::HEALTH_OK);
}

TEST_CASE("Out of range: a late in-range reading older than the fault does not clear it", "[fault_tracker]") {
  const FaultTracker tracker(TestRanges());
  AssetHealth health = LightPointHealth();
  REQUIRE(tracker.OnReading(health, MakeReading("power_w", 300, kStart)).size() == 1);
  CHECK(tracker.OnReading(health, MakeReading("power_w", 40, kStart - seconds(30))).empty());
  CHECK(health.health() == v1::HEALTH_FAULTY);
  CHECK(tracker.OnReading(health, MakeReading("power_w", 40, kStart)).size() == 1);
  CHECK(health.health() == v1::HEALTH_OK);
}

TEST_CASE("Readings move last_seen forward only", "[fault_tracker]") {
  const FaultTracker tracker(TestRanges());
  AssetHealth health = LightPointHealth();
  tracker.OnReading(health, MakeReading("power_w", 40, kStart + minutes(5)));
  REQUIRE(health.last_seen.has_value());
  CHECK(*health.last_seen == kStart + minutes(5));
  tracker.OnReading(health, MakeReading("power_w", 40, kStart + minutes(2)));
  CHECK(*health.last_seen == kStart + minutes(5));
  tracker.OnReading(health, MakeReading("power_w", 40, kStart + minutes(6)));
  CHECK(*health.last_seen == kStart + minutes(6));
  // A reading without a (valid) time changes nothing.
  v1::Reading no_time = MakeReading("power_w", 300, kStart + minutes(7));
  no_time.clear_time();
  CHECK(tracker.OnReading(health, no_time).empty());
  CHECK(*health.last_seen == kStart + minutes(6));
}

// ---- Silence ---------------------------------------------------------------

TEST_CASE("Silence: a never-heard asset goes silent after exactly 3 intervals", "[fault_tracker][silence]") {
  const FaultTracker tracker(TestRanges());
  common::FakeClock clock(kStart);
  const common::TimePoint registered_at = clock.Now();
  AssetHealth health = LightPointHealth();

  clock.Advance(seconds(179));
  CHECK(tracker.CheckSilence(health, clock.Now(), registered_at).empty());
  CHECK(health.health() == v1::HEALTH_UNKNOWN);

  clock.Advance(seconds(1));
  std::vector<FaultTransition> t = tracker.CheckSilence(health, clock.Now(), registered_at);
  REQUIRE(t.size() == 1);
  CHECK(t[0].type == v1::FAULT_TYPE_SILENT);
  CHECK(t[0].source == v1::FAULT_SOURCE_SILENCE);
  CHECK(t[0].state == v1::FAULT_STATE_RAISED);
  CHECK(t[0].since == registered_at + seconds(180));
  CHECK(t[0].at == clock.Now());
  CHECK(health.health() == v1::HEALTH_SILENT);

  for (int i = 0; i < 10; ++i) {
    clock.Advance(minutes(3));
    CHECK(tracker.CheckSilence(health, clock.Now(), registered_at).empty());
  }
  CHECK(health.faults.size() == 1);
}

TEST_CASE("Silence: raised at 3 intervals after the last reading, recovered by the next one",
          "[fault_tracker][silence]") {
  const FaultTracker tracker(TestRanges());
  common::FakeClock clock(kStart);
  const common::TimePoint registered_at = clock.Now() - std::chrono::hours(24);
  AssetHealth health = LightPointHealth();
  health.reporting_interval = seconds(600);

  clock.Advance(minutes(5));
  const common::TimePoint heard = clock.Now();
  REQUIRE(tracker.OnReading(health, MakeReading("power_w", 40, heard)).empty());
  CHECK(health.health() == v1::HEALTH_OK);

  clock.Set(heard + seconds(1799));
  CHECK(tracker.CheckSilence(health, clock.Now(), registered_at).empty());
  clock.Set(heard + seconds(1800));
  std::vector<FaultTransition> t = tracker.CheckSilence(health, clock.Now(), registered_at);
  REQUIRE(t.size() == 1);
  CHECK(t[0].since == heard + seconds(1800));
  CHECK(health.health() == v1::HEALTH_SILENT);
  CHECK(tracker.CheckSilence(health, clock.Now() + std::chrono::hours(5), registered_at).empty());

  clock.Advance(minutes(40));
  t = tracker.OnReading(health, MakeReading("power_w", 40, clock.Now()));
  REQUIRE(t.size() == 1);
  CHECK(t[0].type == v1::FAULT_TYPE_SILENT);
  CHECK(t[0].source == v1::FAULT_SOURCE_SILENCE);
  CHECK(t[0].state == v1::FAULT_STATE_CLEARED);
  CHECK(t[0].since == heard + seconds(1800));
  CHECK(t[0].at == clock.Now());
  CHECK(health.health() == v1::HEALTH_OK);

  clock.Advance(minutes(1));
  CHECK(tracker.OnReading(health, MakeReading("power_w", 40, clock.Now())).empty());
  // Heard again: the silence clock restarts from the last reading.
  CHECK(tracker.CheckSilence(health, clock.Now() + seconds(1799), registered_at).empty());
  CHECK(tracker.CheckSilence(health, clock.Now() + seconds(1800), registered_at).size() == 1);
}

TEST_CASE("Silence: an out-of-range reading after silence both recovers and raises", "[fault_tracker][silence]") {
  const FaultTracker tracker(TestRanges());
  AssetHealth health = LightPointHealth();
  REQUIRE(tracker.CheckSilence(health, kStart + minutes(3), kStart).size() == 1);
  const std::vector<FaultTransition> t = tracker.OnReading(health, MakeReading("power_w", 999, kStart + minutes(4)));
  REQUIRE(t.size() == 2);
  CHECK(t[0].type == v1::FAULT_TYPE_SILENT);
  CHECK(t[0].state == v1::FAULT_STATE_CLEARED);
  CHECK(t[1].type == v1::FAULT_TYPE_READING_OUT_OF_RANGE);
  CHECK(t[1].state == v1::FAULT_STATE_RAISED);
  CHECK(health.health() == v1::HEALTH_FAULTY);
}

TEST_CASE("Silence: a fault report is hearing from the device", "[fault_tracker][silence]") {
  const FaultTracker tracker(TestRanges());
  AssetHealth health = LightPointHealth();
  REQUIRE(tracker.CheckSilence(health, kStart + minutes(3), kStart).size() == 1);
  const std::vector<FaultTransition> t =
      tracker.OnFaultReport(health, MakeReport(v1::FAULT_TYPE_POWER_LOSS, kStart + minutes(4)));
  REQUIRE(t.size() == 2);
  CHECK(t[0].type == v1::FAULT_TYPE_SILENT);
  CHECK(t[0].state == v1::FAULT_STATE_CLEARED);
  CHECK(t[1].type == v1::FAULT_TYPE_POWER_LOSS);
  CHECK(t[1].state == v1::FAULT_STATE_RAISED);
  REQUIRE(health.last_seen.has_value());
  CHECK(*health.last_seen == kStart + minutes(4));
}

// ---- Self-reported faults --------------------------------------------------

TEST_CASE("Self-reported faults: raise once, dedup, clear once", "[fault_tracker][report]") {
  const FaultTracker tracker(TestRanges());
  common::FakeClock clock(kStart);
  AssetHealth health = LightPointHealth();

  const common::TimePoint raised_at = clock.Now();
  std::vector<FaultTransition> t =
      tracker.OnFaultReport(health, MakeReport(v1::FAULT_TYPE_LAMP_FAILURE, raised_at, false, "driver dead"));
  REQUIRE(t.size() == 1);
  CHECK(t[0].type == v1::FAULT_TYPE_LAMP_FAILURE);
  CHECK(t[0].source == v1::FAULT_SOURCE_SELF_REPORTED);
  CHECK(t[0].state == v1::FAULT_STATE_RAISED);
  CHECK(t[0].since == raised_at);
  CHECK(t[0].detail == "driver dead");
  CHECK(health.health() == v1::HEALTH_FAULTY);

  clock.Advance(minutes(1));
  CHECK(tracker.OnFaultReport(health, MakeReport(v1::FAULT_TYPE_LAMP_FAILURE, clock.Now())).empty());
  CHECK(tracker.OnFaultReport(health, MakeReport(v1::FAULT_TYPE_POWER_LOSS, clock.Now(), true)).empty());
  CHECK(health.faults.size() == 1);

  clock.Advance(minutes(1));
  t = tracker.OnFaultReport(health, MakeReport(v1::FAULT_TYPE_LAMP_FAILURE, clock.Now(), true, "replaced"));
  REQUIRE(t.size() == 1);
  CHECK(t[0].state == v1::FAULT_STATE_CLEARED);
  CHECK(t[0].source == v1::FAULT_SOURCE_SELF_REPORTED);
  CHECK(t[0].since == raised_at);
  CHECK(t[0].at == clock.Now());
  CHECK(health.health() == v1::HEALTH_OK);

  CHECK(tracker.OnFaultReport(health, MakeReport(v1::FAULT_TYPE_LAMP_FAILURE, clock.Now(), true)).empty());
}

TEST_CASE("Self-reported faults: several types at once", "[fault_tracker][report]") {
  const FaultTracker tracker(TestRanges());
  AssetHealth health = LightPointHealth();
  CHECK(tracker.OnFaultReport(health, MakeReport(v1::FAULT_TYPE_TAMPER, kStart)).size() == 1);
  CHECK(tracker.OnFaultReport(health, MakeReport(v1::FAULT_TYPE_POWER_LOSS, kStart)).size() == 1);
  CHECK(health.faults.size() == 2);
  CHECK(tracker.OnFaultReport(health, MakeReport(v1::FAULT_TYPE_TAMPER, kStart + seconds(1), true)).size() == 1);
  CHECK(health.FindFault(v1::FAULT_TYPE_POWER_LOSS) != nullptr);
  CHECK(health.health() == v1::HEALTH_FAULTY);
}

TEST_CASE("Self-reported faults: types raised by ingest are not accepted as reports", "[fault_tracker][report]") {
  const FaultTracker tracker(TestRanges());
  AssetHealth health = LightPointHealth();
  CHECK(tracker.OnFaultReport(health, MakeReport(v1::FAULT_TYPE_SILENT, kStart)).empty());
  CHECK(tracker.OnFaultReport(health, MakeReport(v1::FAULT_TYPE_READING_OUT_OF_RANGE, kStart)).empty());
  CHECK(tracker.OnFaultReport(health, MakeReport(v1::FAULT_TYPE_UNSPECIFIED, kStart)).empty());
  CHECK(health.faults.empty());
  CHECK(health.health() == v1::HEALTH_OK);
  REQUIRE(tracker.CheckSilence(health, kStart + minutes(3), kStart).size() == 1);
  // A device cannot clear a silence by "clearing" SILENT... but hearing from it does.
  const auto t = tracker.OnFaultReport(health, MakeReport(v1::FAULT_TYPE_SILENT, kStart + minutes(4), true));
  REQUIRE(t.size() == 1);
  CHECK(t[0].source == v1::FAULT_SOURCE_SILENCE);
}

TEST_CASE("State survives a restart: a new tracker continues from the persisted health", "[fault_tracker]") {
  AssetHealth persisted;
  {
    const FaultTracker tracker(TestRanges());
    AssetHealth health = LightPointHealth();
    REQUIRE(tracker.OnReading(health, MakeReading("power_w", 300, kStart)).size() == 1);
    REQUIRE(tracker.OnFaultReport(health, MakeReport(v1::FAULT_TYPE_TAMPER, kStart)).size() == 1);
    persisted = health;
  }
  const FaultTracker restarted(TestRanges());
  AssetHealth health = persisted;
  CHECK(restarted.OnReading(health, MakeReading("power_w", 300, kStart + minutes(1))).empty());
  CHECK(restarted.OnFaultReport(health, MakeReport(v1::FAULT_TYPE_TAMPER, kStart + minutes(1))).empty());
  const auto t = restarted.OnReading(health, MakeReading("power_w", 40, kStart + minutes(2)));
  REQUIRE(t.size() == 1);
  CHECK(t[0].since == kStart);
}

TEST_CASE("Shipped ranges: high water and ice are faults", "[fault_tracker]") {
  const absl::StatusOr<NormalRanges> ranges =
      NormalRanges::LoadFile(std::string(CITYOPS_SOURCE_DIR) + "/services/telemetry-ingest/config/normal_ranges.json");
  REQUIRE(ranges.ok());
  const FaultTracker tracker(*ranges);
  AssetHealth flood{"fs-1", v1::ASSET_KIND_FLOOD_SENSOR, seconds(300), std::nullopt, {}};
  CHECK(tracker.OnReading(flood, MakeReading("water_level_cm", 150, kStart)).empty());
  CHECK(tracker.OnReading(flood, MakeReading("water_level_cm", 151, kStart)).size() == 1);
  AssetHealth snow{"ss-1", v1::ASSET_KIND_SNOW_SENSOR, seconds(300), std::nullopt, {}};
  CHECK(tracker.OnReading(snow, MakeReading("road_temp_c", -2, kStart)).empty());
  CHECK(tracker.OnReading(snow, MakeReading("road_temp_c", -2.5, kStart)).size() == 1);
}

}  // namespace cityops::telemetry
