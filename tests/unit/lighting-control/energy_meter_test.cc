#include "domain/energy_meter.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <map>
#include <memory>

#include "fixtures.h"

namespace cityops::lighting {
namespace {

using namespace testing;

const EnergySettings k15Min{900s};

// A point's history, fed to the meter in time order (a command before a
// reading of the same instant), as the service would see it.
struct Feed {
  PointIndex point;
  std::vector<PowerReading> power;
  std::vector<LevelChange> commanded;
};

void Play(EnergyMeter& meter, const std::vector<Feed>& feeds) {
  struct Event {
    TimePoint at;
    bool is_command;
    PointIndex point;
    double value;
  };
  std::vector<Event> events;
  for (const Feed& f : feeds) {
    for (const PowerReading& r : f.power) events.push_back({r.at, false, f.point, r.watts});
    for (const LevelChange& c : f.commanded) events.push_back({c.at, true, f.point, static_cast<double>(c.level)});
  }
  std::stable_sort(events.begin(), events.end(), [](const Event& a, const Event& b) {
    return a.at != b.at ? a.at < b.at : a.is_command > b.is_command;
  });
  for (const Event& e : events) {
    if (e.is_command) {
      meter.OnCommanded(e.point, e.at, static_cast<uint8_t>(e.value));
    } else {
      REQUIRE(meter.OnPower(e.point, e.at, e.value));
    }
  }
}

void CheckSame(const Energy& got, const Energy& want) {
  CHECK(got.measured_wh == Approx(want.measured_wh).epsilon(1e-6));
  CHECK(got.estimated_wh == Approx(want.estimated_wh).epsilon(1e-6));
  CHECK(got.measured_s == Approx(want.measured_s).epsilon(1e-6));
  CHECK(got.estimated_s == Approx(want.estimated_s).epsilon(1e-6));
}

// Dijon's standard night, 19 to 21 November (local): 100% at sunset, 50% at
// 22:30, 70% at 02:30 (an operator), 100% at 05:30, off at sunrise.
std::vector<LevelChange> NovemberCommands() {
  return {{Local(2025, 11, 19, 16, 50), 100}, {Local(2025, 11, 19, 22, 30), 50}, {Local(2025, 11, 20, 2, 30), 70},
          {Local(2025, 11, 20, 5, 30), 100},  {Local(2025, 11, 20, 7, 55), 0},   {Local(2025, 11, 20, 16, 50), 100},
          {Local(2025, 11, 20, 22, 30), 50}};
}

// Readings of point k every 5 minutes (every 7 for odd k) from 19 November
// 23:50 to 21 November 00:10 local, the power following the commands with a
// small offset, and nothing between 02:00 and 03:10 (a 70-minute gap, over
// which the level goes from 50% to 70%) for k = 0, 1.
// Point 2 is also silent for 14 minutes (at the limit: measured) at 12:00.
std::vector<PowerReading> NovemberReadings(int k, const std::vector<LevelChange>& commanded) {
  std::vector<PowerReading> out;
  const auto step = (k % 2 == 1) ? 7min : 5min;
  for (TimePoint t = Local(2025, 11, 19, 23, 50); t <= Local(2025, 11, 21, 0, 10); t += step) {
    if (k <= 1 && t > Local(2025, 11, 20, 2, 0) && t < Local(2025, 11, 20, 3, 10)) continue;
    if (k == 2 && t > Local(2025, 11, 20, 12, 0) && t < Local(2025, 11, 20, 12, 14)) continue;
    int level = 0;
    for (const LevelChange& c : commanded) {
      if (c.at <= t) level = c.level;
    }
    out.push_back({t, level * 0.5 + 0.1 * k});
  }
  if (k <= 1) {
    out.push_back({Local(2025, 11, 20, 2, 0), 25.0});
    out.push_back({Local(2025, 11, 20, 3, 10), 35.0});
  }
  if (k == 2) out.push_back({Local(2025, 11, 20, 12, 14), 0.2});
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.at < b.at; });
  out.erase(std::unique(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.at == b.at; }), out.end());
  return out;
}

