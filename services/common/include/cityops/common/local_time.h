#pragma once

#include <chrono>
#include <string>

#include "absl/status/statusor.h"
#include "cityops/common/clock.h"

// The city's civil time without a time-zone database: a standard offset from
// UTC and, where it applies, the European Union's summer time (one hour more
// from 01:00 UTC on the last Sunday of March to 01:00 UTC on the last Sunday
// of October). Dijon: UTC+1, summer time.
namespace cityops::common {

struct LocalTimeRule {
  std::chrono::minutes standard_offset{60};
  bool eu_summer_time = true;
};

struct LocalTime {
  std::chrono::year_month_day date;
  std::chrono::weekday weekday;
  int minute_of_day = 0;  // 0..1439
};

// When EU summer time starts and ends in `year`: 01:00 UTC on the last Sunday
// of March and of October.
TimePoint EuSummerTimeStart(int year);
TimePoint EuSummerTimeEnd(int year);
// Whether summer time is in force at `utc` (always false without the EU rule).
bool IsSummerTime(const LocalTimeRule& rule, TimePoint utc);
std::chrono::minutes UtcOffset(const LocalTimeRule& rule, TimePoint utc);
LocalTime ToLocal(const LocalTimeRule& rule, TimePoint utc);
// The instant of a local date and minute of the day. In the hour that repeats
// when summer time ends, the first; in the hour skipped when it starts, the
// instant an hour later by the clock.
TimePoint FromLocal(const LocalTimeRule& rule, std::chrono::year_month_day date, int minute_of_day);
// "YYYY-MM-DD": the local date at `utc`.
std::string LocalDate(const LocalTimeRule& rule, TimePoint utc);

// A rule from a configuration file's section
// {"standard_offset_minutes": 60, "eu_summer_time": true}; errors name the field.
class JsonReader;
absl::StatusOr<LocalTimeRule> LocalTimeRuleFromJson(const JsonReader& section);

}  // namespace cityops::common
