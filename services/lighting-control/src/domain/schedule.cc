#include "domain/schedule.h"

namespace cityops::lighting {
namespace {

constexpr size_t kSunCacheLimit = 512;

}  // namespace

CivilDate ScheduleClock::NightOf(TimePoint t) const { return LocalDate(t - std::chrono::hours(12), rule_); }

const SunTimes& ScheduleClock::Sun(const CivilDate& date) const {
  const int64_t key = DaysFromCivil(date);
  auto it = sun_cache_.find(key);
  if (it != sun_cache_.end()) return it->second;
  if (sun_cache_.size() >= kSunCacheLimit) sun_cache_.clear();
  return sun_cache_.emplace(key, astro_.For(date)).first->second;
}

TimePoint ScheduleClock::SunsetOf(const CivilDate& night) const {
  const SunTimes& sun = Sun(night);
  switch (sun.kind) {
    case SunDay::kRisesAndSets:
      return *sun.sunset;
    case SunDay::kAlwaysDown:
      return NightStart(night);
    case SunDay::kAlwaysUp:
      break;
  }
  return LocalToUtc(AddDays(night, 1), 0, rule_);
}

TimePoint ScheduleClock::SunriseAfter(const CivilDate& night) const {
  const CivilDate morning = AddDays(night, 1);
  const SunTimes& sun = Sun(morning);
  switch (sun.kind) {
    case SunDay::kRisesAndSets:
      return *sun.sunrise;
    case SunDay::kAlwaysDown:
      return NightStart(morning);
    case SunDay::kAlwaysUp:
      break;
  }
  return LocalToUtc(morning, 0, rule_);
}

void ScheduleClock::Resolve(const DimmingProfile& profile, const CivilDate& night,
                            std::vector<ResolvedStep>& out) const {
  bool first = true;
  TimePoint previous{};
  for (const ProfileStep& step : profile.steps) {
    TimePoint at;
    switch (step.anchor) {
      case Anchor::kSunset:
        at = SunsetOf(night);
        break;
      case Anchor::kSunrise:
        at = SunriseAfter(night);
        break;
      case Anchor::kClock:
        // From 12:00 on the night's date, before 12:00 on the next morning.
        at = LocalToUtc(step.clock_minute >= 12 * 60 ? night : AddDays(night, 1), step.clock_minute, rule_);
        break;
    }
    at += std::chrono::minutes(step.offset_min);
    if (!first && at < previous) at = previous;  // steps keep their order
    first = false;
    previous = at;
    out.push_back({at, static_cast<uint8_t>(step.level)});
  }
}

int ScheduleClock::LevelAmong(const std::vector<ResolvedStep>& steps, TimePoint t) {
  const ResolvedStep* best = nullptr;
  for (const ResolvedStep& s : steps) {
    if (s.at <= t && (best == nullptr || s.at >= best->at)) best = &s;
  }
  if (best == nullptr) return steps.empty() ? 0 : steps.back().level;
  return best->level;
}

int ScheduleClock::LevelAt(const DimmingProfile& profile, TimePoint t) const {
  const CivilDate night = NightOf(t);
  std::vector<ResolvedStep> steps;
  for (int i = 0; i < kNightsLookedAt; ++i) Resolve(profile, AddDays(night, kFirstNightOffset + i), steps);
  return LevelAmong(steps, t);
}

}  // namespace cityops::lighting
