// The lighting schedule of the simulated city, asked of lighting control at
// chosen instants: the default profile ("standard": full at sunset, half at
// 22:30 local, full again at 05:30, off at sunrise) on the astronomical clock
// for Dijon, in Europe/Paris time, on a winter and a summer date.
//
// The expected sunsets and sunrises are published figures, not computed
// here: Ouest-France's solar calendar for Dijon (kalendrier.ouest-france.fr,
// "heure lever coucher soleil ... dijon"), to the minute; each is checked
// with a margin of kMargin either side. The instants are written in UTC with
// the offset of the day stated by hand (CET = UTC+1, CEST = UTC+2), so a
// wrong summer-time rule in the service shows as an hour's error.
#include <catch2/catch.hpp>

#include <chrono>
#include <string>

#include "cityops/common/proto_time.h"
#include "e2e_suite.h"

namespace cityops::testing {
namespace {

using namespace std::chrono_literals;
namespace lv1 = ::cityops::lighting::v1;
using std::chrono::sys_days;
using Time = std::chrono::system_clock::time_point;

constexpr auto kMargin = 4min;
// The light point asked about: the first of the simulated city.
constexpr char kPoint[] = "lp-000001";

// A local wall-clock time on a date, given the UTC offset in hours that day.
Time Local(std::chrono::year_month_day date, int hour, int minute, int utc_offset_h) {
  return std::chrono::time_point_cast<Time::duration>(sys_days(date) + std::chrono::hours(hour - utc_offset_h) +
                                                      std::chrono::minutes(minute));
}

struct Day {
  const char* name;
  std::chrono::year_month_day date;
  int utc_offset_h;
  // Published, local time of the day.
  int sunset_h, sunset_m;
  // Sunrise on the next morning (same offset).
  int sunrise_h, sunrise_m;
};

// Ouest-France, Dijon: 1 March 1976 (CET, the month's table: sunset 18h26;
// 2 March sunrise 07h16); 1 September 2025 (CEST: sunset 20h20; 2 September
// sunrise 07h00).
const Day kWinter{"winter, 1 March 1976 (CET)", std::chrono::year{1976} / 3 / 1, 1, 18, 26, 7, 16};
const Day kSummer{"summer, 1 September 2025 (CEST)", std::chrono::year{2025} / 9 / 1, 2, 20, 20, 7, 0};

class LevelAsker {
 public:
  explicit LevelAsker(E2eSuite& suite) : suite_(suite) {}
  // The level lighting control gives the point at `at`; -1 when it cannot say.
  int At(Time at) {
    lv1::GetEffectiveLevelRequest request;
    request.mutable_scope()->set_kind(lv1::SCOPE_KIND_POINT);
    request.mutable_scope()->set_id(kPoint);
    *request.mutable_at() = common::ToProtoTime(at);
    lv1::GetEffectiveLevelResponse response;
    grpc::ClientContext context;
    const auto status = suite_.lighting().GetEffectiveLevel(&context, request, &response);
    if (!status.ok() || response.levels_size() != 1) {
      last_error_ = status.error_message();
      return -1;
    }
    last_source_ = response.levels(0).source();
    return response.levels(0).level();
  }
  const std::string& last_source() const { return last_source_; }
  const std::string& last_error() const { return last_error_; }

 private:
  E2eSuite& suite_;
  std::string last_source_;
  std::string last_error_;
};

void CheckNight(LevelAsker& levels, const Day& day) {
  INFO(day.name);
  const auto next = std::chrono::year_month_day(sys_days(day.date) + std::chrono::days(1));
  const Time sunset = Local(day.date, day.sunset_h, day.sunset_m, day.utc_offset_h);
  const Time sunrise = Local(next, day.sunrise_h, day.sunrise_m, day.utc_offset_h);

  CHECK(levels.At(Local(day.date, 12, 0, day.utc_offset_h)) == 0);  // noon: off
  CHECK(levels.At(sunset - kMargin) == 0);                          // not yet dusk
  CHECK(levels.At(sunset + kMargin) == 100);                        // on after sunset
  CHECK_THAT(levels.last_source(), Catch::Contains("standard"));
  CHECK(levels.At(Local(day.date, 22, 29, day.utc_offset_h)) == 100);  // a minute before the dimming
  CHECK(levels.At(Local(day.date, 22, 31, day.utc_offset_h)) == 50);   // dimmed at 22:30 local
  CHECK(levels.At(Local(next, 2, 0, day.utc_offset_h)) == 50);         // the dead of night
  CHECK(levels.At(Local(next, 5, 29, day.utc_offset_h)) == 50);
  CHECK(levels.At(Local(next, 5, 31, day.utc_offset_h)) == 100);  // full again at 05:30 local
  CHECK(levels.At(sunrise - kMargin) == 100);                     // before sunrise
  CHECK(levels.At(sunrise + kMargin) == 0);                       // off after sunrise
}

TEST_CASE("The simulated city's lights follow the default profile on Dijon's astronomical clock in Paris time") {
  E2eSuite suite;
  const SimRun run = suite.RunSim({"--register-only=true"}, 120s);
  INFO(run.LogTail());
  REQUIRE(run.exit_code == 0);

  // Lighting control learns the light points from ingest's asset events.
  LevelAsker levels(suite);
  const bool known = Eventually([&] { return levels.At(std::chrono::system_clock::now()) >= 0; }, 60s);
  INFO(levels.last_error() << "\n" << suite.Logs());
  REQUIRE(known);

  CheckNight(levels, kWinter);
  CheckNight(levels, kSummer);
}

}  // namespace
}  // namespace cityops::testing
