#pragma once

#include <chrono>

#include "cityops/common/clock.h"

// The city's civil time without a time-zone database: a standard offset from
// UTC and, where it applies, the European Union's summer time (one hour more
// from 01:00 UTC on the last Sunday of March to 01:00 UTC on the last Sunday
// of October). Dijon: UTC+1, summer time.
namespace cityops::common {

struct LocalTimeRule {
  int standard_offset_minutes = 60;
  bool eu_summer_time = true;
};

struct LocalTime {
  std::chrono::year_month_day date;
  std::chrono::weekday weekday;
  int minute_of_day = 0;  // 0..1439
};

// Whether summer time is in force at `utc` (always false without the EU rule).
bool IsSummerTime(const LocalTimeRule& rule, TimePoint utc);
std::chrono::minutes UtcOffset(const LocalTimeRule& rule, TimePoint utc);
LocalTime ToLocal(const LocalTimeRule& rule, TimePoint utc);
// The instant of a local date and minute of the day. In the hour that repeats
// when summer time ends, the first; in the hour skipped when it starts, the
// instant an hour later by the clock.
TimePoint FromLocal(const LocalTimeRule& rule, std::chrono::year_month_day date, int minute_of_day);

}  // namespace cityops::common
