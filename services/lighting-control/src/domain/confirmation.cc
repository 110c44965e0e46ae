#include "domain/confirmation.h"

#include <cmath>
#include <limits>

namespace cityops::lighting {

ConfirmationTracker::ConfirmationTracker(const CityIndex& city, ConfirmationSettings settings)
    : city_(&city),
      settings_(settings),
      state_(city.point_count(), State::kIdle),
      commanded_(city.point_count(), kNoLevel),
      since_(city.point_count()),
      commanded_at_(city.point_count()),
      last_reading_(city.point_count(), std::numeric_limits<float>::quiet_NaN()) {}

void ConfirmationTracker::SetState(PointIndex p, State s) {
  const State old = state_[p];
  if (old == s) return;
  if (old == State::kWaiting) --waiting_;
  if (old == State::kFaulted) --faulted_;
  if (s == State::kWaiting) ++waiting_;
  if (s == State::kFaulted) ++faulted_;
  state_[p] = s;
}

void ConfirmationTracker::OnCommands(const CommandBatch& batch, TimePoint at) {
  const auto wait = [&](PointIndex p, uint8_t level) {
    commanded_[p] = level;
    commanded_at_[p] = at;
    since_[p] = at;
    last_reading_[p] = std::numeric_limits<float>::quiet_NaN();
    SetState(p, State::kWaiting);
  };
  for (const SectionCommand& c : batch.commands) {
    if (c.whole_section) {
      const CityIndex::Section& section = city_->section(c.section);
      for (PointIndex p = section.begin; p < section.end; ++p) wait(p, c.level);
    } else {
      for (const PointLevel& pl : batch.PointsOf(c)) wait(pl.point, pl.level);
    }
  }
}

void ConfirmationTracker::OnReading(PointIndex p, double level_pct, TimePoint at) {
  if (p >= state_.size() || !std::isfinite(level_pct)) return;
  if (state_[p] == State::kIdle || at < commanded_at_[p]) return;
  last_reading_[p] = static_cast<float>(level_pct);
  const bool at_level = std::abs(level_pct - commanded_[p]) <= settings_.tolerance_pct;
  if (at_level) {
    SetState(p, State::kConfirmed);
  } else if (state_[p] == State::kConfirmed) {
    since_[p] = at;  // a new miss: it has the timeout to come back
    SetState(p, State::kWaiting);
  }
}

void ConfirmationTracker::Restore(PointIndex p, uint8_t level, TimePoint at, bool confirmed, bool reported) {
  if (p >= state_.size()) return;
  commanded_[p] = level;
  commanded_at_[p] = at;
  since_[p] = at;
  SetState(p, confirmed ? State::kConfirmed : reported ? State::kFaulted : State::kWaiting);
}

void ConfirmationTracker::Check(TimePoint now, std::vector<NotApplied>& out) {
  if (waiting_ == 0) return;
  for (PointIndex p = 0; p < state_.size(); ++p) {
    if (state_[p] != State::kWaiting || now - since_[p] < settings_.timeout) continue;
    std::optional<double> last;
    if (!std::isnan(last_reading_[p])) last = last_reading_[p];
    out.push_back({p, commanded_[p], since_[p], last});
    SetState(p, State::kFaulted);
  }
}

}  // namespace cityops::lighting
