#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "domain/city_index.h"
#include "domain/civil_time.h"
#include "domain/schedule.h"

// The energy account: what each light point used, from its measured power,
// per district and local day, against what the pre-retrofit lamp would have
// used at full power from dusk to dawn.
//
// Integration is by steps: a `power_w` reading is the power from its instant
// until the next reading. A lamp's power is piecewise constant (its driver
// holds a level until told otherwise) and a device reports on change and
// periodically, so a step follows the real curve; the trapezoid would invent a
// ramp between two readings that straddle a switch (at sunset, a lamp read at
// 0 W then 40 W five minutes later would be counted as if it had climbed
// linearly, 50% off for those five minutes).
//
// Where readings are missing for longer than the gap limit (two consecutive
// readings further apart, nothing before a window, or silence up to its end),
// the whole gap is estimated as rated watts x commanded level / 100 over it,
// and kept apart from what was measured.
namespace cityops::lighting {

struct PowerReading {
  TimePoint at;
  double watts;
};

// The level commanded from `at` on (0 before the first change).
struct LevelChange {
  TimePoint at;
  uint8_t level;
};

struct EnergySettings {
  std::chrono::seconds gap_limit{900};
};

struct Energy {
  double measured_wh = 0;
  double estimated_wh = 0;
  double measured_s = 0;   // time covered by readings
  double estimated_s = 0;  // time filled by the estimate

  double total_wh() const { return measured_wh + estimated_wh; }
  Energy& operator+=(const Energy& other);
};

// What is known of one light point: readings and commanded levels, each
// sorted by time, and reaching before and after the window when available
// (the reading before the window holds into it; the one after it tells
// whether the last gap is a gap).
struct PointHistory {
  std::span<const PowerReading> power;
  std::span<const LevelChange> commanded;
};

// Energy of one light point over [from, to).
Energy IntegratePoint(const PointHistory& history, double rated_w, TimePoint from, TimePoint to,
                      const EnergySettings& settings);

// Watt-hours of rated_w x commanded level / 100 over [from, to).
double EstimateWh(std::span<const LevelChange> commanded, double rated_w, TimePoint from, TimePoint to);

// A local day: from local midnight to the next (23 or 25 hours on the days
// clocks change), and how long the sun is down in it (midnight to sunrise,
// sunset to midnight).
struct LocalDay {
  CivilDate day;
  TimePoint start;
  TimePoint end;
  TimePoint::duration dark{0};
};
LocalDay LocalDayOf(const CivilDate& day, const ScheduleClock& clock);

// 100 x (1 - energy / baseline); 0 when there is no baseline.
double SavingsPct(double energy_wh, double baseline_wh);

struct DistrictDayEnergy {
  int district = 0;
  CivilDate day;
  size_t points = 0;
  Energy energy;
  // Every point's baseline watts for the dark time of the day.
  double baseline_wh = 0;

  double savings_pct() const { return SavingsPct(energy.total_wh(), baseline_wh); }
};

// Each district's energy on each local day from `first` to `last`
// (included), by district then day. `history_of` gives a point's history.
std::vector<DistrictDayEnergy> EnergyByDistrictAndDay(const CityIndex& city,
                                                      const std::function<PointHistory(PointIndex)>& history_of,
                                                      const CivilDate& first, const CivilDate& last,
                                                      const ScheduleClock& clock, const EnergySettings& settings);

}  // namespace cityops::lighting