TEST_CASE("Readings fed one by one add up to IntegratePoint over the day, gaps included", "[energy_meter]") {
  const CityIndex city = Index(SmallCityPoints());
  const ScheduleClock clock = DijonClock();
  EnergyMeter meter(city, clock, k15Min);
  const std::vector<LevelChange> commanded = NovemberCommands();
  const CityIndex::District& district = city.district(*city.FindDistrict(2));
  std::vector<Feed> feeds;
  for (PointIndex p = district.point_begin; p < district.point_end; ++p) {
    const int k = static_cast<int>(p - district.point_begin);
    feeds.push_back({p, NovemberReadings(k, commanded), commanded});
  }
  Play(meter, feeds);

  for (const CivilDate day : {CivilDate{2025, 11, 20}}) {
    const LocalDay local = LocalDayOf(day, clock);
    Energy want;
    for (const Feed& f : feeds) {
      want += IntegratePoint({f.power, f.commanded}, city.rated_w(f.point), local.start, local.end, k15Min);
    }
    REQUIRE(want.estimated_wh > 0);  // the gaps were estimated...
    REQUIRE(want.measured_wh > 0);
    CHECK(want.estimated_s == Approx(2 * 70 * 60));  // ...two of them, the 14-minute one measured
    const DistrictDayEnergy got = meter.Report(2, day);
    CHECK(got.district == 2);
    CHECK(got.day == day);
    CheckSame(got.energy, want);
    CHECK(got.energy.measured_s + got.energy.estimated_s == Approx(4 * 24 * 3600.0));
  }
  // The 10 minutes either side of the day went to the days before and after.
  CHECK(meter.Report(2, {2025, 11, 19}).energy.measured_s == Approx(4 * 600.0));
  CHECK(meter.Report(2, {2025, 11, 21}).energy.measured_s > 0);
  // Nothing in the other districts.
  CHECK(meter.Report(1, {2025, 11, 20}).energy.total_wh() == 0);
}

TEST_CASE("A reading replayed or older changes nothing - the first only starts the point", "[energy_meter]") {
  const CityIndex city = Index(SmallCityPoints());
  EnergyMeter meter(city, DijonClock(), k15Min);
  const TimePoint t0 = Local(2025, 11, 20, 20, 0);
  CHECK_FALSE(meter.LastOf(0).has_value());
  CHECK(meter.OnPower(0, t0, 30));
  CHECK(meter.Report(1, {2025, 11, 20}).energy.total_wh() == 0);
  CHECK(meter.TakeChanged().empty());  // the first reading adds nothing
  CHECK(meter.OnPower(0, t0 + 5min, 40));
  const Energy before = meter.Report(1, {2025, 11, 20}).energy;
  CHECK(before.measured_wh == Approx(30.0 * 5 / 60));
  CHECK(meter.TakeChanged().size() == 1);

  CHECK_FALSE(meter.OnPower(0, t0 + 5min, 99));  // replayed (even with other watts)
  CHECK_FALSE(meter.OnPower(0, t0 + 1min, 40));  // older
  CHECK_FALSE(meter.OnPower(0, t0 - 1h, 40));
  CHECK_FALSE(meter.OnPower(0, t0 + 6min, -1));  // impossible watts
  CHECK_FALSE(meter.OnPower(0, t0 + 6min, std::numeric_limits<double>::quiet_NaN()));
  CHECK_FALSE(meter.OnPower(0, t0 + 6min, std::numeric_limits<double>::infinity()));
  const Energy after = meter.Report(1, {2025, 11, 20}).energy;
  CHECK(after.measured_wh == before.measured_wh);
  CHECK(after.measured_s == before.measured_s);
  CHECK(after.estimated_wh == 0);
  CHECK(meter.TakeChanged().empty());
  REQUIRE(meter.LastOf(0).has_value());
  CHECK(meter.LastOf(0)->at == t0 + 5min);
  CHECK(meter.LastOf(0)->watts == 40);
  // The next good reading holds the last accepted one (40 W).
  CHECK(meter.OnPower(0, t0 + 10min, 40));
  CHECK(meter.Report(1, {2025, 11, 20}).energy.measured_wh == Approx(30.0 * 5 / 60 + 40.0 * 5 / 60));
}

