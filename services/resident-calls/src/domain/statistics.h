#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "cityops/calls/v1/resident_calls.pb.h"
#include "cityops/common/clock.h"
#include "cityops/common/local_time.h"

// Requests counted per category, district, local day and channel, with the
// share linked to known incidents and the median time to close. The storage
// counts in groups (so a year of requests is never loaded); this turns the
// groups into the answer. Pure.
namespace cityops::calls {

// How often creation times are counted: local days are whole quarter hours
// from UTC for every offset in use, so a quarter hour falls in one local day.
inline constexpr int64_t kStatisticsSliceSeconds = 900;

struct GroupedCounts {
  int64_t total = 0;
  int64_t closed = 0;
  int64_t linked = 0;
  double median_seconds_to_close = 0;  // 0 when none closed
  std::vector<std::pair<std::string, int64_t>> by_category;
  std::vector<std::pair<int, int64_t>> by_district;
  std::vector<std::pair<v1::RequestChannel, int64_t>> by_channel;
  // The start of each quarter hour (UTC) that saw requests, and how many.
  std::vector<std::pair<common::TimePoint, int64_t>> by_slice;
};

// Counts are sorted by key (days by date, districts by number).
v1::Statistics Assemble(const GroupedCounts& counts, const common::LocalTimeRule& local_time);

}  // namespace cityops::calls
