#include "call_line.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "cityops/common/geo.h"

namespace cityops::sim {
namespace {

namespace cv1 = calls::v1;
namespace tv1 = telemetry::v1;

constexpr int64_t kDayMs = 86'400'000;

// The calls of the first `days` days (real time, at the given speed).
std::vector<ResidentCall> CallsOf(uint64_t seed, double per_day, double speed, double days) {
  CallLineParams params;
  params.seed = seed;
  params.calls_per_day = per_day;
  params.speed = speed;
  CallLine line(params);
  std::vector<ResidentCall> out;
  const auto end = std::chrono::milliseconds(static_cast<int64_t>(days * static_cast<double>(kDayMs) / speed));
  for (;;) {
    ResidentCall call = line.Next();
    if (call.at >= end) break;
    out.push_back(std::move(call));
  }
  return out;
}

bool Same(const ResidentCall& a, const ResidentCall& b) {
  return a.at == b.at && a.number == b.number && a.category == b.category && a.channel == b.channel &&
         a.description == b.description && a.lat == b.lat && a.lon == b.lon && a.district == b.district &&
         a.address == b.address && a.caller.first_name == b.caller.first_name &&
         a.caller.last_name == b.caller.last_name && a.caller.phone == b.caller.phone &&
         a.caller.email == b.caller.email && a.about == b.about;
}

City SmallCity(uint64_t seed, double scale) {
  CityParams params;
  params.seed = seed;
  params.scale = scale;
  return GenerateCity(params);
}

Scenario PowerLoss(const City& city, const std::string& cabinet) {
  ScenarioParams params;
  params.name = kScenarioCabinetPowerLoss;
  params.target = cabinet;
  params.fault_after = std::chrono::seconds(30);
  params.fault_duration = std::chrono::minutes(3);
  auto scenario = MakeScenario(city, params);
  REQUIRE(scenario.ok());
  return *scenario;
}

}  // namespace

TEST_CASE("CallLine: the same seed gives the same calls, another seed others", "[call_line]") {
  const auto a = CallsOf(7, 600, 1, 2);
  const auto b = CallsOf(7, 600, 1, 2);
  const auto c = CallsOf(8, 600, 1, 2);
  REQUIRE(a.size() == b.size());
  for (size_t i = 0; i < a.size(); ++i) CHECK(Same(a[i], b[i]));
  bool differs = a.size() != c.size();
  for (size_t i = 0; !differs && i < a.size(); ++i) differs = !Same(a[i], c[i]);
  CHECK(differs);
}

TEST_CASE("CallLine: the mixes are shares that sum to one", "[call_line]") {
  for (const auto* mix : {&CallCategoryMix(), &CallChannelMix()}) {
    double sum = 0;
    for (const auto& share : *mix) {
      CHECK(share.share > 0);
      sum += share.share;
    }
    CHECK(sum == Approx(1.0));
  }
  // resident-calls' category codes.
  std::set<std::string_view> codes;
  for (const auto& share : CallCategoryMix()) codes.insert(share.code);
  CHECK(codes == std::set<std::string_view>{"cleanliness", "bulky_items", "refuse_collection", "roads",
                                            "street_lighting", "green_spaces", "traffic_lights", "public_buildings",
                                            "other"});
}

TEST_CASE("CallLine: a simulated week has ~600 calls a day in the configured mix", "[call_line]") {
  for (const uint64_t seed : {1ULL, 2ULL, 3ULL}) {
    CAPTURE(seed);
    const auto calls = CallsOf(seed, 600, 1, 7);
    std::map<int64_t, int> per_day;
    std::map<std::string, int> per_category;
    std::map<cv1::RequestChannel, int> per_channel;
    for (const auto& call : calls) {
      ++per_day[call.at.count() / kDayMs];
      ++per_category[call.category];
      ++per_channel[call.channel];
    }
    // A Poisson count of 4200 has a standard deviation of ~65, a day's of ~25.
    CHECK(std::abs(static_cast<double>(calls.size()) - 4200) < 4200 * 0.05);
    REQUIRE(per_day.size() == 7);
    for (const auto& [day, n] : per_day) {
      CAPTURE(day);
      CHECK(std::abs(n - 600) < 600 * 0.15);
    }
    const double total = static_cast<double>(calls.size());
    for (const auto& share : CallCategoryMix()) {
      CAPTURE(share.code);
      CHECK(std::abs(per_category[std::string(share.code)] / total - share.share) < 0.02);
    }
    CHECK(per_category.size() == CallCategoryMix().size());
    CHECK(std::abs(per_channel[cv1::REQUEST_CHANNEL_PHONE] / total - 0.55) < 0.03);
    CHECK(std::abs(per_channel[cv1::REQUEST_CHANNEL_APP] / total - 0.30) < 0.03);
    CHECK(std::abs(per_channel[cv1::REQUEST_CHANNEL_WEB] / total - 0.15) < 0.03);
  }
}

TEST_CASE("CallLine: the rate follows calls-per-day and the speed", "[call_line]") {
  const auto daily = CallsOf(5, 600, 1, 1);
  const auto fast = CallsOf(5, 600, 10, 1);  // one simulated day in 8640 s
  REQUIRE(daily.size() == fast.size());
  for (size_t i = 0; i < daily.size(); ++i) {
    CHECK(fast[i].category == daily[i].category);
    CHECK(std::abs(static_cast<double>(fast[i].at.count()) - static_cast<double>(daily[i].at.count()) / 10) <= 1);
  }
  const auto busy = CallsOf(5, 6000, 1, 1);
  CHECK(std::abs(static_cast<double>(busy.size()) - 6000) < 6000 * 0.05);

  CallLineParams none;
  none.calls_per_day = 0;
  CHECK_FALSE(CallLine(none).enabled());
  CHECK(CallLine(CallLineParams{}).enabled());
}

TEST_CASE("CallLine: every call is in time order, inside its district, and complete", "[call_line]") {
  const auto& map = common::DistrictMap::Dijon();
  const auto calls = CallsOf(11, 600, 1, 7);
  REQUIRE_FALSE(calls.empty());
  std::set<int> districts;
  int anonymous = 0;
  for (size_t i = 0; i < calls.size(); ++i) {
    const ResidentCall& call = calls[i];
    CAPTURE(i, call.lat, call.lon, call.district);
    if (i > 0) CHECK(call.at >= calls[i - 1].at);
    CHECK(call.number == i + 1);
    CHECK(call.district >= 1);
    CHECK(call.district <= static_cast<int>(map.size()));
    CHECK(map.Locate(call.lat, call.lon) == call.district);
    CHECK(std::round(call.lat * 1e6) / 1e6 == call.lat);
    CHECK_FALSE(call.description.empty());
    CHECK(call.address.find("Dijon") != std::string::npos);
    CHECK(call.about.empty());
    districts.insert(call.district);
    if (call.caller.empty()) {
      ++anonymous;
      continue;
    }
    CHECK_FALSE(call.caller.first_name.empty());
    if (call.channel == cv1::REQUEST_CHANNEL_PHONE) CHECK(call.caller.phone.rfind("+33 6 39 98 ", 0) == 0);
    if (call.channel != cv1::REQUEST_CHANNEL_PHONE) {
      CHECK(call.caller.email.size() > 12);
      CHECK(call.caller.email.substr(call.caller.email.size() - 12) == "@example.org");
    }
  }
  CHECK(districts.size() == map.size());  // every district calls in a week
  CHECK(anonymous > 0);
  CHECK(anonymous < static_cast<int>(calls.size()) / 5);
}

TEST_CASE("CallLine: a custom district map", "[call_line]") {
  auto map = common::DistrictMap::FromGeoJson(R"({"type": "FeatureCollection", "features": [
    {"type": "Feature", "properties": {"id": 1, "name": "Left"}, "geometry": {"type": "Polygon",
     "coordinates": [[[5.0, 47.0], [5.01, 47.0], [5.01, 47.01], [5.0, 47.01], [5.0, 47.0]]]}},
    {"type": "Feature", "properties": {"id": 2, "name": "Right"}, "geometry": {"type": "Polygon",
     "coordinates": [[[5.01, 47.0], [5.02, 47.0], [5.02, 47.01], [5.01, 47.01], [5.01, 47.0]]]}}]})");
  REQUIRE(map.ok());
  CallLineParams params;
  params.seed = 3;
  params.districts = &*map;
  CallLine line(params);
  for (int i = 0; i < 200; ++i) {
    const ResidentCall call = line.Next();
    CHECK(map->Locate(call.lat, call.lon) == call.district);
    CHECK((call.district == 1 || call.district == 2));
    CHECK(call.address.find(call.district == 1 ? "Left" : "Right") != std::string::npos);
  }
}

