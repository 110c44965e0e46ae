#include "cityops/common/local_time.h"

#include <cstdio>

#include "cityops/common/json_reader.h"
#include "cityops/common/status.h"

namespace cityops::common {
namespace {

using namespace std::chrono;

// 01:00 UTC on the last Sunday of the month.
TimePoint LastSundayOneUtc(year y, month m) {
  const sys_days last = sys_days(year_month_day_last(y, month_day_last(m)));
  const sys_days sunday = last - (weekday(last) - Sunday);
  return TimePoint(sunday + hours(1));
}

}  // namespace

TimePoint EuSummerTimeStart(int y) { return LastSundayOneUtc(year(y), March); }
TimePoint EuSummerTimeEnd(int y) { return LastSundayOneUtc(year(y), October); }

bool IsSummerTime(const LocalTimeRule& rule, TimePoint utc) {
  if (!rule.eu_summer_time) return false;
  const int y = static_cast<int>(year_month_day(floor<days>(utc)).year());
  return utc >= EuSummerTimeStart(y) && utc < EuSummerTimeEnd(y);
}

minutes UtcOffset(const LocalTimeRule& rule, TimePoint utc) {
  return rule.standard_offset + (IsSummerTime(rule, utc) ? hours(1) : hours(0));
}

LocalTime ToLocal(const LocalTimeRule& rule, TimePoint utc) {
  const auto local = utc + UtcOffset(rule, utc);
  const sys_days day = floor<days>(local);
  LocalTime out;
  out.date = year_month_day(day);
  out.weekday = weekday(day);
  out.minute_of_day = static_cast<int>(floor<minutes>(local - day).count());
  return out;
}

TimePoint FromLocal(const LocalTimeRule& rule, year_month_day date, int minute_of_day) {
  const TimePoint clock = TimePoint(sys_days(date)) + minutes(minute_of_day);
  const TimePoint standard = clock - rule.standard_offset;
  // Summer time moves the clock an hour ahead: the same clock reading is an hour earlier.
  const TimePoint summer = standard - hours(1);
  if (IsSummerTime(rule, summer)) return summer;
  return standard;
}

absl::StatusOr<LocalTimeRule> LocalTimeRuleFromJson(const JsonReader& section) {
  CITYOPS_RETURN_IF_ERROR(section.Only({"standard_offset_minutes", "eu_summer_time"}));
  LocalTimeRule rule;
  int64_t offset = 0;
  CITYOPS_ASSIGN_OR_RETURN(offset, section.Integer("standard_offset_minutes", -12 * 60, 14 * 60));
  rule.standard_offset = minutes(offset);
  CITYOPS_ASSIGN_OR_RETURN(rule.eu_summer_time, section.Bool("eu_summer_time"));
  return rule;
}

std::string LocalDate(const LocalTimeRule& rule, TimePoint utc) {
  const LocalTime local = ToLocal(rule, utc);
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%04d-%02u-%02u", static_cast<int>(local.date.year()),
                static_cast<unsigned>(local.date.month()), static_cast<unsigned>(local.date.day()));
  return buf;
}

}  // namespace cityops::common