TEST_CASE("An interval across local midnight is split between the two days", "[energy_meter][days]") {
  const CityIndex city = Index(SmallCityPoints());
  EnergyMeter meter(city, DijonClock(), k15Min);
  // Measured: 23:55 to 00:05, 40 W.
  CHECK(meter.OnPower(0, Local(2025, 11, 20, 23, 55), 40));
  CHECK(meter.OnPower(0, Local(2025, 11, 21, 0, 5), 40));
  // Estimated: 23:30 to 00:30 (an hour of silence) at 100% of 50 W.
  meter.OnCommanded(1, Local(2025, 11, 20, 17, 0), 100);
  CHECK(meter.OnPower(1, Local(2025, 11, 20, 23, 30), 40));
  CHECK(meter.OnPower(1, Local(2025, 11, 21, 0, 30), 40));
  const Energy d20 = meter.Report(1, {2025, 11, 20}).energy;
  const Energy d21 = meter.Report(1, {2025, 11, 21}).energy;
  CHECK(d20.measured_wh == Approx(40.0 * 5 / 60));
  CHECK(d21.measured_wh == Approx(40.0 * 5 / 60));
  CHECK(d20.measured_s == Approx(300));
  CHECK(d20.estimated_wh == Approx(50.0 * 30 / 60));
  CHECK(d21.estimated_wh == Approx(50.0 * 30 / 60));
  CHECK(d21.estimated_s == Approx(1800));
}

TEST_CASE("The day the clocks go back has 25 hours - a long gap spans whole days", "[energy_meter][days]") {
  const CityIndex city = Index(SmallCityPoints());
  EnergyMeter meter(city, DijonClock(), k15Min);
  // Constant 30 W read every 10 minutes from 25 October 23:00 to 27 October 01:00 local.
  for (TimePoint t = Local(2025, 10, 25, 23, 0); t <= Local(2025, 10, 27, 1, 0); t += 10min) {
    REQUIRE(meter.OnPower(0, t, 30));
  }
  CHECK(meter.Report(1, {2025, 10, 25}).energy.measured_wh == Approx(30.0));
  CHECK(meter.Report(1, {2025, 10, 26}).energy.measured_wh == Approx(30.0 * 25));
  CHECK(meter.Report(1, {2025, 10, 26}).energy.measured_s == Approx(25 * 3600.0));
  CHECK(meter.Report(1, {2025, 10, 27}).energy.measured_wh == Approx(30.0));

  // District 2: silent from 25 October 12:00 to 27 October 12:00, commanded
  // 100% throughout: estimated, 12 h + 25 h + 12 h.
  meter.OnCommanded(8, Local(2025, 10, 24, 12, 0), 100);
  CHECK(meter.OnPower(8, Local(2025, 10, 25, 12, 0), 0));
  CHECK(meter.OnPower(8, Local(2025, 10, 27, 12, 0), 0));
  CHECK(meter.Report(2, {2025, 10, 25}).energy.estimated_wh == Approx(50.0 * 12));
  CHECK(meter.Report(2, {2025, 10, 26}).energy.estimated_wh == Approx(50.0 * 25));
  CHECK(meter.Report(2, {2025, 10, 26}).energy.estimated_s == Approx(25 * 3600.0));
  CHECK(meter.Report(2, {2025, 10, 27}).energy.estimated_wh == Approx(50.0 * 12));
  CHECK(meter.Report(2, {2025, 10, 26}).energy.measured_wh == 0);
}

