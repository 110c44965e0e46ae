#include "domain/energy.h"

#include <algorithm>

namespace cityops::lighting {
namespace {

double Secs(TimePoint::duration d) { return std::chrono::duration<double>(d).count(); }

}  // namespace

Energy& Energy::operator+=(const Energy& other) {
  measured_wh += other.measured_wh;
  estimated_wh += other.estimated_wh;
  measured_s += other.measured_s;
  estimated_s += other.estimated_s;
  return *this;
}

double EstimateWh(std::span<const LevelChange> commanded, double rated_w, TimePoint from, TimePoint to) {
  if (to <= from) return 0;
  // The change holding at `from`, then each change inside the interval.
  auto it = std::upper_bound(commanded.begin(), commanded.end(), from,
                             [](TimePoint t, const LevelChange& c) { return t < c.at; });
  double level = it == commanded.begin() ? 0.0 : static_cast<double>(std::prev(it)->level);
  double level_seconds = 0;
  TimePoint cursor = from;
  for (; it != commanded.end() && it->at < to; ++it) {
    level_seconds += level * Secs(it->at - cursor);
    cursor = it->at;
    level = it->level;
  }
  level_seconds += level * Secs(to - cursor);
  return rated_w * level_seconds / 100.0 / 3600.0;
}

Energy IntegratePoint(const PointHistory& history, double rated_w, TimePoint from, TimePoint to,
                      const EnergySettings& settings) {
  Energy e;
  if (to <= from) return e;
  const auto& power = history.power;
  // The first reading after `from`; the one before it (if any) holds at `from`.
  auto next =
      std::upper_bound(power.begin(), power.end(), from, [](TimePoint t, const PowerReading& r) { return t < r.at; });
  const PowerReading* held = next == power.begin() ? nullptr : &*std::prev(next);
  TimePoint cursor = from;
  while (cursor < to) {
    const bool has_next = next != power.end();
    const TimePoint end = has_next ? std::min(next->at, to) : to;
    // Measured when both ends of the interval are readings no further apart
    // than the gap limit (or, with nothing after, the silence up to the end of
    // the window is short); estimated otherwise, as a whole.
    bool measured = false;
    if (held != nullptr) {
      const TimePoint far_end = has_next ? next->at : to;
      measured = far_end - held->at <= settings.gap_limit;
    }
    if (end > cursor) {
      const double seconds = Secs(end - cursor);
      if (measured) {
        e.measured_wh += held->watts * seconds / 3600.0;
        e.measured_s += seconds;
      } else {
        e.estimated_wh += EstimateWh(history.commanded, rated_w, cursor, end);
        e.estimated_s += seconds;
      }
    }
    cursor = end;
    if (!has_next || next->at >= to) break;
    held = &*next;
    ++next;
  }
  return e;
}

LocalDay LocalDayOf(const CivilDate& day, const ScheduleClock& clock) {
  LocalDay out;
  out.day = day;
  out.start = LocalToUtc(day, 0, clock.rule());
  out.end = LocalToUtc(AddDays(day, 1), 0, clock.rule());
  const SunTimes& sun = clock.Sun(day);
  TimePoint::duration dark{0};
  switch (sun.kind) {
    case SunDay::kRisesAndSets:
      dark = std::clamp(*sun.sunrise, out.start, out.end) - out.start +
             (out.end - std::clamp(*sun.sunset, out.start, out.end));
      break;
    case SunDay::kAlwaysDown:
      dark = out.end - out.start;
      break;
    case SunDay::kAlwaysUp:
      break;
  }
  out.dark = dark;
  return out;
}

double SavingsPct(double energy_wh, double baseline_wh) {
  if (baseline_wh <= 0) return 0;
  return 100.0 * (1.0 - energy_wh / baseline_wh);
}

std::vector<DistrictDayEnergy> EnergyByDistrictAndDay(const CityIndex& city,
                                                      const std::function<PointHistory(PointIndex)>& history_of,
                                                      const CivilDate& first, const CivilDate& last,
                                                      const ScheduleClock& clock, const EnergySettings& settings) {
  std::vector<LocalDay> days;
  for (CivilDate d = first; d <= last; d = AddDays(d, 1)) days.push_back(LocalDayOf(d, clock));
  std::vector<DistrictDayEnergy> out;
  out.reserve(city.district_count() * days.size());
  for (DistrictSlot slot = 0; slot < city.district_count(); ++slot) {
    const CityIndex::District& district = city.district(slot);
    for (const LocalDay& day : days) {
      DistrictDayEnergy row;
      row.district = district.number;
      row.day = day.day;
      row.points = district.point_end - district.point_begin;
      const double dark_h = std::chrono::duration<double, std::ratio<3600>>(day.dark).count();
      for (PointIndex p = district.point_begin; p < district.point_end; ++p) {
        row.energy += IntegratePoint(history_of(p), city.rated_w(p), day.start, day.end, settings);
        row.baseline_wh += city.baseline_w(p) * dark_h;
      }
      out.push_back(row);
    }
  }
  return out;
}

}  // namespace cityops::lighting
