#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <unordered_map>
#include <vector>

#include "absl/status/status.h"
#include "domain/city_index.h"
#include "domain/civil_time.h"
#include "domain/energy.h"
#include "domain/schedule.h"

// The energy account kept as readings arrive, one by one, without keeping
// them: per light point its last `power_w` reading, per (district, local day)
// the energy accumulated so far. It integrates as IntegratePoint does (by
// steps; an interval between two readings of a point is measured when it is at
// most the gap limit long, estimated from the commanded levels as a whole when
// longer), so a day fed reading by reading adds up to what IntegratePoint
// gives over that day when the day's first reading is at or before its start
// and a reading at or after its end has arrived. The difference is at the
// edges of what is known: a point's first reading only starts it (nothing is
// estimated before it), and the time after a point's last reading is counted
// only when the next reading comes.
//
// Commanded levels, for the estimates: per point at most kLevelsKept changes,
// in a fixed slot of a dense array (no allocation per reading or per
// command). Of the changes at or before the point's last reading only the one
// in force then is kept (a later reading can never reach back before it: a
// reading not newer than the last is refused); every later change is kept. A
// device reporting every few minutes needs two or three of them; the rest are
// for a device gone silent: 12 changes cover two nights and more of a profile
// with four steps a night (sunset, dimming, undimming, sunrise) plus a few
// overrides. When a silent point has more, the oldest is dropped and the next
// one stands in for it from its instant (counted in levels_dropped()).
//
// A command applies to intervals integrated after it is known: an estimate
// already added is not revised by a command that arrives later for an instant
// inside it.
//
// Saving and restarting: TakeChanged gives the buckets to write (whole
// totals, to upsert); on restart RestorePoint and RestoreBucket put back each
// point's last reading and every bucket from the day of the earliest last
// reading on (a bucket not restored would start again from zero, and its next
// save would overwrite the stored total). Commanded levels are not saved:
// after a restart OnCommanded should be given, for each point, the level in
// force at its last reading (the planner can tell) and later changes.
//
// Not thread-safe: one owner calls it.
namespace cityops::lighting {

class EnergyMeter {
 public:
  static constexpr size_t kLevelsKept = 12;

  // The city must outlive the meter.
  EnergyMeter(const CityIndex& city, ScheduleClock clock, EnergySettings settings);

  // A power reading of point p taken at `at`. False (and nothing changes)
  // when it is not newer than the point's last reading (a replay, or late),
  // or when the watts are negative or not a number. Otherwise the interval
  // since the point's last reading is added to the (district, local day)
  // buckets it spans, split at local midnights: measured (the last reading's
  // watts held over it) when at most gap_limit long, estimated (EstimateWh
  // over the commanded levels kept for the point) when longer. The first
  // reading of a point only starts it.
  bool OnPower(PointIndex p, TimePoint at, double watts);
  // The level commanded to p from `at` on (0..100). The same instant again
  // replaces the level (a replayed command changes nothing).
  void OnCommanded(PointIndex p, TimePoint at, uint8_t level);

  // The buckets changed since the last call (each once, with their whole
  // totals, points and baseline as Report gives them); then forgets that they
  // changed.
  std::vector<DistrictDayEnergy> TakeChanged();

  // Restart: a point's last reading, and a bucket as stored (its energy
  // replaces what is held; points and baseline are recomputed by Report).
  // INVALID_ARGUMENT (and nothing changes) for watts that are negative or
  // not a number.
  absl::Status RestorePoint(PointIndex p, TimePoint last_at, double last_watts);
  // NOT_FOUND for a district the city does not have; INVALID_ARGUMENT for an
  // invalid date or energy that is negative or not a number.
  absl::Status RestoreBucket(const DistrictDayEnergy& bucket);

  // What is held for a district (its number) and local day: the energy, the
  // district's point count, and every point's baseline watts over the dark
  // time of the day (LocalDayOf). Zeros for a district the city does not have.
  DistrictDayEnergy Report(int district, const CivilDate& day) const;
  // The last reading of a point, if any (to save).
  std::optional<PowerReading> LastOf(PointIndex p) const;
  // The commanded levels kept for a point, oldest first.
  std::span<const LevelChange> LevelsOf(PointIndex p) const {
    return {levels_.data() + p * kLevelsKept, points_[p].levels};
  }
  // Commanded changes dropped because a silent point had too many.
  uint64_t levels_dropped() const { return levels_dropped_; }

 private:
  struct PointState {
    TimePoint last_at{};
    double last_watts = 0;
    bool started = false;
    uint8_t levels = 0;  // changes kept in levels_[p * kLevelsKept, + levels)
  };
  struct Bucket {
    Energy energy;
    bool changed = false;
  };
  // A local day: [start, end) in UTC, and its number (days since 1970-01-01).
  struct DaySpan {
    int64_t day = 0;
    TimePoint start{};
    TimePoint end{};
  };
  struct CurrentBucket {
    int64_t day = 0;
    Bucket* bucket = nullptr;
  };

  static uint64_t Key(DistrictSlot slot, int64_t day) {
    return (static_cast<uint64_t>(slot) << 32) | static_cast<uint32_t>(static_cast<int32_t>(day));
  }
  const DaySpan& DayOf(TimePoint t);
  Bucket& BucketOf(DistrictSlot slot, int64_t day);
  // Adds [from, to) of point p: measured at `watts`, or estimated.
  void Add(PointIndex p, TimePoint from, TimePoint to, bool measured, double watts);
  DistrictDayEnergy Row(DistrictSlot slot, const CivilDate& day, const Energy& energy) const;

  const CityIndex* city_;
  ScheduleClock clock_;
  EnergySettings settings_;
  std::vector<PointState> points_;
  std::vector<LevelChange> levels_;               // kLevelsKept per point
  std::vector<double> district_baseline_w_;       // by slot: the sum of its points' baseline watts
  std::unordered_map<uint64_t, Bucket> buckets_;  // by Key(slot, day); nodes never erased
  std::vector<CurrentBucket> current_;            // by slot: the bucket last added to
  std::vector<uint64_t> changed_;                 // keys of buckets changed since TakeChanged
  DaySpan day_;                                   // the local day last looked up
  uint64_t levels_dropped_ = 0;
};

}  // namespace cityops::lighting