TEST_CASE("ScenarioCalls: residents near the dark cabinet call street_lighting after the loss", "[call_line]") {
  const City city = SmallCity(1, 0.2);
  const auto& map = city.params().Districts();
  size_t cabinets = 0;
  for (const auto& asset : city.assets()) {
    if (asset.kind != tv1::ASSET_KIND_CONTROL_CABINET) continue;
    ++cabinets;
    CAPTURE(asset.id);
    const Scenario scenario = PowerLoss(city, asset.id);
    const ScenarioStep& loss = scenario.steps[0];
    const ScenarioStep& back = scenario.steps[1];
    const auto calls = ScenarioCalls(city, scenario, 1);
    REQUIRE(calls.size() >= 2);
    REQUIRE(calls.size() <= 3);
    for (size_t i = 0; i < calls.size(); ++i) {
      const ResidentCall& call = calls[i];
      CAPTURE(i, call.lat, call.lon);
      CHECK(call.at == loss.at + kScenarioCallDelays[i]);
      CHECK(call.at > loss.at);
      CHECK(call.at < back.at);
      CHECK(call.category == "street_lighting");
      CHECK(call.about == asset.id);
      CHECK(call.number == 0);
      CHECK(call.district > 0);
      CHECK(map.Locate(call.lat, call.lon) == call.district);
      CHECK_FALSE(call.description.empty());
      // 30..80 m from one of the cabinet's light points...
      double nearest_fit = -1;
      for (const size_t light : city.ChildrenOf(asset.id)) {
        const double d = common::DistanceMeters(call.lat, call.lon, city.at(light).lat, city.at(light).lon);
        if (d >= kScenarioCallMinM && d <= kScenarioCallMaxM) nearest_fit = d;
      }
      CHECK(nearest_fit >= kScenarioCallMinM);
      // ...and within correlation's 150 m of the cabinet.
      CHECK(common::DistanceMeters(call.lat, call.lon, asset.lat, asset.lon) <= kScenarioCallMaxFromCabinetM);
    }
  }
  CHECK(cabinets > 100);
}

