#pragma once

// The city's call line: residents' calls to resident-calls, as plain data.
// Pure and deterministic (std::mt19937_64 from a seed, the simulator's own
// distributions): the same parameters give the same calls on any machine.
//
// Two sources:
//  - the daily flow (CallLine): Dijon's ~600 calls a day, a Poisson stream at
//    a constant rate (no day/night profile), each at a uniform point of a
//    random district (each district as likely), with a category, channel,
//    description, address and (fake) resident drawn from fixed mixes;
//  - the scenario (ScenarioCalls): when a cabinet loses power, 2 or 3
//    residents near its light points call street_lighting a little after the
//    fault, close enough to the cabinet for incident correlation to link them
//    to the cabinet's incident.

#include <array>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "city.h"
#include "cityops/calls/v1/resident_calls.pb.h"
#include "cityops/common/districts.h"
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

struct CallLineParams {
  uint64_t seed = 1;
  // Calls per simulated day (0: none).
  double calls_per_day = 600;
  // The simulation's speed-up: a simulated day lasts 86400 / speed seconds.
  double speed = 1;
  // Not owned; nullptr: common::DistrictMap::Dijon().
  const common::DistrictMap* districts = nullptr;
};

// The daily flow of calls, in order of time.
class CallLine {
 public:
  explicit CallLine(const CallLineParams& params);

  // False when calls_per_day is 0 (Next must not be called then).
  bool enabled() const { return params_.calls_per_day > 0; }
  // The next call (each later than, or as late as, the one before).
  ResidentCall Next();

 private:
  CallLineParams params_;
  const common::DistrictMap& map_;
  SimRng rng_;
  double elapsed_s_ = 0;  // real seconds since the start
  uint64_t count_ = 0;
};

// The calls a scenario makes residents place: for each cabinet that loses
// power, 2 or 3 street_lighting calls ("the street is dark") at +20 s, +45 s
// (and +75 s) after the loss, each 30..80 m from one of the cabinet's light
// points (kScenarioCallMinM..kScenarioCallMaxM) and within
// kScenarioCallMaxFromCabinetM of the cabinet, inside a district. In time
// order. None for other scenarios.
std::vector<ResidentCall> ScenarioCalls(const City& city, const Scenario& scenario, uint64_t seed);

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
