#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "domain/astro_clock.h"
#include "domain/civil_time.h"
#include "domain/model.h"

// A dimming profile laid out on the calendar: the night an instant belongs
// to, the instants of each step on a night, and the level at an instant.
namespace cityops::lighting {

struct ResolvedStep {
  TimePoint at;
  uint8_t level;
};

// The nights to look at for an instant of night N: a step of night N-1 can
// still hold, and offsets (up to 6 h) can move a step of N-2 or N+1 next to it.
inline constexpr int kFirstNightOffset = -2;
inline constexpr int kNightsLookedAt = 4;  // N-2, N-1, N, N+1

class ScheduleClock {
 public:
  ScheduleClock(AstroClock astro, LocalTimeRule rule) : astro_(astro), rule_(rule) {}

  // The night of an instant: the local date of (local time - 12 h), so the
  // night of 24 December runs from local noon on the 24th to local noon on the 25th.
  CivilDate NightOf(TimePoint t) const;
  // Local noon of that date: where its night starts.
  TimePoint NightStart(const CivilDate& night) const { return LocalToUtc(night, 12 * 60, rule_); }

  // Sunrise and sunset of a local date (cached; not thread-safe).
  const SunTimes& Sun(const CivilDate& date) const;
  // The sunset that opens the night of `night` and the sunrise that closes it.
  // On a date without one (polar night or day) they stand in: in polar night
  // the sun "sets" when the night starts (local noon) and "rises" when it ends;
  // in polar day both are at local midnight (a night of no length).
  TimePoint SunsetOf(const CivilDate& night) const;
  TimePoint SunriseAfter(const CivilDate& night) const;

  // The profile's steps on `night`, in the profile's order, appended to `out`.
  void Resolve(const DimmingProfile& profile, const CivilDate& night, std::vector<ResolvedStep>& out) const;
  // The profile's level at t (0..100).
  int LevelAt(const DimmingProfile& profile, TimePoint t) const;

  // The level holding at t among steps resolved for consecutive nights
  // (earlier nights first): the latest step started at or before t (a later
  // one wins a tie); the very last step when none started yet.
  static int LevelAmong(const std::vector<ResolvedStep>& steps, TimePoint t);

  const AstroClock& astro() const { return astro_; }
  const LocalTimeRule& rule() const { return rule_; }

 private:
  AstroClock astro_;
  LocalTimeRule rule_;
  mutable std::unordered_map<int64_t, SunTimes> sun_cache_;
};

}  // namespace cityops::lighting
