#include "domain/civil_time.h"

#include <catch2/catch.hpp>

#include "fixtures.h"

namespace cityops::lighting {
namespace {

using namespace testing;
using std::chrono::minutes;

TEST_CASE("Civil dates convert to day numbers and back", "[civil_time]") {
  CHECK(DaysFromCivil({1970, 1, 1}) == 0);
  CHECK(DaysFromCivil({2000, 3, 1}) == 11017);
  CHECK(DaysFromCivil({1969, 12, 31}) == -1);
  CHECK(CivilFromDays(DaysFromCivil({2024, 2, 29})) == CivilDate{2024, 2, 29});
  CHECK(AddDays({2024, 12, 31}, 1) == CivilDate{2025, 1, 1});
  CHECK(AddDays({2024, 3, 1}, -1) == CivilDate{2024, 2, 29});
  for (int64_t d = -800; d < 60000; d += 37) CHECK(DaysFromCivil(CivilFromDays(d)) == d);
  CHECK(Weekday({2025, 3, 30}) == 0);  // a Sunday
  CHECK(Weekday({2024, 2, 29}) == 4);  // a Thursday
}

TEST_CASE("Dates and clock times are parsed strictly, naming the field", "[civil_time]") {
  CHECK(*ParseDate("2025-12-24") == CivilDate{2025, 12, 24});
  for (const char* bad : {"2025-02-29", "2025-13-01", "2025-1-01", "25-12-24", "2025/12/24", ""}) {
    auto d = ParseDate(bad, "exception.first");
    REQUIRE_FALSE(d.ok());
    CHECK(d.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK_THAT(std::string(d.status().message()), Catch::Contains("exception.first"));
  }
  CHECK(*ParseClockTime("22:30", "at") == 22 * 60 + 30);
  CHECK(*ParseClockTime("00:00", "at") == 0);
  for (const char* bad : {"24:00", "7:30", "12:60", "noon"}) CHECK_FALSE(ParseClockTime(bad, "at").ok());
  CHECK(FormatDate({2025, 1, 5}) == "2025-01-05");
  CHECK(FormatClockTime(5 * 60 + 3) == "05:03");
}

TEST_CASE("EU summer time: last Sunday of March 01:00 UTC to last Sunday of October 01:00 UTC", "[civil_time][dst]") {
  CHECK(common::EuSummerTimeStart(2025) == Utc(2025, 3, 30, 1));
  CHECK(common::EuSummerTimeEnd(2025) == Utc(2025, 10, 26, 1));
  CHECK(common::EuSummerTimeStart(2024) == Utc(2024, 3, 31, 1));
  CHECK(common::EuSummerTimeEnd(2024) == Utc(2024, 10, 27, 1));

  CHECK(common::UtcOffset(kParis, Utc(2025, 3, 30, 0, 59, 59)) == minutes(60));
  CHECK(common::UtcOffset(kParis, Utc(2025, 3, 30, 1)) == minutes(120));
  CHECK(common::UtcOffset(kParis, Utc(2025, 10, 26, 0, 59, 59)) == minutes(120));
  CHECK(common::UtcOffset(kParis, Utc(2025, 10, 26, 1)) == minutes(60));
  CHECK(common::UtcOffset({minutes(60), false}, Utc(2025, 7, 1)) == minutes(60));
  // Another standard offset, same instants (the rule is EU-wide): Lisbon.
  CHECK(common::UtcOffset({minutes(0), true}, Utc(2025, 3, 30, 1)) == minutes(60));
}

TEST_CASE("Local wall-clock times map to UTC, across both switches", "[civil_time][dst]") {
  CHECK(LocalToUtc({2025, 1, 15}, 12 * 60, kParis) == Utc(2025, 1, 15, 11));
  CHECK(LocalToUtc({2025, 7, 1}, 12 * 60, kParis) == Utc(2025, 7, 1, 10));
  // 02:30 does not exist on 30 March 2025: it lands after the switch (03:30 summer time).
  CHECK(LocalToUtc({2025, 3, 30}, 2 * 60 + 30, kParis) == Utc(2025, 3, 30, 1, 30));
  CHECK(LocalToUtc({2025, 3, 30}, 3 * 60 + 30, kParis) == Utc(2025, 3, 30, 1, 30));
  // 02:30 happens twice on 26 October 2025: the first (summer time) is taken.
  CHECK(LocalToUtc({2025, 10, 26}, 2 * 60 + 30, kParis) == Utc(2025, 10, 26, 0, 30));
  CHECK(LocalToUtc({2025, 10, 26}, 3 * 60 + 30, kParis) == Utc(2025, 10, 26, 2, 30));

  CHECK(LocalDate(Utc(2025, 6, 30, 22, 30), kParis) == CivilDate{2025, 7, 1});
  CHECK(LocalDate(Utc(2025, 12, 31, 22, 30), kParis) == CivilDate{2025, 12, 31});
  CHECK(LocalMinuteOfDay(Utc(2025, 6, 30, 22, 30), kParis) == 30);
}

}  // namespace
}  // namespace cityops::lighting