TEST_CASE("An estimate follows the levels commanded over the gap", "[energy_meter][gaps]") {
  const CityIndex city = Index(SmallCityPoints());
  EnergyMeter meter(city, DijonClock(), k15Min);
  const auto at = [](int h, int mi) { return Utc(2025, 11, 20, h, mi); };
  // Rated 50 W; 50% from 17:00, 100% from 18:30. Read at 18:00 and 18:05,
  // then nothing until 19:00 (55 minutes).
  meter.OnCommanded(0, at(17, 0), 50);
  meter.OnCommanded(0, at(18, 30), 100);
  meter.OnCommanded(0, at(18, 30), 100);  // a replayed command changes nothing
  CHECK(meter.OnPower(0, at(18, 0), 40));
  CHECK(meter.OnPower(0, at(18, 5), 40));
  CHECK(meter.OnPower(0, at(19, 0), 40));
  const Energy e = meter.Report(1, {2025, 11, 20}).energy;
  CHECK(e.measured_wh == Approx(40.0 * 5 / 60));
  CHECK(e.estimated_wh == Approx(25.0 * 25 / 60 + 50.0 * 30 / 60));
  CHECK(e.estimated_s == Approx(55 * 60));
  // The same through the batch form.
  const std::vector<PowerReading> readings{{at(18, 0), 40}, {at(18, 5), 40}, {at(19, 0), 40}};
  const std::vector<LevelChange> commanded{{at(17, 0), 50}, {at(18, 30), 100}};
  const Energy batch = IntegratePoint({readings, commanded}, 50, at(18, 0), at(19, 0), k15Min);
  CheckSame(e, batch);

  // Only the change in force at the last reading (19:00) is still kept.
  meter.OnCommanded(0, at(20, 0), 20);
  REQUIRE(meter.LevelsOf(0).size() == 2);
  CHECK(meter.LevelsOf(0)[0].at == at(18, 30));
  CHECK(meter.LevelsOf(0)[1].level == 20);
  // A command known late for an instant before the last reading replaces the
  // one in force then when later, and is dropped when earlier.
  meter.OnCommanded(0, at(18, 45), 0);
  meter.OnCommanded(0, at(18, 10), 60);
  REQUIRE(meter.LevelsOf(0).size() == 2);
  CHECK(meter.LevelsOf(0)[0].at == at(18, 45));
  CHECK(meter.LevelsOf(0)[0].level == 0);
  // 19:00-20:00 at 0%, 20:00-21:00 at 20%.
  CHECK(meter.OnPower(0, at(21, 0), 10));
  CHECK(meter.Report(1, {2025, 11, 20}).energy.estimated_wh ==
        Approx(25.0 * 25 / 60 + 50.0 * 30 / 60 + 0 + 50.0 * 0.2));
  // Never commanded: the estimate is 0 W.
  CHECK(meter.OnPower(1, at(18, 0), 40));
  CHECK(meter.OnPower(1, at(20, 0), 40));
  CHECK(meter.Report(1, {2025, 11, 20}).energy.estimated_s == Approx(55 * 60 + 2 * 3600 + 2 * 3600));
}

TEST_CASE("A point silent for long keeps its newest commanded levels", "[energy_meter][gaps]") {
  const CityIndex city = Index(SmallCityPoints());
  EnergyMeter meter(city, DijonClock(), k15Min);
  const TimePoint t0 = Utc(2025, 11, 20, 12);
  meter.OnCommanded(0, t0 - 1h, 100);
  CHECK(meter.OnPower(0, t0, 40));
  // 20 changes, one an hour, 0% and 100% in turn: 21 in all, 12 kept.
  for (int k = 1; k <= 20; ++k) meter.OnCommanded(0, t0 + std::chrono::hours(k), k % 2 == 1 ? 0 : 100);
  CHECK(meter.levels_dropped() == 9);
  const auto kept = meter.LevelsOf(0);
  REQUIRE(kept.size() == EnergyMeter::kLevelsKept);
  CHECK(kept[0].at == t0 - 1h);  // the oldest stands in from the first instant
  CHECK(kept[0].level == 0);     // with the level of change 9
  CHECK(kept[1].at == t0 + 10h);
  CHECK(kept.back().at == t0 + 20h);
  CHECK(std::is_sorted(kept.begin(), kept.end(), [](const auto& a, const auto& b) { return a.at < b.at; }));
  CHECK(meter.OnPower(0, t0 + 21h, 40));
  // Known exactly from 10 h on: 100% on even hours 10..20, that is 6 h of 50 W.
  Energy total;
  for (const CivilDate day : {CivilDate{2025, 11, 20}, CivilDate{2025, 11, 21}}) {
    total += meter.Report(1, day).energy;
  }
  CHECK(total.estimated_s == Approx(21 * 3600.0));
  CHECK(total.estimated_wh == Approx(50.0 * 6));
}

