#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "cityops/common/clock.h"
#include "cityops/common/local_time.h"
#include "cityops/lighting/v1/lighting.pb.h"
#include "upstreams.h"

// The figures at the top of the console: open incidents by priority, median
// time from a work order's creation to its assignment today, energy saved
// this week, residents' calls today.
namespace cityops::gateway {

struct KeyFigures {
  std::map<std::string, int64_t> open_incidents_by_priority;  // enum names
  std::optional<double> median_seconds_to_assignment_today;
  std::optional<double> energy_saved_ratio_this_week;
  std::optional<int64_t> calls_today;
  std::vector<std::string> unavailable;  // figures whose service did not answer
  common::TimePoint at{};
};

// The median of `values`; nullopt when there are none.
std::optional<double> Median(std::vector<double> values);
// 1 - (measured + estimated) / baseline over the nights given; nullopt without baseline.
std::optional<double> EnergySavedRatio(const std::vector<lighting::v1::DistrictEnergy>& nights);
// The start of the local day of `now`, and of its week (Monday).
common::TimePoint StartOfLocalDay(const common::LocalTimeRule& rule, common::TimePoint now);
common::TimePoint StartOfLocalWeek(const common::LocalTimeRule& rule, common::TimePoint now);

std::string KeyFiguresJson(const KeyFigures& figures);

// Asks the services for the figures; a service that does not answer leaves
// its figure empty and named in `unavailable`. Every console asks every 30 s:
// the figures are asked of the services at most once per `fresh_for`, and the
// same answer given to all in between. Thread-safe.
class KeyFiguresSource {
 public:
  KeyFiguresSource(Upstreams& upstreams, const common::Clock& clock, common::LocalTimeRule rule = {},
                   std::chrono::seconds fresh_for = std::chrono::seconds(10));
  KeyFigures Collect(const CallerIdentity& caller);

 private:
  KeyFigures Ask(const CallerIdentity& caller);

  Upstreams& upstreams_;
  const common::Clock& clock_;
  common::LocalTimeRule rule_;
  std::chrono::seconds fresh_for_;
  std::mutex mu_;                   // one asking at a time; the others wait for its answer
  std::optional<KeyFigures> last_;  // guarded by mu_
};

}  // namespace cityops::gateway
