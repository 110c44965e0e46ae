#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cityops/calls/v1/resident_calls.pb.h"
#include "cityops/common/clock.h"
#include "cityops/common/local_time.h"

// Requests counted per category, district, local day and channel, with the
// share linked to known incidents and the median time to close. Pure.
namespace cityops::calls {

struct RequestFacts {
  common::TimePoint created_at;
  std::string category;
  int district = 0;
  v1::RequestChannel channel = v1::REQUEST_CHANNEL_UNSPECIFIED;
  std::optional<common::TimePoint> closed_at;  // set while closed
  bool linked_to_known_incident = false;
};

// Counts are sorted by key (days by date, districts by number).
v1::Statistics Aggregate(const std::vector<RequestFacts>& requests, const common::LocalTimeRule& local_time);

// "YYYY-MM-DD" of the local day of `t`.
std::string LocalDate(const common::LocalTimeRule& rule, common::TimePoint t);

}  // namespace cityops::calls
