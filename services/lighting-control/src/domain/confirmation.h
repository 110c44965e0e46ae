#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <vector>

#include "domain/city_index.h"
#include "domain/planner.h"

// Did the field obey? For each light point, the level last commanded and
// when; a reading of the point's level (metric `level_pct`) within the
// tolerance confirms it. A point not confirmed within the timeout is reported
// once as "command not applied", and not again until a new command, or a
// confirmation followed by a new miss (a reading off the commanded level that
// is not put right within the timeout).
namespace cityops::lighting {

struct ConfirmationSettings {
  double tolerance_pct = 2;
  std::chrono::seconds timeout{120};
};

struct NotApplied {
  PointIndex point;
  uint8_t commanded;
  TimePoint since;  // commanded at, or when the miss was seen
  std::optional<double> last_reading;
};

class ConfirmationTracker {
 public:
  ConfirmationTracker(const CityIndex& city, ConfirmationSettings settings);

  // The commands sent at `at`: their points wait for confirmation.
  void OnCommands(const CommandBatch& batch, TimePoint at);
  // A `level_pct` reading of a point taken at `at`. Readings taken before the
  // point's last command say nothing about it and are ignored.
  void OnReading(PointIndex point, double level_pct, TimePoint at);
  // Appends the points whose wait ran out at `now` (each once) to `out`.
  void Check(TimePoint now, std::vector<NotApplied>& out);

  // After a restart: the point was commanded `level` at `at`, and was then
  // confirmed, reported (as not applied), or neither (still waiting: the
  // timeout runs from `at`).
  void Restore(PointIndex point, uint8_t level, TimePoint at, bool confirmed, bool reported);
  bool reported(PointIndex p) const { return state_[p] == State::kFaulted; }

  // Points waiting for confirmation or reported (not at their commanded level).
  size_t not_at_level() const { return waiting_ + faulted_; }
  size_t waiting() const { return waiting_; }
  size_t faulted() const { return faulted_; }
  bool confirmed(PointIndex p) const { return state_[p] == State::kConfirmed; }

 private:
  enum class State : uint8_t { kIdle, kWaiting, kConfirmed, kFaulted };
  void SetState(PointIndex p, State s);

  const CityIndex* city_;
  ConfirmationSettings settings_;
  std::vector<State> state_;
  std::vector<uint8_t> commanded_;
  std::vector<TimePoint> since_;  // when the wait started
  std::vector<TimePoint> commanded_at_;
  std::vector<float> last_reading_;  // NaN when none
  size_t waiting_ = 0;
  size_t faulted_ = 0;
};

}  // namespace cityops::lighting
