#pragma once

// The city's call line: residents' calls to resident-calls, as plain data.
// Pure and deterministic (std::mt19937_64 from a seed, the simulator's own
// distributions): the same parameters give the same calls on any machine.
//
// Sources:
//  - the daily flow (CallLine): Dijon's ~600 calls a day, a Poisson stream,
//    at a constant rate or shaped by an hourly profile in the city's local
//    time (kDijonDayProfile: quiet at night, peaks 9-11 h and 14-16 h), each
//    at a uniform point of a random district (each district as likely), with
//    a category, channel, description, address and (fake) resident drawn
//    from fixed mixes;
//  - calls placed near a point (CallsNear): a scenario's residents calling
//    about what they see, e.g. "the street is dark" 30..80 m from a light
//    point of a cabinet that lost power;
//  - a scenario's calls (ScenarioCalls): Scenario::calls, as placed by the
//    scenario, given an address and a caller.
#include <array>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "city.h"
#include "cityops/calls/v1/resident_calls.pb.h"
#include "cityops/common/clock.h"
#include "cityops/common/districts.h"
#include "cityops/common/local_time.h"
#include "random.h"
#include "scenario.h"

namespace cityops::sim {

struct CallShare {
  std::string_view code;
  double share;  // the shares of a mix sum to 1
};

// The categories residents call about and how often (resident-calls'
// category codes): cleanliness 24%, roads 15%, bulky items 14%, refuse
// collection 12%, street lighting 10%, green spaces 8%, other 7%, public
// buildings 6%, traffic lights 4%.
const std::vector<CallShare>& CallCategoryMix();
// How they call: phone 55%, app 30%, web 15%.
const std::vector<CallShare>& CallChannelMix();

// A resident's data as given on the call: invented names and numbers (from a
// small fixed list; the phone numbers are in the 06 39 98 range France sets
// aside for fiction, the e-mails at example.org). All empty: anonymous.
struct CallerData {
  std::string first_name;
  std::string last_name;
  std::string phone;
  std::string email;

  bool empty() const { return first_name.empty() && last_name.empty() && phone.empty() && email.empty(); }
};

struct ResidentCall {
  // When it is made: real time since the simulation started streaming (the
  // daily flow is sped up by --speed, the scenario's calls are not, as the
  // scenario's steps).
  std::chrono::milliseconds at{0};
  // 1, 2, ... in the daily flow; 0 for a scenario call.
  uint64_t number = 0;
  std::string category;
  calls::v1::RequestChannel channel = calls::v1::REQUEST_CHANNEL_PHONE;
  std::string description;
  double lat = 0;
  double lon = 0;
  int district = 0;  // the district holding (lat, lon)
  std::string address;
  CallerData caller;
  // Scenario calls: the asset the resident is (unknowingly) calling about.
  std::string about;
};

// Dijon's day of calls by local hour (weights, 0 h to 23 h; normalised when
// used): quiet from midnight to 6 h, rising from 7 h to the morning peak at
// 9-11 h, a lull at lunch, an early-afternoon peak at 14-16 h, falling off in
// the evening. Invented from the usual shape of a town hall's call centre.
inline constexpr std::array<double, 24> kDijonDayProfile = {0.3, 0.2, 0.15, 0.15, 0.2, 0.4,   // 0-5 h
                                                            1.0, 2.5, 5.0,  8.0,  8.5, 7.0,   // 6-11 h
                                                            4.5, 5.0, 7.0,  7.0,  6.5, 5.5,   // 12-17 h
                                                            4.0, 2.5, 1.5,  1.0,  0.7, 0.5};  // 18-23 h

struct CallLineParams {
  uint64_t seed = 1;
  // Calls per simulated day (0: none).
  double calls_per_day = 600;
  // The simulation's speed-up: a simulated day lasts 86400 / speed seconds.
  double speed = 1;
  // The daily flow's shape: 24 weights by local hour (0 h first), normalised;
  // empty: a constant rate (the default). Not all zero, none negative.
  std::vector<double> hourly_profile;
  // The simulated instant at which the simulation starts streaming (call
  // time 0; the simulated clock then runs `speed` times real time), and the
  // city's civil time, which the profile's hours are in. Only used with a
  // profile.
  common::TimePoint start{};
  common::LocalTimeRule local_time{};
  // Not owned; nullptr: common::DistrictMap::Dijon().
  const common::DistrictMap* districts = nullptr;
};

// The profile as it is used: 24 shares summing to 1 (empty when `weights` is
// empty; INVALID_ARGUMENT unless it has 24 finite non-negative weights, not
// all zero).
absl::StatusOr<std::vector<double>> NormalizeHourlyProfile(const std::vector<double>& weights);

// The daily flow of calls, in order of time.
class CallLine {
 public:
  // A profile that NormalizeHourlyProfile refuses is taken as none (check
  // it first to tell the user).
  explicit CallLine(const CallLineParams& params);

