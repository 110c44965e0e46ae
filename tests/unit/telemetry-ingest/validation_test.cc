#include "domain/validation.h"
#include "cityops/common/proto_time.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <map>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace cityops::telemetry {
namespace {

using std::chrono::hours;
using std::chrono::seconds;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

// 2025-01-15T18:00:00Z.
const common::TimePoint kNow{seconds(1736964000)};

google::protobuf::Timestamp Ts(common::TimePoint t) { return common::ToProtoTime(t); }

v1::Asset LightPoint(const std::string& id = "lp-00001") {
  v1::Asset asset;
  asset.set_id(id);
  asset.set_kind(v1::ASSET_KIND_LIGHT_POINT);
  asset.set_district(7);
  asset.mutable_location()->set_lat(47.322);
  asset.mutable_location()->set_lon(5.041);
  asset.set_parent_id("cab-0001");
  asset.set_reporting_interval_s(60);
  (*asset.mutable_attributes())["model"] = "LED-40";
  asset.set_rated_watts(40);
  asset.set_baseline_watts(150);
  return asset;
}

std::string Message(const absl::Status& status) { return std::string(status.message()); }

// The asset is rejected as INVALID_ARGUMENT with a message naming `field`.
void RequireInvalid(const v1::Asset& asset, const std::string& field) {
  const absl::Status status = ValidateAsset(asset, CityBounds{}, ValidationLimits{});
  INFO("status: " << status.ToString());
  REQUIRE(status.code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(Message(status), Catch::StartsWith(field));
}

bool Valid(const v1::Asset& asset) { return ValidateAsset(asset, CityBounds{}, ValidationLimits{}).ok(); }

// Strings that must never pass as an id or a metric, but are plain data in free text.
const std::vector<std::string> kInjections = {
    "lp-1'; DROP TABLE telemetry.assets;--",
    "lp-1\" OR \"1\"=\"1",
    "' OR 1=1 --",
    "lp-1; rm -rf /",
    "<script>alert(1)</script>",
    "lp-1\nInjected log line",
    "lp-1\r\n",
    std::string("lp-1\0x", 6),
    "lp-1\x1b[31m",
    "lp-1\t",
    "lp 1",
    "../../etc/passwd",
    "${jndi:ldap://x}",
    "lp-1%00",
    "l\xc3\xa9mpe",
};

}  // namespace

TEST_CASE("A well-formed asset is valid", "[validation][asset]") {
  CHECK(ValidateAsset(LightPoint(), CityBounds{}, ValidationLimits{}).ok());
  v1::Asset cabinet = LightPoint("cab-0001");
  cabinet.set_kind(v1::ASSET_KIND_CONTROL_CABINET);
  cabinet.clear_parent_id();
  cabinet.set_rated_watts(0);
  CHECK(Valid(cabinet));
}

TEST_CASE("Asset id: charset and length", "[validation][asset]") {
  v1::Asset asset = LightPoint();
  for (const std::string& id : std::vector<std::string>{"a", "LP.01_x:y-Z", std::string(64, 'x')}) {
    asset.set_id(id);
    CHECK(Valid(asset));
  }
  for (const std::string& id : std::vector<std::string>{"", std::string(65, 'x'), "lp/1", "lp@1"}) {
    asset.set_id(id);
    RequireInvalid(asset, "id:");
  }
}

TEST_CASE("Asset id: injection strings are rejected", "[validation][asset][injection]") {
  v1::Asset asset = LightPoint();
  for (const std::string& id : kInjections) {
    INFO("id: " << id);
    asset.set_id(id);
    RequireInvalid(asset, "id:");
    // The message does not echo the hostile value.
    CHECK(Message(ValidateAsset(asset, CityBounds{}, ValidationLimits{})).find(id) == std::string::npos);
  }
}

TEST_CASE("Asset kind must be set and known", "[validation][asset]") {
  v1::Asset asset = LightPoint();
  asset.set_kind(v1::ASSET_KIND_UNSPECIFIED);
  RequireInvalid(asset, "kind:");
  asset.set_kind(static_cast<v1::AssetKind>(99));
  RequireInvalid(asset, "kind:");
}

TEST_CASE("Asset district is 1 to 24", "[validation][asset]") {
  v1::Asset asset = LightPoint();
  for (int district : {1, 24}) {
    asset.set_district(district);
    CHECK(Valid(asset));
  }
  for (int district : {0, -1, 25}) {
    asset.set_district(district);
    RequireInvalid(asset, "district:");
  }
  CityBounds metropolis;
  metropolis.districts = 240;
  asset.set_district(25);
  CHECK(ValidateAsset(asset, metropolis, ValidationLimits{}).ok());
}

TEST_CASE("Asset location: inside the city, bounds included, finite", "[validation][asset]") {
  const CityBounds b;
  v1::Asset asset = LightPoint();
  for (auto [lat, lon] : {std::pair{b.min_lat, b.min_lon}, std::pair{b.max_lat, b.max_lon},
                          std::pair{b.min_lat, b.max_lon}, std::pair{b.max_lat, b.min_lon}}) {
    asset.mutable_location()->set_lat(lat);
    asset.mutable_location()->set_lon(lon);
    CHECK(Valid(asset));
  }
  asset.mutable_location()->set_lon(5.0);
  for (double lat : {std::nextafter(b.max_lat, 90.0), std::nextafter(b.min_lat, 0.0), 0.0, -47.3}) {
    asset.mutable_location()->set_lat(lat);
    RequireInvalid(asset, "location.lat:");
  }
  asset.mutable_location()->set_lat(47.3);
  for (double lon : {std::nextafter(b.max_lon, 180.0), std::nextafter(b.min_lon, 0.0)}) {
    asset.mutable_location()->set_lon(lon);
    RequireInvalid(asset, "location.lon:");
  }
  for (double bad : {kNaN, kInf, -kInf}) {
    asset.mutable_location()->set_lat(bad);
    asset.mutable_location()->set_lon(5.0);
    RequireInvalid(asset, "location:");
    asset.mutable_location()->set_lat(47.3);
    asset.mutable_location()->set_lon(bad);
    RequireInvalid(asset, "location:");
  }
  asset.clear_location();
  RequireInvalid(asset, "location:");
}

TEST_CASE("Asset parent_id: empty or a valid id other than its own", "[validation][asset]") {
  v1::Asset asset = LightPoint();
  asset.set_parent_id("");
  CHECK(Valid(asset));
  asset.set_parent_id(asset.id());
  RequireInvalid(asset, "parent_id:");
  asset.set_parent_id("cab'--");
  RequireInvalid(asset, "parent_id:");
  asset.set_parent_id(std::string(65, 'c'));
  RequireInvalid(asset, "parent_id:");
}

TEST_CASE("Asset reporting interval is 1 to 86400 s", "[validation][asset]") {
  v1::Asset asset = LightPoint();
  for (int interval : {1, 86400}) {
    asset.set_reporting_interval_s(interval);
    CHECK(Valid(asset));
  }
  for (int interval : {0, -60, 86401}) {
    asset.set_reporting_interval_s(interval);
    RequireInvalid(asset, "reporting_interval_s:");
  }
}

TEST_CASE("Asset attributes: count, key and value limits", "[validation][asset]") {
  v1::Asset asset = LightPoint();
  auto& attributes = *asset.mutable_attributes();
  attributes.clear();
  for (int i = 0; i < 32; ++i) attributes["k" + std::to_string(i)] = "v";
  CHECK(Valid(asset));
  attributes["k32"] = "v";
  RequireInvalid(asset, "attributes:");

  attributes.clear();
  attributes[std::string(64, 'k')] = "v";
  CHECK(Valid(asset));
  attributes[std::string(65, 'k')] = "v";
  RequireInvalid(asset, "attributes:");

  attributes.clear();
  attributes[""] = "v";
  RequireInvalid(asset, "attributes:");

  attributes.clear();
  attributes["street"] = std::string(256, 'v');
  CHECK(Valid(asset));
  // 256 characters of two bytes each: the limit counts characters.
  std::string accented;
  for (int i = 0; i < 256; ++i) accented += "\xc3\xa9";
  attributes["street"] = accented;
  CHECK(Valid(asset));
  attributes["street"] = std::string(257, 'v');
  RequireInvalid(asset, "attributes[street]:");
  attributes["street"] = std::string("Rue\0x", 5);
  RequireInvalid(asset, "attributes[street]:");
}

TEST_CASE("Injection strings are rejected as attribute keys but kept as attribute values",
          "[validation][asset][injection]") {
  v1::Asset asset = LightPoint();
  for (const std::string& text : kInjections) {
    INFO("text: " << text);
    asset.mutable_attributes()->clear();
    (*asset.mutable_attributes())[text] = "v";
    RequireInvalid(asset, "attributes:");
    asset.mutable_attributes()->clear();
    (*asset.mutable_attributes())["street"] = text;
    if (text.find('\0') == std::string::npos) {
      CHECK(Valid(asset));
    } else {
      RequireInvalid(asset, "attributes[street]:");
    }
  }
}

TEST_CASE("Asset watts are finite and not negative, a light point has rated watts", "[validation][asset]") {
  v1::Asset asset = LightPoint();
  for (double bad : {-1.0, kNaN, kInf, -kInf}) {
    asset = LightPoint();
    asset.set_rated_watts(bad);
    RequireInvalid(asset, "rated_watts:");
    asset = LightPoint();
    asset.set_baseline_watts(bad);
    RequireInvalid(asset, "baseline_watts:");
  }
  asset = LightPoint();
  asset.set_rated_watts(0);
  RequireInvalid(asset, "rated_watts:");
  asset.set_rated_watts(0.1);
  CHECK(Valid(asset));
  asset.set_baseline_watts(0);
  CHECK(Valid(asset));
}

TEST_CASE("Parent kinds", "[validation][topology]") {
  using K = v1::AssetKind;
  const K none = v1::ASSET_KIND_UNSPECIFIED;
  const std::vector<std::tuple<K, K, bool>> cases = {
      {v1::ASSET_KIND_LIGHT_POINT, v1::ASSET_KIND_CONTROL_CABINET, true},
      {v1::ASSET_KIND_LIGHT_POINT, none, false},
      {v1::ASSET_KIND_LIGHT_POINT, v1::ASSET_KIND_ACCESS_POINT_SITE, false},
      {v1::ASSET_KIND_LIGHT_POINT, v1::ASSET_KIND_LIGHT_POINT, false},
      {v1::ASSET_KIND_CAMERA, v1::ASSET_KIND_ACCESS_POINT_SITE, true},
      {v1::ASSET_KIND_CAMERA, none, false},
      {v1::ASSET_KIND_CAMERA, v1::ASSET_KIND_CONTROL_CABINET, false},
      {v1::ASSET_KIND_BOLLARD, v1::ASSET_KIND_CONTROL_CABINET, true},
      {v1::ASSET_KIND_BOLLARD, none, true},
      {v1::ASSET_KIND_BOLLARD, v1::ASSET_KIND_ACCESS_POINT_SITE, false},
      {v1::ASSET_KIND_TRAFFIC_CONTROLLER, v1::ASSET_KIND_CONTROL_CABINET, true},
      {v1::ASSET_KIND_TRAFFIC_CONTROLLER, none, true},
      {v1::ASSET_KIND_TRAFFIC_CONTROLLER, v1::ASSET_KIND_BUS, false},
      {v1::ASSET_KIND_CONTROL_CABINET, none, true},
      {v1::ASSET_KIND_CONTROL_CABINET, v1::ASSET_KIND_CONTROL_CABINET, false},
      {v1::ASSET_KIND_ACCESS_POINT_SITE, none, true},
      {v1::ASSET_KIND_ACCESS_POINT_SITE, v1::ASSET_KIND_CONTROL_CABINET, false},
      {v1::ASSET_KIND_BUILDING_ALARM_PANEL, none, true},
      {v1::ASSET_KIND_FLOOD_SENSOR, none, true},
      {v1::ASSET_KIND_FLOOD_SENSOR, v1::ASSET_KIND_CONTROL_CABINET, false},
      {v1::ASSET_KIND_SNOW_SENSOR, none, true},
      {v1::ASSET_KIND_CREW_VEHICLE, none, true},
      {v1::ASSET_KIND_BUS, none, true},
      {v1::ASSET_KIND_BUS, v1::ASSET_KIND_ACCESS_POINT_SITE, false},
      {none, none, false},
  };
  for (const auto& [child, parent, allowed] : cases) {
    INFO(v1::AssetKind_Name(child) << " under " << v1::AssetKind_Name(parent));
    const absl::Status status = ValidateParentKind(child, parent);
    CHECK(status.ok() == allowed);
    if (!allowed) CHECK(status.code() == absl::StatusCode::kInvalidArgument);
  }
  CHECK_THAT(Message(ValidateParentKind(v1::ASSET_KIND_LIGHT_POINT, v1::ASSET_KIND_CAMERA)),
             Catch::Contains("CONTROL_CABINET") && Catch::Contains("CAMERA"));
}

TEST_CASE("Same registration ignores retired, version and updated_at only", "[validation][asset]") {
  const v1::Asset a = LightPoint();
  v1::Asset b = a;
  b.set_retired(true);
  b.set_version(42);
  b.mutable_updated_at()->set_seconds(1736964000);
  CHECK(SameRegistration(a, b));
  CHECK(SameRegistration(b, a));

  // Map order does not matter.
  v1::Asset c = LightPoint();
  c.mutable_attributes()->clear();
  (*c.mutable_attributes())["z"] = "1";
  (*c.mutable_attributes())["a"] = "2";
  v1::Asset d = LightPoint();
  d.mutable_attributes()->clear();
  (*d.mutable_attributes())["a"] = "2";
  (*d.mutable_attributes())["z"] = "1";
  CHECK(SameRegistration(c, d));

  b = a;
  b.mutable_location()->set_lat(47.3221);
  CHECK_FALSE(SameRegistration(a, b));
  b = a;
  b.set_parent_id("cab-0002");
  CHECK_FALSE(SameRegistration(a, b));
  b = a;
  (*b.mutable_attributes())["model"] = "LED-60";
  CHECK_FALSE(SameRegistration(a, b));
  b = a;
  b.set_baseline_watts(151);
  CHECK_FALSE(SameRegistration(a, b));
  b = a;
  b.set_reporting_interval_s(61);
  CHECK_FALSE(SameRegistration(a, b));
}

namespace {

struct Registry {
  std::map<std::string, AssetFacts> assets = {
      {"lp-1", {v1::ASSET_KIND_LIGHT_POINT, false}},
      {"lp-2", {v1::ASSET_KIND_LIGHT_POINT, false}},
      {"lp-old", {v1::ASSET_KIND_LIGHT_POINT, true}},
      {"veh-1", {v1::ASSET_KIND_CREW_VEHICLE, false}},
  };
  mutable std::vector<std::string> asked;
  AssetLookup Lookup() const {
    return [this](const std::string& id) -> std::optional<AssetFacts> {
      asked.push_back(id);
      const auto it = assets.find(id);
      if (it == assets.end()) return std::nullopt;
      return it->second;
    };
  }
};

v1::Reading MakeReading(const std::string& asset, const std::string& metric, double value, common::TimePoint t) {
  v1::Reading reading;
  reading.set_asset_id(asset);
  reading.set_metric(metric);
  reading.set_value(value);
  *reading.mutable_time() = Ts(t);
  return reading;
}

v1::ReadingBatch BatchOf(std::initializer_list<v1::Reading> readings) {
  v1::ReadingBatch batch;
  batch.set_batch_id(1);
  for (const v1::Reading& r : readings) *batch.add_readings() = r;
  return batch;
}

// The single rejection of a one-reading batch.
Rejection RejectOne(const v1::Reading& reading) {
  const Registry registry;
  const std::vector<Rejection> rejections =
      ValidateBatch(BatchOf({reading}), registry.Lookup(), kNow, ValidationLimits{});
  REQUIRE(rejections.size() == 1);
  CHECK(rejections[0].index == 0);
  CHECK_FALSE(rejections[0].message.empty());
  return rejections[0];
}

bool AcceptOne(const v1::Reading& reading) {
  const Registry registry;
  return ValidateBatch(BatchOf({reading}), registry.Lookup(), kNow, ValidationLimits{}).empty();
}

}  // namespace

TEST_CASE("Batch size: 1 to 10,000 readings", "[validation][batch]") {
  const Registry registry;
  v1::ReadingBatch batch;
  std::vector<Rejection> rejections = ValidateBatch(batch, registry.Lookup(), kNow, ValidationLimits{});
  REQUIRE(rejections.size() == 1);
  CHECK(rejections[0].reason == "empty_batch");
  CHECK(rejections[0].index == 0);

  for (int i = 0; i < 10000; ++i) *batch.add_readings() = MakeReading("lp-1", "power_w", 40, kNow);
  CHECK(ValidateBatch(batch, registry.Lookup(), kNow, ValidationLimits{}).empty());

  *batch.add_readings() = MakeReading("lp-1", "power_w", 40, kNow);
  rejections = ValidateBatch(batch, registry.Lookup(), kNow, ValidationLimits{});
  REQUIRE(rejections.size() == 1);
  CHECK(rejections[0].reason == "oversized_batch");
  CHECK(rejections[0].index == 0);
  CHECK_THAT(rejections[0].message, Catch::Contains("10001") && Catch::Contains("10000"));
}

TEST_CASE("Readings of unknown or retired assets are rejected", "[validation][batch]") {
  Rejection r = RejectOne(MakeReading("lp-404", "power_w", 40, kNow));
  CHECK(r.reason == "unknown_asset");
  CHECK_THAT(r.message, Catch::Contains("lp-404"));
  r = RejectOne(MakeReading("lp-old", "power_w", 40, kNow));
  CHECK(r.reason == "retired_asset");
  CHECK(RejectOne(MakeReading("", "power_w", 40, kNow)).reason == "unknown_asset");
}

TEST_CASE("Injection strings as asset id or metric are rejected without reaching the registry",
          "[validation][batch][injection]") {
  for (const std::string& text : kInjections) {
    INFO("text: " << text);
    const Registry registry;
    const std::vector<Rejection> rejections =
        ValidateBatch(BatchOf({MakeReading(text, "power_w", 1, kNow), MakeReading("lp-1", text, 1, kNow)}),
                      registry.Lookup(), kNow, ValidationLimits{});
    REQUIRE(rejections.size() == 2);
    CHECK(rejections[0].reason == "unknown_asset");
    CHECK(rejections[0].message.find(text) == std::string::npos);
    CHECK(rejections[1].index == 1);
    CHECK(rejections[1].reason == "bad_metric");
    CHECK(registry.asked == std::vector<std::string>{"lp-1"});
  }
}

TEST_CASE("Metric names: lower snake case, 1 to 64 characters", "[validation][batch]") {
  for (const std::string& metric :
       std::vector<std::string>{"power_w", "level_pct", "x", "water_level_cm", "co2_ppm", std::string(64, 'm')}) {
    INFO(metric);
    CHECK(AcceptOne(MakeReading("lp-1", metric, 1, kNow)));
  }
  for (const std::string& metric :
       std::vector<std::string>{"", std::string(65, 'm'), "Power_W", "power-w", "power.w", "power w"}) {
    INFO(metric);
    CHECK(RejectOne(MakeReading("lp-1", metric, 1, kNow)).reason == "bad_metric");
  }
}

TEST_CASE("Reading timestamps: present, valid, at most 300 s ahead and 7 days old", "[validation][batch]") {
  CHECK(AcceptOne(MakeReading("lp-1", "power_w", 1, kNow)));
  CHECK(AcceptOne(MakeReading("lp-1", "power_w", 1, kNow + seconds(300))));
  CHECK(RejectOne(MakeReading("lp-1", "power_w", 1, kNow + seconds(301))).reason == "future_timestamp");
  CHECK(RejectOne(MakeReading("lp-1", "power_w", 1, kNow + seconds(300) + std::chrono::nanoseconds(1))).reason ==
        "future_timestamp");
  CHECK(AcceptOne(MakeReading("lp-1", "power_w", 1, kNow - hours(24 * 7))));
  CHECK(RejectOne(MakeReading("lp-1", "power_w", 1, kNow - hours(24 * 7) - seconds(1))).reason == "stale_timestamp");

  v1::Reading reading = MakeReading("lp-1", "power_w", 1, kNow);
  reading.clear_time();
  Rejection r = RejectOne(reading);
  CHECK(r.reason == "bad_timestamp");
  CHECK_THAT(r.message, Catch::Contains("missing"));

  reading = MakeReading("lp-1", "power_w", 1, kNow);
  reading.mutable_time()->set_nanos(1000000000);
  CHECK(RejectOne(reading).reason == "bad_timestamp");
  reading.mutable_time()->set_nanos(-1);
  CHECK(RejectOne(reading).reason == "bad_timestamp");
  reading.mutable_time()->set_nanos(0);
  reading.mutable_time()->set_seconds(253402300800);  // year 10000
  CHECK(RejectOne(reading).reason == "bad_timestamp");
  reading.mutable_time()->set_seconds(-62135596801);  // before year 1
  CHECK(RejectOne(reading).reason == "bad_timestamp");
  reading.mutable_time()->set_seconds(95617584000);  // year 5000: valid, far ahead
  CHECK(RejectOne(reading).reason == "future_timestamp");
  reading.mutable_time()->set_seconds(-30610224000);  // year 1000: valid, far behind
  CHECK(RejectOne(reading).reason == "stale_timestamp");
  reading.mutable_time()->set_seconds(0);  // 1970
  CHECK(RejectOne(reading).reason == "stale_timestamp");
}

TEST_CASE("Reading values must be finite", "[validation][batch]") {
  for (double bad : {kNaN, kInf, -kInf}) {
    CHECK(RejectOne(MakeReading("lp-1", "power_w", bad, kNow)).reason == "not_finite");
  }
  for (double ok : {0.0, -1e300, std::numeric_limits<double>::max(), std::numeric_limits<double>::denorm_min()}) {
    CHECK(AcceptOne(MakeReading("lp-1", "power_w", ok, kNow)));
  }
}

TEST_CASE("A batch reports each bad reading once, by index, with its first problem", "[validation][batch]") {
  const Registry registry;
  const v1::ReadingBatch batch = BatchOf({
      MakeReading("lp-1", "power_w", 40, kNow),
      MakeReading("lp-404", "Bad-Metric", kNaN, kNow + hours(1)),  // unknown asset first
      MakeReading("lp-2", "level_pct", 80, kNow),
      MakeReading("lp-2", "level_pct", kNaN, kNow + hours(1)),  // future before not finite
      MakeReading("lp-old", "level_pct", 80, kNow),
  });
  const std::vector<Rejection> rejections = ValidateBatch(batch, registry.Lookup(), kNow, ValidationLimits{});
  REQUIRE(rejections.size() == 3);
  CHECK(rejections[0].index == 1);
  CHECK(rejections[0].reason == "unknown_asset");
  CHECK(rejections[1].index == 3);
  CHECK(rejections[1].reason == "future_timestamp");
  CHECK(rejections[2].index == 4);
  CHECK(rejections[2].reason == "retired_asset");
}

TEST_CASE("Limits are configurable", "[validation][batch]") {
  const Registry registry;
  ValidationLimits limits;
  limits.max_batch = 2;
  limits.max_future = seconds(10);
  const v1::ReadingBatch three =
      BatchOf({MakeReading("lp-1", "power_w", 1, kNow), MakeReading("lp-1", "power_w", 1, kNow),
               MakeReading("lp-1", "power_w", 1, kNow)});
  REQUIRE(ValidateBatch(three, registry.Lookup(), kNow, limits).size() == 1);
  CHECK(ValidateBatch(three, registry.Lookup(), kNow, limits)[0].reason == "oversized_batch");
  const auto r =
      ValidateBatch(BatchOf({MakeReading("lp-1", "power_w", 1, kNow + seconds(11))}), registry.Lookup(), kNow, limits);
  REQUIRE(r.size() == 1);
  CHECK(r[0].reason == "future_timestamp");
}

namespace {

v1::FaultReport MakeReport(const std::string& asset, v1::FaultType type, common::TimePoint t,
                           const std::string& detail = "lamp out") {
  v1::FaultReport report;
  report.set_asset_id(asset);
  report.set_type(type);
  *report.mutable_time() = Ts(t);
  report.set_detail(detail);
  return report;
}

absl::Status CheckReport(const v1::FaultReport& report) {
  const Registry registry;
  return ValidateFaultReport(report, registry.Lookup(), kNow, ValidationLimits{});
}

}  // namespace

TEST_CASE("Fault reports: asset known and live", "[validation][fault]") {
  CHECK(CheckReport(MakeReport("lp-1", v1::FAULT_TYPE_LAMP_FAILURE, kNow)).ok());
  v1::FaultReport cleared = MakeReport("lp-1", v1::FAULT_TYPE_LAMP_FAILURE, kNow, "");
  cleared.set_cleared(true);
  CHECK(CheckReport(cleared).ok());

  absl::Status status = CheckReport(MakeReport("lp-404", v1::FAULT_TYPE_LAMP_FAILURE, kNow));
  CHECK(status.code() == absl::StatusCode::kNotFound);
  CHECK_THAT(Message(status), Catch::Contains("lp-404"));
  status = CheckReport(MakeReport("lp-old", v1::FAULT_TYPE_LAMP_FAILURE, kNow));
  CHECK(status.code() == absl::StatusCode::kFailedPrecondition);
  for (const std::string& id : kInjections) {
    status = CheckReport(MakeReport(id, v1::FAULT_TYPE_LAMP_FAILURE, kNow));
    CHECK(status.code() == absl::StatusCode::kInvalidArgument);
    CHECK_THAT(Message(status), Catch::StartsWith("asset_id:"));
  }
}

TEST_CASE("Fault reports: type set and one a device may report", "[validation][fault]") {
  for (auto type : {v1::FAULT_TYPE_UNSPECIFIED, static_cast<v1::FaultType>(999), v1::FAULT_TYPE_SILENT,
                    v1::FAULT_TYPE_READING_OUT_OF_RANGE}) {
    const absl::Status status = CheckReport(MakeReport("lp-1", type, kNow));
    CHECK(status.code() == absl::StatusCode::kInvalidArgument);
    CHECK_THAT(Message(status), Catch::StartsWith("type:"));
  }
  for (auto type : {v1::FAULT_TYPE_POWER_LOSS, v1::FAULT_TYPE_FIRE_ALARM, v1::FAULT_TYPE_ICE_ON_ROAD,
                    v1::FAULT_TYPE_DEVICE_FAILURE}) {
    CHECK(CheckReport(MakeReport("lp-1", type, kNow)).ok());
  }
}

TEST_CASE("Fault reports: detail is free text of at most 512 characters", "[validation][fault][injection]") {
  CHECK(CheckReport(MakeReport("lp-1", v1::FAULT_TYPE_TAMPER, kNow, std::string(512, 'd'))).ok());
  absl::Status status = CheckReport(MakeReport("lp-1", v1::FAULT_TYPE_TAMPER, kNow, std::string(513, 'd')));
  CHECK(status.code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(Message(status), Catch::StartsWith("detail:"));
  for (const std::string& text : kInjections) {
    INFO("detail: " << text);
    status = CheckReport(MakeReport("lp-1", v1::FAULT_TYPE_TAMPER, kNow, text));
    if (text.find('\0') == std::string::npos) {
      CHECK(status.ok());
    } else {
      CHECK(status.code() == absl::StatusCode::kInvalidArgument);
      CHECK_THAT(Message(status), Catch::StartsWith("detail:"));
    }
  }
}

TEST_CASE("Fault reports: timestamp checks", "[validation][fault]") {
  CHECK(CheckReport(MakeReport("lp-1", v1::FAULT_TYPE_TAMPER, kNow + seconds(300))).ok());
  CHECK(CheckReport(MakeReport("lp-1", v1::FAULT_TYPE_TAMPER, kNow + seconds(301))).code() ==
        absl::StatusCode::kInvalidArgument);
  CHECK(CheckReport(MakeReport("lp-1", v1::FAULT_TYPE_TAMPER, kNow - hours(24 * 7) - seconds(1))).code() ==
        absl::StatusCode::kInvalidArgument);
  v1::FaultReport report = MakeReport("lp-1", v1::FAULT_TYPE_TAMPER, kNow);
  report.clear_time();
  const absl::Status status = CheckReport(report);
  CHECK(status.code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(Message(status), Catch::StartsWith("time:"));
}

TEST_CASE("Helpers: ids, metrics, UTF-8 length, timestamps", "[validation]") {
  CHECK(IsValidId("cab-0001"));
  CHECK_FALSE(IsValidId("cab-0001", 3));
  CHECK(IsValidMetric("power_w"));
  CHECK_FALSE(IsValidMetric("power_W"));
  CHECK(Utf8Length("abc") == 3);
  CHECK(Utf8Length("\xc3\xa9t\xc3\xa9") == 3);
  CHECK(KindName(v1::ASSET_KIND_FLOOD_SENSOR) == "FLOOD_SENSOR");
  const common::TimePoint t = kNow + std::chrono::milliseconds(250);
  const std::optional<common::TimePoint> back = ToTimePoint(Ts(t));
  REQUIRE(back.has_value());
  CHECK(*back == t);
  google::protobuf::Timestamp bad;
  bad.set_nanos(-5);
  CHECK_FALSE(ToTimePoint(bad).has_value());
}

TEST_CASE("A position reading carries a location inside the city, and only it does", "[validation][position]") {
  v1::Reading fix = MakeReading("veh-1", "position", 32.5, kNow);
  fix.mutable_location()->set_lat(47.33);
  fix.mutable_location()->set_lon(5.04);
  CHECK(AcceptOne(fix));

  v1::Reading outside = fix;
  outside.mutable_location()->set_lat(48.85);  // Paris
  outside.mutable_location()->set_lon(2.35);
  const Rejection far = RejectOne(outside);
  CHECK(far.reason == "bad_location");
  CHECK(far.message.find("outside the city") != std::string::npos);

  v1::Reading nowhere = MakeReading("veh-1", "position", 0, kNow);
  CHECK(RejectOne(nowhere).reason == "bad_location");

  v1::Reading not_a_number = fix;
  not_a_number.mutable_location()->set_lon(std::nan(""));
  CHECK(RejectOne(not_a_number).reason == "bad_location");

  v1::Reading power_somewhere = MakeReading("lp-1", "power_w", 40, kNow);
  *power_somewhere.mutable_location() = fix.location();
  const Rejection stray = RejectOne(power_somewhere);
  CHECK(stray.reason == "bad_location");
  CHECK(stray.message.find("only \"position\"") != std::string::npos);

  // The bounds are the ones configured, not Dijon's by default.
  const Registry registry;
  CityBounds paris{48.80, 48.92, 2.22, 2.47, 20};
  CHECK(ValidateBatch(BatchOf({outside}), registry.Lookup(), kNow, ValidationLimits{}, paris).empty());
  CHECK(ValidateBatch(BatchOf({fix}), registry.Lookup(), kNow, ValidationLimits{}, paris).size() == 1);
}

}  // namespace cityops::telemetry
