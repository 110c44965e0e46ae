#include "domain/civil_time.h"

#include <cstdio>

#include "absl/strings/str_cat.h"

namespace cityops::lighting {
namespace {

constexpr int64_t kSecondsPerDay = 86400;

bool IsLeap(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

int DaysInMonth(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && IsLeap(year) ? 29 : kDays[month - 1];
}

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0)) ? 1 : 0); }

// Two digits at text[pos], or -1.
int TwoDigits(std::string_view text, size_t pos) {
  if (pos + 2 > text.size()) return -1;
  const char a = text[pos], b = text[pos + 1];
  if (a < '0' || a > '9' || b < '0' || b > '9') return -1;
  return (a - '0') * 10 + (b - '0');
}

}  // namespace

int64_t DaysFromCivil(const CivilDate& date) {
  // Years counted from March, so that the leap day is the last of its year;
  // eras of 400 years (146,097 days) repeat exactly.
  const int64_t y = static_cast<int64_t>(date.year) - (date.month <= 2 ? 1 : 0);
  const int64_t era = FloorDiv(y, 400);
  const int64_t year_of_era = y - era * 400;                                    // 0..399
  const int64_t month_from_march = (date.month + 9) % 12;                       // March = 0
  const int64_t day_of_year = (153 * month_from_march + 2) / 5 + date.day - 1;  // 0..365
  const int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + day_of_era - 719468;  // 719468: days from 0000-03-01 to 1970-01-01
}

CivilDate CivilFromDays(int64_t days) {
  const int64_t z = days + 719468;
  const int64_t era = FloorDiv(z, 146097);
  const int64_t day_of_era = z - era * 146097;
  const int64_t year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
  const int64_t day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  const int64_t month_from_march = (5 * day_of_year + 2) / 153;
  const int day = static_cast<int>(day_of_year - (153 * month_from_march + 2) / 5 + 1);
  const int month = static_cast<int>(month_from_march < 10 ? month_from_march + 3 : month_from_march - 9);
  const int64_t year = year_of_era + era * 400 + (month <= 2 ? 1 : 0);
  return {static_cast<int>(year), month, day};
}

CivilDate AddDays(const CivilDate& date, int64_t days) { return CivilFromDays(DaysFromCivil(date) + days); }

bool IsValidDate(const CivilDate& date) {
  return date.year >= 1900 && date.year <= 2200 && date.month >= 1 && date.month <= 12 && date.day >= 1 &&
         date.day <= DaysInMonth(date.year, date.month);
}

int Weekday(const CivilDate& date) {
  const int64_t n = DaysFromCivil(date) + 4;  // 1970-01-01 was a Thursday (4)
  return static_cast<int>(n - FloorDiv(n, 7) * 7);
}

absl::StatusOr<CivilDate> ParseDate(std::string_view text, std::string_view field) {
  const auto bad = [&] {
    return absl::InvalidArgumentError(absl::StrCat(std::string(field), ": \"", std::string(text),
                                                   "\" is not a date of the form YYYY-MM-DD (1900..2200)"));
  };
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return bad();
  const int century = TwoDigits(text, 0), year2 = TwoDigits(text, 2);
  const CivilDate date{century * 100 + year2, TwoDigits(text, 5), TwoDigits(text, 8)};
  if (century < 0 || year2 < 0 || !IsValidDate(date)) return bad();
  return date;
}

std::string FormatDate(const CivilDate& date) {
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02d", date.year, date.month, date.day);
  return buffer;
}

TimePoint UtcMidnight(const CivilDate& date) {
  return TimePoint(std::chrono::seconds(DaysFromCivil(date) * kSecondsPerDay));
}

CivilDate UtcDate(TimePoint t) {
  const int64_t s = std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
  return CivilFromDays(FloorDiv(s, kSecondsPerDay));
}

CivilDate LocalDate(TimePoint utc, const LocalTimeRule& rule) { return UtcDate(utc + common::UtcOffset(rule, utc)); }

int LocalMinuteOfDay(TimePoint utc, const LocalTimeRule& rule) {
  const TimePoint local = utc + common::UtcOffset(rule, utc);
  const int64_t s = std::chrono::duration_cast<std::chrono::seconds>(local.time_since_epoch()).count();
  return static_cast<int>((s - FloorDiv(s, kSecondsPerDay) * kSecondsPerDay) / 60);
}

TimePoint LocalToUtc(const CivilDate& date, int minute_of_day, const LocalTimeRule& rule) {
  using namespace std::chrono;
  return common::FromLocal(
      rule,
      year_month_day(year(date.year), month(static_cast<unsigned>(date.month)), day(static_cast<unsigned>(date.day))),
      minute_of_day);
}

absl::StatusOr<int> ParseClockTime(std::string_view text, std::string_view field) {
  const int hours = TwoDigits(text, 0), mins = TwoDigits(text, 3);
  if (text.size() != 5 || text[2] != ':' || hours < 0 || hours > 23 || mins < 0 || mins > 59) {
    return absl::InvalidArgumentError(
        absl::StrCat(std::string(field), ": \"", std::string(text), "\" is not a clock time HH:MM (00:00..23:59)"));
  }
  return hours * 60 + mins;
}

std::string FormatClockTime(int minute_of_day) {
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "%02d:%02d", minute_of_day / 60, minute_of_day % 60);
  return buffer;
}

}  // namespace cityops::lighting
