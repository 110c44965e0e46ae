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

// The calls of the first `days` simulated days with an hourly profile,
// starting at `start` (at speed 1: call times are simulated seconds).
std::vector<ResidentCall> ProfiledCallsOf(uint64_t seed, double per_day, const std::vector<double>& profile,
                                          common::TimePoint start, double days) {
  CallLineParams params;
  params.seed = seed;
  params.calls_per_day = per_day;
  params.hourly_profile = profile;
  params.start = start;
  CallLine line(params);
  std::vector<ResidentCall> out;
  const auto end = std::chrono::milliseconds(static_cast<int64_t>(days * static_cast<double>(kDayMs)));
  for (;;) {
    ResidentCall call = line.Next();
    if (call.at >= end) break;
    out.push_back(std::move(call));
  }
  return out;
}

// 2026-01-12 00:00 local time in Dijon (UTC+1 in winter).
common::TimePoint WinterMidnight() {
  using namespace std::chrono;
  return common::FromLocal(common::LocalTimeRule{}, year_month_day{year{2026}, month{1}, day{12}}, 0);
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

TEST_CASE("DarkStreetCalls: residents near the dark cabinet call street_lighting after the loss", "[call_line]") {
  const City city = SmallCity(1, 0.2);
  const auto& map = city.params().Districts();
  const auto loss_at = std::chrono::milliseconds(30'000);
  size_t cabinets = 0;
  for (const auto& asset : city.assets()) {
    if (asset.kind != tv1::ASSET_KIND_CONTROL_CABINET) continue;
    ++cabinets;
    CAPTURE(asset.id);
    const auto calls = DarkStreetCalls(city, asset.id, loss_at, 1);
    REQUIRE(calls.size() >= 2);
    REQUIRE(calls.size() <= 3);
    for (size_t i = 0; i < calls.size(); ++i) {
      const ResidentCall& call = calls[i];
      CAPTURE(i, call.lat, call.lon);
      CHECK(call.at == loss_at + kScenarioCallDelays[i]);
      CHECK(call.category == "street_lighting");
      CHECK(call.about == asset.id);
      CHECK(call.number == 0);
      CHECK(call.district > 0);
      CHECK(map.Locate(call.lat, call.lon) == call.district);
      CHECK_FALSE(call.description.empty());
      CHECK(call.address.rfind("near ", 0) == 0);
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

TEST_CASE("DarkStreetCalls: deterministic for a seed - none for what is not a cabinet", "[call_line]") {
  const City city = SmallCity(2, 0.05);
  const auto a = DarkStreetCalls(city, "cab-0003", std::chrono::seconds(10), 2);
  const auto b = DarkStreetCalls(city, "cab-0003", std::chrono::seconds(10), 2);
  REQUIRE(a.size() == b.size());
  for (size_t i = 0; i < a.size(); ++i) CHECK(Same(a[i], b[i]));
  // Both 2 and 3 calls happen, depending on the seed.
  std::set<size_t> counts;
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    counts.insert(DarkStreetCalls(city, "cab-0003", std::chrono::seconds(10), seed).size());
  }
  CHECK(counts == std::set<size_t>{2, 3});
  CHECK(DarkStreetCalls(city, "lp-000001", std::chrono::seconds(10), 2).empty());
  CHECK(DarkStreetCalls(city, "cab-9999", std::chrono::seconds(10), 2).empty());
}

TEST_CASE("CallsNear: the calls asked for, timed and placed within the ring, in a district", "[call_line]") {
  const City city = SmallCity(3, 0.05);
  const auto& map = city.params().Districts();
  const CityAsset& school = city.at(static_cast<size_t>(city.IndexOf("bap-001")));
  CallsNearParams params;
  params.lat = school.lat;
  params.lon = school.lon;
  params.category = "public_buildings";
  params.count = 5;
  params.first_at = std::chrono::seconds(40);
  params.spacing = std::chrono::seconds(15);
  params.min_m = 20;
  params.max_m = 90;
  params.about = school.id;
  params.descriptions = {"The school's fire alarm is ringing.", "Smoke alarm going off at the school."};
  params.channels = {cv1::REQUEST_CHANNEL_PHONE, cv1::REQUEST_CHANNEL_APP};
  const auto calls = CallsNear(city, params, 9);
  REQUIRE(calls.size() == 5);
  for (size_t i = 0; i < calls.size(); ++i) {
    const ResidentCall& call = calls[i];
    CAPTURE(i, call.lat, call.lon);
    CHECK(call.at == std::chrono::seconds(40 + 15 * static_cast<int>(i)));
    CHECK(call.category == "public_buildings");
    CHECK(call.about == school.id);
    CHECK(call.number == 0);
    CHECK(call.description == params.descriptions[i % 2]);
    CHECK(call.channel == params.channels[i % 2]);
    const double d = common::DistanceMeters(call.lat, call.lon, school.lat, school.lon);
    CHECK(d >= 19.9);
    CHECK(d <= 90.1);
    CHECK(call.district > 0);
    CHECK(map.Locate(call.lat, call.lon) == call.district);
    CHECK(std::round(call.lat * 1e6) / 1e6 == call.lat);
    CHECK(call.address.rfind("near ", 0) == 0);
  }
  // Deterministic; another seed, other places.
  const auto again = CallsNear(city, params, 9);
  const auto other = CallsNear(city, params, 10);
  for (size_t i = 0; i < calls.size(); ++i) CHECK(Same(calls[i], again[i]));
  CHECK_FALSE(Same(calls[0], other[0]));

  // The short form: within a radius, descriptions of the category, channels of the mix.
  const auto simple =
      CallsNear(city, school.lat, school.lon, "roads", 3, std::chrono::seconds(0), std::chrono::seconds(5), 50, 1);
  REQUIRE(simple.size() == 3);
  const auto usual = DescriptionsOf("roads");
  for (const auto& call : simple) {
    CHECK(common::DistanceMeters(call.lat, call.lon, school.lat, school.lon) <= 50.1);
    CHECK(std::find(usual.begin(), usual.end(), call.description) != usual.end());
  }
  CHECK(simple[2].at == std::chrono::seconds(10));
  CHECK(CallsNear(city, school.lat, school.lon, "roads", 0, {}, {}, 50, 1).empty());
}

TEST_CASE("ScenarioCalls: the scenario's calls, addressed and with a caller, in time order", "[call_line]") {
  const City city = SmallCity(2, 0.05);
  Scenario scenario;
  ScenarioCall late;
  late.at = std::chrono::seconds(50);
  late.category = "street_lighting";
  late.description = "The street is dark.";
  late.channel = cv1::REQUEST_CHANNEL_APP;
  late.lat = 47.322;
  late.lon = 5.041;
  late.about = "cab-0001";
  ScenarioCall early = late;
  early.at = std::chrono::seconds(20);
  early.channel = cv1::REQUEST_CHANNEL_PHONE;
  early.description.clear();  // one of the category's
  scenario.calls = {late, early};
  const auto calls = ScenarioCalls(city, scenario, 4);
  REQUIRE(calls.size() == 2);
  CHECK(calls[0].at == std::chrono::seconds(20));
  CHECK(calls[1].at == std::chrono::seconds(50));
  CHECK(calls[1].description == "The street is dark.");
  const auto usual = DescriptionsOf("street_lighting");
  CHECK(std::find(usual.begin(), usual.end(), calls[0].description) != usual.end());
  for (const auto& call : calls) {
    CHECK(call.district == city.params().Districts().Locate(47.322, 5.041));
    CHECK(call.about == "cab-0001");
    CHECK(call.address.rfind("near ", 0) == 0);
    CHECK(call.number == 0);
  }
  CHECK(calls[1].channel == cv1::REQUEST_CHANNEL_APP);
  CHECK(ScenarioCalls(city, Scenario{}, 4).empty());
}

TEST_CASE("CallLine: an hourly profile shapes the day in local time", "[call_line]") {
  const std::vector<double> profile(kDijonDayProfile.begin(), kDijonDayProfile.end());
  const auto shares = NormalizeHourlyProfile(profile);
  REQUIRE(shares.ok());
  REQUIRE(shares->size() == 24);
  double sum = 0;
  for (double s : *shares) sum += s;
  CHECK(sum == Approx(1.0));
  // Quiet at night, peaks at 9-11 h and 14-16 h.
  CHECK((*shares)[3] < (*shares)[10] / 20);
  CHECK((*shares)[10] > (*shares)[12]);
  CHECK((*shares)[15] > (*shares)[12]);

  // 30 simulated days of 600 calls from a local midnight: each local hour's
  // share within 0.6 points of the profile's (a share of 8% of 18,000 calls
  // has a standard deviation of ~0.2 points).
  const common::TimePoint start = WinterMidnight();
  const auto calls = ProfiledCallsOf(1, 600, profile, start, 30);
  CHECK(std::abs(static_cast<double>(calls.size()) - 18000) < 18000 * 0.03);
  std::array<int, 24> per_hour{};
  std::map<int64_t, int> per_day;
  for (const auto& call : calls) {
    const auto instant = start + std::chrono::duration_cast<common::TimePoint::duration>(call.at);
    ++per_hour[static_cast<size_t>(common::ToLocal(common::LocalTimeRule{}, instant).minute_of_day / 60)];
    ++per_day[call.at.count() / kDayMs];
  }
  for (size_t h = 0; h < 24; ++h) {
    CAPTURE(h);
    CHECK(std::abs(per_hour[h] / static_cast<double>(calls.size()) - (*shares)[h]) < 0.006);
  }
  // Still ~600 a day.
  for (const auto& [day, n] : per_day) {
    CAPTURE(day);
    CHECK(std::abs(n - 600) < 600 * 0.15);
  }
  // The first simulated hour (0-1 h local) is quiet: a start at 9 h local
  // has many more calls in its first hour.
  const auto night = ProfiledCallsOf(2, 600, profile, start, 1.0 / 24);
  const auto morning = ProfiledCallsOf(2, 600, profile, start + std::chrono::hours(9), 1.0 / 24);
  CHECK(night.size() * 5 < morning.size());
}

TEST_CASE("CallLine: a profiled stream is deterministic, sped up, and refuses bad profiles", "[call_line]") {
  const std::vector<double> profile(kDijonDayProfile.begin(), kDijonDayProfile.end());
  const auto a = ProfiledCallsOf(5, 600, profile, WinterMidnight(), 2);
  const auto b = ProfiledCallsOf(5, 600, profile, WinterMidnight(), 2);
  const auto c = ProfiledCallsOf(6, 600, profile, WinterMidnight(), 2);
  REQUIRE(a.size() == b.size());
  for (size_t i = 0; i < a.size(); ++i) CHECK(Same(a[i], b[i]));
  CHECK_FALSE(Same(a[0], c[0]));

  CallLineParams params;
  params.seed = 5;
  params.hourly_profile = profile;
  params.start = WinterMidnight();
  params.speed = 60;  // a simulated day in 24 minutes
  CallLine fast(params);
  for (size_t i = 0; i < 100; ++i) {
    const ResidentCall call = fast.Next();
    CHECK(std::abs(static_cast<double>(call.at.count()) - static_cast<double>(a[i].at.count()) / 60) <= 1);
    CHECK(call.category == a[i].category);
  }

  CHECK_FALSE(NormalizeHourlyProfile({1, 2, 3}).ok());
  CHECK_FALSE(NormalizeHourlyProfile(std::vector<double>(24, 0)).ok());
  std::vector<double> negative(24, 1);
  negative[5] = -1;
  CHECK_FALSE(NormalizeHourlyProfile(negative).ok());
  CHECK(NormalizeHourlyProfile({})->empty());
  // Only the night: every call between 0 and 1 h local.
  std::vector<double> only_night(24, 0);
  only_night[0] = 1;
  for (const auto& call : ProfiledCallsOf(7, 600, only_night, WinterMidnight(), 3)) {
    CHECK(call.at.count() % kDayMs < 3'600'000);
  }
}

TEST_CASE("CallLine: 600 calls in the category mix", "[call_line]") {
  CallLineParams params;
  params.seed = 21;
  CallLine line(params);
  std::map<std::string, int> per_category;
  for (int i = 0; i < 600; ++i) ++per_category[line.Next().category];
  for (const auto& share : CallCategoryMix()) {
    CAPTURE(share.code);
    // A share of 24% of 600 has a standard deviation of ~1.7 points.
    CHECK(std::abs(per_category[std::string(share.code)] / 600.0 - share.share) < 0.05);
    CHECK(per_category[std::string(share.code)] > 0);
  }
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