TEST_CASE("Report: the district's points and baseline, and the savings", "[energy_meter][savings]") {
  // District 7: two points, LED 40 W, pre-retrofit 150 W each; at 100% all
  // the time the sun is down on 1 December, off by day.
  const CityIndex city = Index(
      {{"a", "cab-7", 7, "Rue X", 40.0, 150.0}, {"b", "cab-7", 7, "Rue X", 40.0, 150.0}, Lp("z", "cab-9", 9, "")});
  const ScheduleClock clock = DijonClock();
  EnergyMeter meter(city, clock, k15Min);
  const SunTimes sun = clock.Sun({2025, 12, 1});
  std::vector<PowerReading> readings;
  for (TimePoint t = Local(2025, 12, 1, 0); t <= Local(2025, 12, 2, 0); t += 10min) {
    readings.push_back({t, (t < *sun.sunrise || t >= *sun.sunset) ? 40.0 : 0.0});
  }
  readings.push_back({*sun.sunrise, 0.0});
  readings.push_back({*sun.sunset, 40.0});
  std::sort(readings.begin(), readings.end(), [](const auto& a, const auto& b) { return a.at < b.at; });
  Play(meter, {{0, readings, {}}, {1, readings, {}}});

  const DistrictDayEnergy row = meter.Report(7, {2025, 12, 1});
  const double dark_h = std::chrono::duration<double, std::ratio<3600>>(LocalDayOf({2025, 12, 1}, clock).dark).count();
  CHECK(row.points == 2);
  CHECK(row.baseline_wh == Approx(2 * 150.0 * dark_h));
  CHECK(row.energy.measured_wh == Approx(2 * 40.0 * dark_h));
  CHECK(row.energy.estimated_wh == 0);
  CHECK(row.savings_pct() == Approx(100.0 * (1 - 40.0 / 150.0)));  // 73.3%
  CHECK(row.savings_pct() == Approx(73.3).margin(0.1));
  // A day without readings: the baseline, no energy (100% "saved": nothing known).
  const DistrictDayEnergy empty = meter.Report(7, {2025, 12, 5});
  CHECK(empty.points == 2);
  CHECK(empty.baseline_wh > 0);
  CHECK(empty.energy.total_wh() == 0);
  // A district the city does not have.
  const DistrictDayEnergy unknown = meter.Report(8, {2025, 12, 1});
  CHECK(unknown.district == 8);
  CHECK(unknown.points == 0);
  CHECK(unknown.baseline_wh == 0);
}

// Readings of points 0 (district 1) and 8 (district 2) every 10 minutes
// from 20 November 22:00 to 21 November 02:00 local, with a 40-minute gap for
// point 8 around midnight.
std::vector<Feed> SaveRestoreFeeds() {
  std::vector<Feed> feeds{{0, {}, {{Local(2025, 11, 20, 17, 0), 100}}}, {8, {}, {{Local(2025, 11, 20, 17, 0), 80}}}};
  for (TimePoint t = Local(2025, 11, 20, 22, 0); t <= Local(2025, 11, 21, 2, 0); t += 10min) {
    feeds[0].power.push_back({t, 45});
    if (t <= Local(2025, 11, 20, 23, 40) || t >= Local(2025, 11, 21, 0, 20)) feeds[1].power.push_back({t, 35});
  }
  return feeds;
}

using Saved = std::map<std::pair<int, int64_t>, DistrictDayEnergy>;
void Save(Saved& store, const std::vector<DistrictDayEnergy>& rows) {
  for (const auto& row : rows) store[{row.district, DaysFromCivil(row.day)}] = row;
}

