#include "domain/energy.h"

#include <catch2/catch.hpp>

#include "fixtures.h"

namespace cityops::lighting {
namespace {

using namespace testing;

const EnergySettings k15Min{900s};

TimePoint At(int h, int mi) { return Utc(2025, 11, 20, h, mi); }

TEST_CASE("Power is integrated by steps: a reading holds until the next", "[energy]") {
  // Lamp off, then on at 40 W: read at 17:00 (0 W), 17:05, 17:10 (40 W).
  const std::vector<PowerReading> readings{{At(17, 0), 0}, {At(17, 5), 40}, {At(17, 10), 40}};
  const Energy e = IntegratePoint({readings, {}}, 50, At(17, 0), At(17, 15), k15Min);
  CHECK(e.measured_wh == Approx(40.0 * 10 / 60));  // 6.67 Wh; the trapezoid would say 8.33
  CHECK(e.estimated_wh == 0);
  CHECK(e.measured_s == Approx(900));
  CHECK(e.estimated_s == 0);
}

TEST_CASE("A gap longer than the limit is estimated from the commanded level, kept apart", "[energy][gaps]") {
  // Rated 50 W; commanded 50% from 17:00, 100% from 18:30. Readings at 40 W,
  // then nothing from 18:05 to 19:00 (55 min > 15).
  const std::vector<PowerReading> readings{{At(18, 0), 40}, {At(18, 5), 40}, {At(19, 0), 40}, {At(19, 5), 40}};
  const std::vector<LevelChange> commanded{{At(17, 0), 50}, {At(18, 30), 100}};
  const Energy e = IntegratePoint({readings, commanded}, 50, At(18, 0), At(19, 10), k15Min);
  // Measured: 18:00-18:05, 19:00-19:10 (the last 5 minutes held: silence shorter than the limit).
  CHECK(e.measured_wh == Approx(40.0 * 15 / 60));
  CHECK(e.measured_s == Approx(15 * 60));
  // Estimated: 25 min at 25 W, then 30 min at 50 W.
  CHECK(e.estimated_wh == Approx(25.0 * 25 / 60 + 50.0 * 30 / 60));
  CHECK(e.estimated_s == Approx(55 * 60));
  CHECK(e.total_wh() == Approx(e.measured_wh + e.estimated_wh));

  // The same readings 10 minutes apart at most: all measured.
  const std::vector<PowerReading> dense{{At(18, 0), 40}, {At(18, 10), 40}, {At(18, 20), 40}, {At(18, 30), 40}};
  const Energy all = IntegratePoint({dense, commanded}, 50, At(18, 0), At(18, 30), k15Min);
  CHECK(all.estimated_s == 0);
  CHECK(all.measured_wh == Approx(20.0));
}

TEST_CASE("Readings around the window: the one before holds into it, the one after tells the gap", "[energy][gaps]") {
  const std::vector<LevelChange> commanded{{At(0, 0) - 24h, 100}};
  // 23:55 the day before holds at 00:00; 00:40 is too far after 00:05 (35 min).
  const std::vector<PowerReading> readings{{At(0, 0) - 5min, 30}, {At(0, 5), 30}, {At(0, 40), 30}};
  const Energy e = IntegratePoint({readings, commanded}, 60, At(0, 0), At(0, 10), k15Min);
  CHECK(e.measured_wh == Approx(30.0 * 5 / 60));
  CHECK(e.estimated_wh == Approx(60.0 * 5 / 60));
  // Nothing at all: the whole window is estimated.
  const Energy none = IntegratePoint({{}, commanded}, 60, At(1, 0), At(3, 0), k15Min);
  CHECK(none.measured_wh == 0);
  CHECK(none.estimated_wh == Approx(120.0));
  CHECK(none.estimated_s == Approx(7200));
  // Silent for longer than the limit up to the end of the window: estimated as a whole.
  const std::vector<PowerReading> early{{At(1, 0), 30}};
  const Energy silent = IntegratePoint({early, commanded}, 60, At(1, 0), At(2, 0), k15Min);
  CHECK(silent.measured_wh == 0);
  CHECK(silent.estimated_wh == Approx(60.0));
}

// Constant 30 W read every 10 minutes from 28 March 22:00 UTC to 31 March.
std::vector<PowerReading> Constant30W() {
  std::vector<PowerReading> out;
  for (TimePoint t = Utc(2025, 3, 28, 22); t <= Utc(2025, 3, 31); t += 10min) out.push_back({t, 30});
  return out;
}

TEST_CASE("Energy is split by local day, including a 23-hour day, and by district", "[energy][days]") {
  const CityIndex city = Index(SmallCityPoints());
  const ScheduleClock clock = DijonClock();
  const std::vector<PowerReading> readings = Constant30W();
  const auto rows = EnergyByDistrictAndDay(
      city,
      [&](PointIndex) {
        return PointHistory{readings, {}};
      },
      {2025, 3, 29}, {2025, 3, 30}, clock, k15Min);
  REQUIRE(rows.size() == 6);  // 3 districts x 2 days
  CHECK(rows[0].district == 1);
  CHECK(rows[0].day == CivilDate{2025, 3, 29});
  CHECK(rows[0].points == 8);
  CHECK(rows[0].energy.measured_wh == Approx(8 * 30.0 * 24));
  CHECK(rows[1].day == CivilDate{2025, 3, 30});
  CHECK(rows[1].energy.measured_wh == Approx(8 * 30.0 * 23));  // clocks went forward
  CHECK(rows[2].district == 2);
  CHECK(rows[2].energy.measured_wh == Approx(4 * 30.0 * 24));
  for (const auto& row : rows) CHECK(row.energy.estimated_wh == 0);

  // Baseline: 150 W per point while the sun is down that day (midnight to
  // sunrise, sunset to midnight), from the astronomical clock.
  const SunTimes sun = AstroClock().For({2025, 3, 29});
  const double dark_h = std::chrono::duration<double, std::ratio<3600>>((*sun.sunrise - Local(2025, 3, 29, 0)) +
                                                                        (Local(2025, 3, 30, 0) - *sun.sunset))
                            .count();
  CHECK(dark_h > 11.0);
  CHECK(dark_h < 12.0);
  CHECK(rows[0].baseline_wh == Approx(8 * 150.0 * dark_h).epsilon(1e-6));
  const LocalDay day = LocalDayOf({2025, 3, 30}, clock);
  CHECK(day.end - day.start == 23h);
}

TEST_CASE("Savings are 1 - energy / baseline", "[energy][savings]") {
  CHECK(SavingsPct(35, 100) == Approx(65));
  CHECK(SavingsPct(0, 100) == Approx(100));
  CHECK(SavingsPct(120, 100) == Approx(-20));
  CHECK(SavingsPct(10, 0) == 0);
}

TEST_CASE("34,000 LED points at 35% of the old lamps' power from dusk to dawn save 65%", "[energy][savings]") {
  std::vector<LightPoint> points;
  for (int i = 0; i < 34000; ++i) {
    const int cabinet = i / 30;
    points.push_back({"lp-" + std::to_string(i), "cab-" + std::to_string(cabinet), 1 + cabinet % 24, "", 60, 150});
  }
  const CityIndex city = Index(std::move(points));
  const ScheduleClock clock = DijonClock();
  // 52.5 W (35% of 150) whenever the sun is down on 1 December, 0 W by day;
  // read every 10 minutes and at sunrise and sunset.
  const SunTimes sun = clock.Sun({2025, 12, 1});
  std::vector<PowerReading> readings;
  for (TimePoint t = Local(2025, 12, 1, 0); t <= Local(2025, 12, 2, 0); t += 10min) {
    readings.push_back({t, (t < *sun.sunrise || t >= *sun.sunset) ? 52.5 : 0.0});
  }
  readings.push_back({*sun.sunrise, 0.0});
  readings.push_back({*sun.sunset, 52.5});
  std::sort(readings.begin(), readings.end(), [](const auto& a, const auto& b) { return a.at < b.at; });
  const auto rows = EnergyByDistrictAndDay(
      city,
      [&](PointIndex) {
        return PointHistory{readings, {}};
      },
      {2025, 12, 1}, {2025, 12, 1}, clock, k15Min);
  REQUIRE(rows.size() == 24);
  double energy = 0, baseline = 0;
  size_t counted = 0;
  for (const auto& row : rows) {
    CHECK(row.savings_pct() == Approx(65.0).epsilon(1e-9));
    CHECK(row.energy.estimated_wh == 0);
    energy += row.energy.total_wh();
    baseline += row.baseline_wh;
    counted += row.points;
  }
  CHECK(counted == 34000);
  CHECK(SavingsPct(energy, baseline) == Approx(65.0).epsilon(1e-9));
  const double dark_h = std::chrono::duration<double, std::ratio<3600>>(LocalDayOf({2025, 12, 1}, clock).dark).count();
  CHECK(baseline == Approx(34000 * 150.0 * dark_h));
  CHECK(dark_h > 15.0);  // a December day in Dijon: under 9 h of sun
}

}  // namespace
}  // namespace cityops::lighting