  // False when calls_per_day is 0 (Next must not be called then).
  bool enabled() const { return params_.calls_per_day > 0; }
  // The next call (each later than, or as late as, the one before).
  ResidentCall Next();

 private:
  // Simulated seconds from `from_s` (since the start) until the profile's
  // rate has integrated to `mass` expected calls.
  double AdvanceProfiled(double from_s, double mass) const;

  CallLineParams params_;
  const common::DistrictMap& map_;
  SimRng rng_;
  std::vector<double> shares_;  // normalised profile, empty: constant rate
  double simulated_s_ = 0;      // simulated seconds since the start
  uint64_t count_ = 0;
};

// Calls placed near a point: `count` residents of `category`, the first at
// `first_at` (real time since the simulation started streaming, as the
// agent plays them), then every `spacing`; each min_m..max_m from (lat, lon)
// and inside a district of the city's map (when no draw lands in one, the
// point itself when it is in one), kept to 6 decimals. Descriptions and
// channels are taken in turn from the lists given, else drawn (the
// category's usual descriptions, the channel mix); the address is invented,
// starting "near "; callers drawn as the daily flow's. `about` (an asset id,
// may be empty) is copied to each call. Deterministic from `seed`.
struct CallsNearParams {
  double lat = 0;
  double lon = 0;
  std::string category;
  int count = 1;
  std::chrono::milliseconds first_at{0};
  std::chrono::milliseconds spacing{0};
  double min_m = 0;
  double max_m = 100;
  std::string about;
  std::vector<std::string> descriptions;
  std::vector<calls::v1::RequestChannel> channels;
};
std::vector<ResidentCall> CallsNear(const City& city, const CallsNearParams& params, uint64_t seed);
// The same with the usual knobs: within radius_m of (lat, lon).
std::vector<ResidentCall> CallsNear(const City& city, double lat, double lon, std::string_view category, int count,
                                    std::chrono::milliseconds first_at, std::chrono::milliseconds spacing,
                                    double radius_m, uint64_t seed);

// "The street is dark": what residents say when their street lights go out
// together (for street_lighting calls about a cabinet's power loss).
const std::vector<std::string>& DarkStreetDescriptions();
// The usual descriptions of a category's calls (a generic one for an unknown category).
std::vector<std::string> DescriptionsOf(std::string_view category);

// The calls a scenario places (Scenario::calls, placed and timed by the
// scenario), as the agent plays them: each given an invented address
// ("near 12 rue des Tilleuls, ...") and a caller drawn from `seed` (a phone
// call gives a number, app or web an e-mail; one in ten anonymous). In time
// order; number 0 (not the daily flow's).
std::vector<ResidentCall> ScenarioCalls(const City& city, const Scenario& scenario, uint64_t seed);

// The street_lighting calls residents make about a cabinet that lost power:
// at `loss_at` + kScenarioCallDelays (2 or 3 calls, by `seed`), each 30..80 m
// (kScenarioCallMinM..kScenarioCallMaxM) from one of the cabinet's light
// points and within kScenarioCallMaxFromCabinetM of the cabinet, inside a
// district, so that incident correlation (150 m) links them to the cabinet's
// incident. Empty when `cabinet_id` is not a cabinet with light points.
std::vector<ResidentCall> DarkStreetCalls(const City& city, const std::string& cabinet_id,
                                          std::chrono::milliseconds loss_at, uint64_t seed);

inline constexpr double kScenarioCallMinM = 30;
inline constexpr double kScenarioCallMaxM = 80;
// Incident correlation links a street_lighting call to a cabinet's incident
// within 150 m of the cabinet (its only symptom in the first minutes): a
// margin under that.
inline constexpr double kScenarioCallMaxFromCabinetM = 140;
inline constexpr std::array<std::chrono::seconds, 3> kScenarioCallDelays = {
    std::chrono::seconds(20), std::chrono::seconds(45), std::chrono::seconds(75)};

// "phone", "app", "web".
std::string_view ChannelName(calls::v1::RequestChannel channel);

// The CreateRequest for a call, recorded by `recorded_by`, with the client's
// idempotency key (so that a retried call creates one request).
calls::v1::CreateRequestRequest ToCreateRequest(const ResidentCall& call, std::string_view recorded_by,
                                                std::string_view idempotency_key);

}  // namespace cityops::sim