TEST_CASE("TakeChanged gives each changed bucket once - a restored meter carries on", "[energy_meter][restore]") {
  const CityIndex city = Index(SmallCityPoints());
  const ScheduleClock clock = DijonClock();
  const std::vector<Feed> feeds = SaveRestoreFeeds();
  EnergyMeter whole(city, clock, k15Min);
  Play(whole, feeds);

  // The same readings, saved and restarted at 23:00 local then at 00:30.
  const auto part = [&](TimePoint from, TimePoint to) {
    std::vector<Feed> out;
    for (const Feed& f : feeds) {
      Feed g{f.point, {}, f.commanded};
      for (const PowerReading& r : f.power) {
        if (r.at >= from && r.at < to) g.power.push_back(r);
      }
      out.push_back(g);
    }
    return out;
  };
  const TimePoint start = Local(2025, 11, 20, 0), cut1 = Local(2025, 11, 20, 23, 0), cut2 = Local(2025, 11, 21, 0, 30);
  const TimePoint end = Local(2025, 11, 22, 0);
  Saved store;
  std::map<PointIndex, PowerReading> last;
  const auto save = [&](EnergyMeter& m) {
    Save(store, m.TakeChanged());
    for (PointIndex p : {0u, 8u}) {
      if (m.LastOf(p)) last[p] = *m.LastOf(p);
    }
  };
  const auto restart = [&] {
    auto m = std::make_unique<EnergyMeter>(city, clock, k15Min);
    for (const auto& [p, r] : last) REQUIRE(m->RestorePoint(p, r.at, r.watts).ok());
    for (const auto& [key, row] : store) REQUIRE(m->RestoreBucket(row).ok());
    CHECK(m->TakeChanged().empty());  // restoring is not a change
    return m;
  };

  auto meter = std::make_unique<EnergyMeter>(city, clock, k15Min);
  Play(*meter, part(start, cut1));
  std::vector<DistrictDayEnergy> changed = meter->TakeChanged();
  REQUIRE(changed.size() == 2);  // (1, 20 Nov), (2, 20 Nov), each once
  CHECK(changed[0].day == CivilDate{2025, 11, 20});
  CHECK(changed[0].district != changed[1].district);
  CHECK(meter->TakeChanged().empty());
  Save(store, changed);
  save(*meter);

  meter = restart();
  Play(*meter, part(cut1, cut2));
  changed = meter->TakeChanged();
  CHECK(changed.size() == 4);  // both districts, both days
  for (const auto& row : changed) {
    CHECK(std::count_if(changed.begin(), changed.end(), [&](const DistrictDayEnergy& other) {
            return other.district == row.district && other.day == row.day;
          }) == 1);
  }
  Save(store, changed);
  save(*meter);

  meter = restart();
  Play(*meter, part(cut2, end));
  save(*meter);

  for (const int district : {1, 2}) {
    for (const CivilDate day : {CivilDate{2025, 11, 20}, CivilDate{2025, 11, 21}}) {
      const DistrictDayEnergy want = whole.Report(district, day);
      const DistrictDayEnergy got = meter->Report(district, day);
      CheckSame(got.energy, want.energy);
      const DistrictDayEnergy& stored = store.at({district, DaysFromCivil(day)});
      CheckSame(stored.energy, want.energy);
      CHECK(stored.points == want.points);
      CHECK(stored.baseline_wh == Approx(want.baseline_wh));
    }
  }
  CHECK(whole.Report(2, {2025, 11, 20}).energy.estimated_s == Approx(20 * 60));          // 23:40 to midnight
  CHECK(whole.Report(2, {2025, 11, 21}).energy.estimated_wh == Approx(40.0 * 20 / 60));  // 80% of 50 W

  // What cannot be restored is refused.
  EnergyMeter fresh(city, clock, k15Min);
  DistrictDayEnergy bad = whole.Report(1, {2025, 11, 20});
  bad.district = 42;
  CHECK(fresh.RestoreBucket(bad).code() == absl::StatusCode::kNotFound);
  bad = whole.Report(1, {2025, 11, 20});
  bad.energy.measured_wh = -1;
  CHECK(fresh.RestoreBucket(bad).code() == absl::StatusCode::kInvalidArgument);
  bad = whole.Report(1, {2025, 11, 20});
  bad.day = {2025, 2, 30};
  CHECK(fresh.RestoreBucket(bad).code() == absl::StatusCode::kInvalidArgument);
  CHECK(fresh.RestorePoint(0, cut1, std::numeric_limits<double>::quiet_NaN()).code() ==
        absl::StatusCode::kInvalidArgument);
  CHECK_FALSE(fresh.LastOf(0).has_value());
  CHECK(fresh.Report(1, {2025, 11, 20}).energy.total_wh() == 0);
}

}  // namespace
}  // namespace cityops::lighting
