#include <catch2/catch.hpp>

#include "cityops/common/local_time.h"

using namespace std::chrono;
using cityops::common::FromLocal;
using cityops::common::LocalTimeRule;
using cityops::common::TimePoint;
using cityops::common::ToLocal;
using cityops::common::UtcOffset;

namespace {
TimePoint Utc(int y, unsigned m, unsigned d, int h, int min = 0) {
  return TimePoint(sys_days(year(y) / month(m) / day(d)) + hours(h) + minutes(min));
}
}  // namespace

TEST_CASE("Paris time: UTC+1 in winter, UTC+2 from the last Sunday of March to the last of October", "[local_time]") {
  const LocalTimeRule paris;
  CHECK(UtcOffset(paris, Utc(2026, 1, 15, 12)) == minutes(60));
  CHECK(UtcOffset(paris, Utc(2026, 7, 15, 12)) == minutes(120));
  // 2026: summer time from 29 March 01:00 UTC to 25 October 01:00 UTC.
  CHECK(UtcOffset(paris, Utc(2026, 3, 29, 0, 59)) == minutes(60));
  CHECK(UtcOffset(paris, Utc(2026, 3, 29, 1, 0)) == minutes(120));
  CHECK(UtcOffset(paris, Utc(2026, 10, 25, 0, 59)) == minutes(120));
  CHECK(UtcOffset(paris, Utc(2026, 10, 25, 1, 0)) == minutes(60));
  // 2027: 28 March and 31 October.
  CHECK(UtcOffset(paris, Utc(2027, 3, 28, 1, 0)) == minutes(120));
  CHECK(UtcOffset(paris, Utc(2027, 10, 31, 0, 30)) == minutes(120));
  CHECK(UtcOffset(paris, Utc(2027, 10, 31, 1, 30)) == minutes(60));

  const LocalTimeRule utc_plus_3_no_summer{minutes(180), false};
  CHECK(UtcOffset(utc_plus_3_no_summer, Utc(2026, 7, 15, 12)) == minutes(180));
}

TEST_CASE("Local date, weekday and minute of the day cross midnight", "[local_time]") {
  const LocalTimeRule paris;
  // 23:30 UTC on Saturday 31 October 2026 is 00:30 on Sunday 1 November in Paris.
  const auto local = ToLocal(paris, Utc(2026, 10, 31, 23, 30));
  CHECK(local.date == year(2026) / November / day(1));
  CHECK(local.weekday == Sunday);
  CHECK(local.minute_of_day == 30);
}

TEST_CASE("From a local clock reading back to UTC, through both switches", "[local_time]") {
  const LocalTimeRule paris;
  CHECK(FromLocal(paris, year(2026) / July / day(14), 22 * 60 + 30) == Utc(2026, 7, 14, 20, 30));
  CHECK(FromLocal(paris, year(2026) / December / day(24), 6 * 60) == Utc(2026, 12, 24, 5, 0));
  // 02:30 is skipped on 29 March 2026: an hour later by the clock (03:30 summer time).
  CHECK(FromLocal(paris, year(2026) / March / day(29), 2 * 60 + 30) == Utc(2026, 3, 29, 1, 30));
  // 02:30 happens twice on 25 October 2026: the first (still summer time).
  CHECK(FromLocal(paris, year(2026) / October / day(25), 2 * 60 + 30) == Utc(2026, 10, 25, 0, 30));
  // Round trip on every hour of a year.
  for (TimePoint t = Utc(2026, 1, 1, 0); t < Utc(2027, 1, 1, 0); t += hours(1)) {
    const auto local = ToLocal(paris, t);
    if (FromLocal(paris, local.date, local.minute_of_day) != t) {
      // Only the repeated hour of October may map to its first occurrence.
      CHECK(t == Utc(2026, 10, 25, 1, 0));
    }
  }
}