TEST_CASE("ScenarioCalls: deterministic for a seed; none without a power loss", "[call_line]") {
  const City city = SmallCity(2, 0.05);
  const Scenario scenario = PowerLoss(city, "");
  const auto a = ScenarioCalls(city, scenario, 2);
  const auto b = ScenarioCalls(city, scenario, 2);
  REQUIRE(a.size() == b.size());
  for (size_t i = 0; i < a.size(); ++i) CHECK(Same(a[i], b[i]));
  // Both 2 and 3 calls happen, depending on the seed.
  std::set<size_t> counts;
  for (uint64_t seed = 1; seed <= 20; ++seed) counts.insert(ScenarioCalls(city, scenario, seed).size());
  CHECK(counts == std::set<size_t>{2, 3});

  auto none = MakeScenario(city, {});
  REQUIRE(none.ok());
  CHECK(ScenarioCalls(city, *none, 2).empty());
}

TEST_CASE("ToCreateRequest: what resident-calls needs, the caller when given", "[call_line]") {
  ResidentCall call;
  call.category = "roads";
  call.channel = cv1::REQUEST_CHANNEL_WEB;
  call.description = "A pothole.";
  call.lat = 47.32;
  call.lon = 5.04;
  call.district = 1;
  call.address = "3 rue du Moulin, Centre-Ville, 21000 Dijon";
  call.caller.first_name = "Camille";
  call.caller.last_name = "Martin";
  call.caller.email = "camille.martin@example.org";
  const cv1::CreateRequestRequest r = ToCreateRequest(call, "city-sim", "city-sim-x-1");
  CHECK(r.category() == "roads");
  CHECK(r.channel() == cv1::REQUEST_CHANNEL_WEB);
  CHECK(r.description() == "A pothole.");
  CHECK(r.location().lat() == 47.32);
  CHECK(r.location().lon() == 5.04);
  CHECK(r.address() == call.address);
  CHECK(r.recorded_by() == "city-sim");
  CHECK(r.idempotency_key() == "city-sim-x-1");
  CHECK(r.link_to().empty());
  REQUIRE(r.has_resident());
  CHECK(r.resident().first_name() == "Camille");
  CHECK(r.resident().email() == "camille.martin@example.org");
  CHECK(r.resident().phone().empty());

  call.caller = {};
  CHECK_FALSE(ToCreateRequest(call, "city-sim", "k").has_resident());
  CHECK(ChannelName(cv1::REQUEST_CHANNEL_PHONE) == "phone");
  CHECK(ChannelName(cv1::REQUEST_CHANNEL_APP) == "app");
  CHECK(ChannelName(cv1::REQUEST_CHANNEL_WEB) == "web");
}

}  // namespace cityops::sim
