#pragma once

#include <chrono>
#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "cityops/common/clock.h"
#include "cityops/common/local_time.h"

// Civil dates, and the city's local time (common::LocalTimeRule) on them.
namespace cityops::lighting {

using common::TimePoint;

struct CivilDate {
  int year = 1970;
  int month = 1;  // 1..12
  int day = 1;    // 1..31

  // NOLINTNEXTLINE(modernize-use-nullptr): a false positive on a defaulted <=>
  auto operator<=>(const CivilDate&) const = default;
};

// Days since 1970-01-01 (negative before), proleptic Gregorian calendar.
int64_t DaysFromCivil(const CivilDate& date);
CivilDate CivilFromDays(int64_t days);
CivilDate AddDays(const CivilDate& date, int64_t days);
bool IsValidDate(const CivilDate& date);
// 0 = Sunday .. 6 = Saturday.
int Weekday(const CivilDate& date);
// "YYYY-MM-DD"; INVALID_ARGUMENT naming `field` otherwise.
absl::StatusOr<CivilDate> ParseDate(std::string_view text, std::string_view field = "date");
std::string FormatDate(const CivilDate& date);
// 00:00 UTC of that date.
TimePoint UtcMidnight(const CivilDate& date);
// The UTC date of an instant.
CivilDate UtcDate(TimePoint t);

// The city's local time (common/local_time.h): Europe/Paris by default.
using common::LocalTimeRule;

// The local date of an instant.
CivilDate LocalDate(TimePoint utc, const LocalTimeRule& rule);
// Minutes since local midnight (0..1439) of an instant.
int LocalMinuteOfDay(TimePoint utc, const LocalTimeRule& rule);
// The instant of local `date` at `minute_of_day` (0..1439). A local time that
// does not exist (skipped in spring) is taken with the winter offset, so it
// lands just after the switch (02:30 -> 03:30 summer time); one that occurs
// twice (autumn) is the first occurrence (summer time).
TimePoint LocalToUtc(const CivilDate& date, int minute_of_day, const LocalTimeRule& rule);

// "HH:MM" (00:00..23:59) as minutes since midnight; INVALID_ARGUMENT naming `field`.
absl::StatusOr<int> ParseClockTime(std::string_view text, std::string_view field);
std::string FormatClockTime(int minute_of_day);

}  // namespace cityops::lighting
