#include "call_line.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "cityops/common/geo.h"

namespace cityops::sim {

namespace cv1 = calls::v1;
namespace tv1 = telemetry::v1;

namespace {

// Mixed into the seed, so that the calls' draws stay apart from the city's
// and the readings'.
constexpr uint64_t kCallLineSalt = 0x2545f4914f6cdd1dULL;
constexpr uint64_t kScenarioCallsSalt = 0xd1b54a32d192ed03ULL;
constexpr uint64_t kCallsNearSalt = 0x94d049bb133111ebULL;
constexpr uint64_t kDarkStreetSalt = 0xbf58476d1ce4e5b9ULL;
// A profiled stream gives up looking for its next call after this many
// simulated hours (a profile is never all zero: 24 are enough).
constexpr int kMaxProfileHours = 24 * 366;

constexpr double kSecondsPerDay = 86400;
constexpr double kPi = 3.14159265358979323846;
constexpr double kDegPerRad = 180.0 / kPi;
// Tries to place a scenario call within its bounds before relaxing them.
constexpr int kPlaceTries = 64;
// Light points this near their cabinet are preferred to place a scenario
// call by (80 m further stays within kScenarioCallMaxFromCabinetM).
constexpr double kNearCabinetM = 60;
// Share of anonymous callers (no name, no number).
constexpr double kAnonymousShare = 0.1;

const std::vector<CallShare> kCategoryMix = {
    {"cleanliness", 0.24},     {"roads", 0.15},        {"bulky_items", 0.14}, {"refuse_collection", 0.12},
    {"street_lighting", 0.10}, {"green_spaces", 0.08}, {"other", 0.07},       {"public_buildings", 0.06},
    {"traffic_lights", 0.04},
};

const std::vector<CallShare> kChannelMix = {{"phone", 0.55}, {"app", 0.30}, {"web", 0.15}};

struct Descriptions {
  std::string_view category;
  std::vector<std::string_view> texts;
};

const std::vector<Descriptions> kDescriptions = {
    {"cleanliness",
     {"Litter all around the bus shelter, the bins are overflowing.", "Fresh graffiti on the wall of the underpass.",
      "Broken glass on the pavement in front of the bakery.", "Dog mess all along the pavement near the school."}},
    {"roads",
     {"A deep pothole in the roadway, cars swerve around it.",
      "Paving stones lifted on the pavement, someone will trip.", "A manhole cover rattles and sits too low.",
      "Water lies across the road after every rain."}},
    {"bulky_items",
     {"A mattress and a sofa left on the pavement since yesterday.", "An old fridge dumped next to the bins.",
      "Furniture piled up by the recycling containers."}},
    {"refuse_collection",
     {"The bins in our street were not emptied this week.",
      "The glass container is full and bottles pile up around it.",
      "The recycling bin was not collected on the usual day."}},
    {"street_lighting",
     {"A street light has been out for several days.", "The lamp in front of my house flickers all night.",
      "A street light stays on in broad daylight."}},
    {"green_spaces",
     {"A large branch fell across the path in the park.", "The grass in the square has not been cut for weeks.",
      "A tree leans over the playground, it looks dangerous."}},
    {"other",
     {"A stray dog wanders near the school.", "A building site works with noise late at night.",
      "A road sign was knocked down at the roadside."}},
    {"public_buildings",
     {"The gym's emergency exit door is stuck open.", "Water is leaking in the entrance hall of the library.",
      "The school's alarm keeps ringing and nobody comes."}},
    {"traffic_lights",
     {"The traffic lights at the junction are stuck on red.", "The pedestrian signal at the crossing does not work.",
      "The traffic lights flash amber at the crossroads."}},
};

const std::vector<std::string> kDarkStreet = {
    "The street is dark: all the street lights went out at once.",
    "No street light at all in our street since a few minutes ago.",
    "The whole street went dark, the lamps switched off together.",
};

const std::array<std::string_view, 14> kStreets = {
    "rue des Tilleuls", "rue du Chateau",      "avenue des Lilas", "rue Pasteur",          "rue de la Gare",
    "place du Marche",  "allee des Peupliers", "rue des Ecoles",   "boulevard des Sports", "impasse des Vignes",
    "rue du Moulin",    "chemin des Pres",     "rue des Jardins",  "avenue du Parc",
};

struct FakeResident {
  std::string_view first_name;
  std::string_view last_name;
};

const std::array<FakeResident, 12> kResidents = {{
    {"Camille", "Martin"},
    {"Louis", "Bernard"},
    {"Chloe", "Petit"},
    {"Hugo", "Durand"},
    {"Lea", "Moreau"},
    {"Gabriel", "Laurent"},
    {"Manon", "Simon"},
    {"Jules", "Michel"},
    {"Ines", "Lefebvre"},
    {"Arthur", "Garcia"},
    {"Sarah", "Roux"},
    {"Nathan", "Fournier"},
}};

template <typename T>
const T& Pick(const std::vector<T>& items, SimRng& rng) {
  return items[static_cast<size_t>(rng.UniformInt(0, static_cast<int64_t>(items.size()) - 1))];
}

template <typename T, size_t N>
const T& Pick(const std::array<T, N>& items, SimRng& rng) {
  return items[static_cast<size_t>(rng.UniformInt(0, static_cast<int64_t>(N) - 1))];
}

std::string_view Draw(const std::vector<CallShare>& mix, SimRng& rng) {
  const double u = rng.Unit();
  double sum = 0;
  for (const auto& share : mix) {
    sum += share.share;
    if (u < sum) return share.code;
  }
  return mix.back().code;
}

cv1::RequestChannel ChannelOf(std::string_view name) {
  if (name == "app") return cv1::REQUEST_CHANNEL_APP;
  if (name == "web") return cv1::REQUEST_CHANNEL_WEB;
  return cv1::REQUEST_CHANNEL_PHONE;
}

std::string_view DescriptionFor(std::string_view category, SimRng& rng) {
  for (const auto& d : kDescriptions) {
    if (d.category == category) return Pick(d.texts, rng);
  }
  return "Something the city should know about.";
}

std::string AddressIn(const common::DistrictMap& map, int district, SimRng& rng) {
  const int64_t number = rng.UniformInt(1, 120);
  const std::string_view street = Pick(kStreets, rng);
  const common::District* d = map.Find(district);
  return absl::StrCat(number, " ", std::string(street), ", ",
                      d != nullptr ? d->name : absl::StrCat("district ", district), ", 21000 Dijon");
}

// A phone caller gives a number; an app or web user an e-mail (and sometimes a number).
CallerData CallerFor(cv1::RequestChannel channel, SimRng& rng) {
  if (rng.Unit() < kAnonymousShare) return {};
  const size_t index = static_cast<size_t>(rng.UniformInt(0, static_cast<int64_t>(kResidents.size()) - 1));
  const FakeResident& who = kResidents[index];
  CallerData caller;
  caller.first_name = std::string(who.first_name);
  caller.last_name = std::string(who.last_name);
  char phone[32];
  std::snprintf(phone, sizeof(phone), "+33 6 39 98 00 %02zu", index + 1);
  const bool with_phone = channel == cv1::REQUEST_CHANNEL_PHONE || rng.Unit() < 0.3;
  if (with_phone) caller.phone = phone;
  if (channel != cv1::REQUEST_CHANNEL_PHONE) {
    caller.email = absl::StrCat(absl::AsciiStrToLower(std::string(who.first_name)), ".",
                                absl::AsciiStrToLower(std::string(who.last_name)), "@example.org");
  }
  return caller;
}

// The point `distance_m` from (lat, lon) towards `bearing` (radians from north).
common::LatLon Offset(double lat, double lon, double distance_m, double bearing) {
  const double dlat = distance_m * std::cos(bearing) / common::kEarthRadiusMeters * kDegPerRad;
  const double dlon =
      distance_m * std::sin(bearing) / (common::kEarthRadiusMeters * std::cos(lat / kDegPerRad)) * kDegPerRad;
  return {std::round((lat + dlat) * 1e6) / 1e6, std::round((lon + dlon) * 1e6) / 1e6};
}

bool FitsNear(const common::DistrictMap& map, const CityAsset& cabinet, const CityAsset& light, common::LatLon p,
              bool near_cabinet) {
  const double from_light = common::DistanceMeters(p.lat, p.lon, light.lat, light.lon);
  if (from_light < kScenarioCallMinM || from_light > kScenarioCallMaxM) return false;
  if (near_cabinet && common::DistanceMeters(p.lat, p.lon, cabinet.lat, cabinet.lon) > kScenarioCallMaxFromCabinetM) {
    return false;
  }
  return map.Locate(p.lat, p.lon) > 0;
}

common::LatLon Round6(common::LatLon p) { return {std::round(p.lat * 1e6) / 1e6, std::round(p.lon * 1e6) / 1e6}; }

// The caller and address of a call placed by a scenario ("near ...").
void Dress(const common::DistrictMap& map, ResidentCall& call, SimRng& rng) {
  call.address = absl::StrCat("near ", AddressIn(map, call.district, rng));
  call.caller = CallerFor(call.channel, rng);
}

}  // namespace

absl::StatusOr<std::vector<double>> NormalizeHourlyProfile(const std::vector<double>& weights) {
  if (weights.empty()) return std::vector<double>{};
  if (weights.size() != 24) {
    return absl::InvalidArgumentError(
        absl::StrCat("hourly profile: 24 weights (0 h to 23 h) expected, got ", weights.size()));
  }
  double sum = 0;
  for (size_t h = 0; h < weights.size(); ++h) {
    if (!std::isfinite(weights[h]) || weights[h] < 0) {
      return absl::InvalidArgumentError(absl::StrCat("hourly profile: weight of ", h, " h must be a number >= 0"));
    }
    sum += weights[h];
  }
  if (sum <= 0) return absl::InvalidArgumentError("hourly profile: the weights are all zero");
  std::vector<double> shares(weights);
  for (double& w : shares) w /= sum;
  return shares;
}

const std::vector<std::string>& DarkStreetDescriptions() { return kDarkStreet; }

std::vector<std::string> DescriptionsOf(std::string_view category) {
  for (const auto& d : kDescriptions) {
    if (d.category == category) return {d.texts.begin(), d.texts.end()};
  }
  return {"Something the city should know about."};
}

const std::vector<CallShare>& CallCategoryMix() { return kCategoryMix; }
const std::vector<CallShare>& CallChannelMix() { return kChannelMix; }

std::string_view ChannelName(cv1::RequestChannel channel) {
  switch (channel) {
    case cv1::REQUEST_CHANNEL_PHONE:
      return "phone";
    case cv1::REQUEST_CHANNEL_APP:
      return "app";
    case cv1::REQUEST_CHANNEL_WEB:
      return "web";
    default:
      return "unspecified";
  }
}

CallLine::CallLine(const CallLineParams& params)
    : params_(params),
      map_(params.districts != nullptr ? *params.districts : common::DistrictMap::Dijon()),
      rng_(params.seed ^ kCallLineSalt) {
  if (auto shares = NormalizeHourlyProfile(params.hourly_profile); shares.ok()) shares_ = std::move(*shares);
}

double CallLine::AdvanceProfiled(double from_s, double mass) const {
  // The rate is constant within a local hour; local hours change on UTC
  // minute boundaries (offsets are whole minutes), so the time into the hour
  // is the local minute's and the UTC second's.
  double t = from_s;
  for (int i = 0; i < kMaxProfileHours; ++i) {
    const auto instant =
        params_.start + std::chrono::duration_cast<common::TimePoint::duration>(std::chrono::duration<double>(t));
    const common::LocalTime local = common::ToLocal(params_.local_time, instant);
    // From the same integer instant as the local minute (a double of the
    // epoch seconds could round across the minute).
    const auto since_epoch = instant.time_since_epoch();
    const double in_minute =
        std::chrono::duration<double>(since_epoch - std::chrono::floor<std::chrono::minutes>(since_epoch)).count();
    const double into_hour = (local.minute_of_day % 60) * 60.0 + in_minute;
    const double left = std::max(3600.0 - into_hour, 1e-3);
    const double rate = params_.calls_per_day * shares_[static_cast<size_t>(local.minute_of_day / 60)] / 3600.0;
    if (rate * left >= mass) return t + mass / rate;
    mass -= rate * left;
    t += left;
  }
  return t;
}

ResidentCall CallLine::Next() {
  // A Poisson stream of calls_per_day a simulated day: exponential gaps of
  // expected calls, turned into simulated time by the rate (constant, or the
  // profile's by local hour: a non-homogeneous stream by time change).
  const double mass = -std::log1p(-rng_.Unit());
  if (shares_.empty()) {
    simulated_s_ += mass * kSecondsPerDay / params_.calls_per_day;
  } else {
    simulated_s_ = AdvanceProfiled(simulated_s_, mass);
  }
  const double real_s = simulated_s_ / std::max(params_.speed, 1e-9);

  ResidentCall call;
  call.at = std::chrono::milliseconds(static_cast<int64_t>(std::llround(real_s * 1000)));
  call.number = ++count_;
  call.category = std::string(Draw(kCategoryMix, rng_));
  call.channel = ChannelOf(Draw(kChannelMix, rng_));
  call.description = std::string(DescriptionFor(call.category, rng_));
  const int district = static_cast<int>(rng_.UniformInt(1, static_cast<int64_t>(map_.size())));
  // Kept to 6 decimals, as the city's assets; a point rounding put across
  // the district's edge is drawn again.
  common::LatLon p = map_.RandomPointIn(district, [this] { return rng_.Unit(); });
  for (int i = 0; i < kPlaceTries; ++i) {
    const common::LatLon rounded{std::round(p.lat * 1e6) / 1e6, std::round(p.lon * 1e6) / 1e6};
    if (map_.Locate(rounded.lat, rounded.lon) == district) {
      p = rounded;
      break;
    }
    p = map_.RandomPointIn(district, [this] { return rng_.Unit(); });
  }
  call.lat = p.lat;
  call.lon = p.lon;
  call.district = map_.Locate(p.lat, p.lon);
  call.address = AddressIn(map_, call.district, rng_);
  call.caller = CallerFor(call.channel, rng_);
  return call;
}

std::vector<ResidentCall> CallsNear(const City& city, const CallsNearParams& params, uint64_t seed) {
  std::vector<ResidentCall> out;
  const common::DistrictMap& map = city.params().Districts();
  SimRng rng(seed ^ kCallsNearSalt);
  const double min_m = std::max(0.0, std::min(params.min_m, params.max_m));
  const double max_m = std::max(params.min_m, params.max_m);
  const std::vector<std::string> usual = DescriptionsOf(params.category);
  for (int n = 0; n < params.count; ++n) {
    const auto i = static_cast<size_t>(n);
    ResidentCall call;
    call.at = params.first_at + params.spacing * n;
    call.category = params.category;
    call.channel =
        params.channels.empty() ? ChannelOf(Draw(kChannelMix, rng)) : params.channels[i % params.channels.size()];
    call.description =
        params.descriptions.empty() ? Pick(usual, rng) : params.descriptions[i % params.descriptions.size()];
    call.about = params.about;
    bool placed = false;
    common::LatLon p{};
    for (int t = 0; t < kPlaceTries && !placed; ++t) {
      p = Offset(params.lat, params.lon, rng.UniformReal(min_m, max_m), rng.UniformReal(0, 2 * kPi));
      const double d = common::DistanceMeters(p.lat, p.lon, params.lat, params.lon);
      // Rounding to 6 decimals moves a point by up to ~8 cm.
      placed = d >= min_m - 0.1 && d <= max_m + 0.1 && map.Locate(p.lat, p.lon) > 0;
    }
    if (!placed) {
      const common::LatLon here = Round6({params.lat, params.lon});
      if (map.Locate(here.lat, here.lon) > 0) p = here;
    }
    call.lat = p.lat;
    call.lon = p.lon;
    call.district = map.Locate(p.lat, p.lon);
    Dress(map, call, rng);
    out.push_back(std::move(call));
  }
  return out;
}

std::vector<ResidentCall> CallsNear(const City& city, double lat, double lon, std::string_view category, int count,
                                    std::chrono::milliseconds first_at, std::chrono::milliseconds spacing,
                                    double radius_m, uint64_t seed) {
  CallsNearParams params;
  params.lat = lat;
  params.lon = lon;
  params.category = std::string(category);
  params.count = count;
  params.first_at = first_at;
  params.spacing = spacing;
  params.min_m = 0;
  params.max_m = radius_m;
  return CallsNear(city, params, seed);
}

std::vector<ResidentCall> ScenarioCalls(const City& city, const Scenario& scenario, uint64_t seed) {
  std::vector<ResidentCall> out;
  const common::DistrictMap& map = city.params().Districts();
  SimRng rng(seed ^ kScenarioCallsSalt);
  for (const ScenarioCall& planned : scenario.calls) {
    ResidentCall call;
    call.at = planned.at;
    call.category = planned.category;
    call.description = planned.description.empty() ? Pick(DescriptionsOf(planned.category), rng) : planned.description;
    call.channel = planned.channel;
    call.lat = planned.lat;
    call.lon = planned.lon;
    call.district = planned.district > 0 ? planned.district : map.Locate(planned.lat, planned.lon);
    call.about = planned.about;
    Dress(map, call, rng);
    out.push_back(std::move(call));
  }
  std::stable_sort(out.begin(), out.end(), [](const ResidentCall& a, const ResidentCall& b) { return a.at < b.at; });
  return out;
}

std::vector<ResidentCall> DarkStreetCalls(const City& city, const std::string& cabinet_id,
                                          std::chrono::milliseconds loss_at, uint64_t seed) {
  std::vector<ResidentCall> out;
  const common::DistrictMap& map = city.params().Districts();
  SimRng rng(seed ^ kDarkStreetSalt);
  const int64_t index = city.IndexOf(cabinet_id);
  if (index < 0) return out;
  const CityAsset& cabinet = city.at(static_cast<size_t>(index));
  if (cabinet.kind != tv1::ASSET_KIND_CONTROL_CABINET) return out;
  const auto& children = city.ChildrenOf(cabinet.id);
  if (children.empty()) return out;

  // The light points nearest the cabinet (those within kNearCabinetM, at
  // least three): a call 30..80 m from one stays near the cabinet.
  std::vector<size_t> lights(children.begin(), children.end());
  const auto distance = [&](size_t i) {
    return common::DistanceMeters(city.at(i).lat, city.at(i).lon, cabinet.lat, cabinet.lon);
  };
  std::stable_sort(lights.begin(), lights.end(), [&](size_t a, size_t b) { return distance(a) < distance(b); });
  size_t near = 0;
  while (near < lights.size() && distance(lights[near]) <= kNearCabinetM) ++near;
  lights.resize(std::min(lights.size(), std::max<size_t>(near, 3)));

  const int calls = static_cast<int>(rng.UniformInt(2, 3));
  for (int n = 0; n < calls; ++n) {
    ResidentCall call;
    call.at = loss_at + kScenarioCallDelays[static_cast<size_t>(n)];
    call.category = "street_lighting";
    call.channel = n == 1 ? cv1::REQUEST_CHANNEL_APP : cv1::REQUEST_CHANNEL_PHONE;
    call.description = kDarkStreet[static_cast<size_t>(n)];
    call.about = cabinet.id;

    const CityAsset* light =
        &city.at(lights[static_cast<size_t>(rng.UniformInt(0, static_cast<int64_t>(lights.size()) - 1))]);
    bool placed = false;
    common::LatLon p{};
    // Near the cabinet first; then near a light point only; then the
    // light point's own spot moved 30 m towards the cabinet's side.
    for (int pass = 0; pass < 2 && !placed; ++pass) {
      for (int i = 0; i < kPlaceTries && !placed; ++i) {
        if (i > 0 && i % 16 == 0) {
          light = &city.at(lights[static_cast<size_t>(rng.UniformInt(0, static_cast<int64_t>(lights.size()) - 1))]);
        }
        const double d = rng.UniformReal(kScenarioCallMinM, kScenarioCallMaxM);
        const double bearing = rng.UniformReal(0, 2 * kPi);
        p = Offset(light->lat, light->lon, d, bearing);
        placed = FitsNear(map, cabinet, *light, p, pass == 0);
      }
    }
    if (!placed) {
      const double bearing =
          std::atan2((cabinet.lon - light->lon) * std::cos(light->lat / kDegPerRad), cabinet.lat - light->lat);
      p = Offset(light->lat, light->lon, kScenarioCallMinM + 1, bearing);
    }
    call.lat = p.lat;
    call.lon = p.lon;
    call.district = map.Locate(p.lat, p.lon);
    Dress(map, call, rng);
    out.push_back(std::move(call));
  }
  return out;
}

cv1::CreateRequestRequest ToCreateRequest(const ResidentCall& call, std::string_view recorded_by,
                                          std::string_view idempotency_key) {
  cv1::CreateRequestRequest request;
  request.set_category(call.category);
  request.set_description(call.description);
  request.mutable_location()->set_lat(call.lat);
  request.mutable_location()->set_lon(call.lon);
  request.set_address(call.address);
  request.set_channel(call.channel);
  request.set_recorded_by(std::string(recorded_by));
  request.set_idempotency_key(std::string(idempotency_key));
  if (!call.caller.empty()) {
    auto* resident = request.mutable_resident();
    resident->set_first_name(call.caller.first_name);
    resident->set_last_name(call.caller.last_name);
    resident->set_phone(call.caller.phone);
    resident->set_email(call.caller.email);
  }
  return request;
}

}  // namespace cityops::sim
