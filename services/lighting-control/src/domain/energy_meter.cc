#include "domain/energy_meter.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"

namespace cityops::lighting {
namespace {

double Secs(TimePoint::duration d) { return std::chrono::duration<double>(d).count(); }

bool IsAmount(double x) { return std::isfinite(x) && x >= 0; }

}  // namespace

EnergyMeter::EnergyMeter(const CityIndex& city, ScheduleClock clock, EnergySettings settings)
    : city_(&city),
      clock_(std::move(clock)),
      settings_(settings),
      points_(city.point_count()),
      levels_(city.point_count() * kLevelsKept),
      district_baseline_w_(city.district_count(), 0.0),
      current_(city.district_count()) {
  for (DistrictSlot slot = 0; slot < city.district_count(); ++slot) {
    const CityIndex::District& district = city.district(slot);
    for (PointIndex p = district.point_begin; p < district.point_end; ++p) {
      district_baseline_w_[slot] += city.baseline_w(p);
    }
  }
}

const EnergyMeter::DaySpan& EnergyMeter::DayOf(TimePoint t) {
  if (t >= day_.start && t < day_.end) return day_;
  const CivilDate date = LocalDate(t, clock_.rule());
  day_.day = DaysFromCivil(date);
  day_.start = LocalToUtc(date, 0, clock_.rule());
  day_.end = LocalToUtc(AddDays(date, 1), 0, clock_.rule());
  assert(day_.start <= t && t < day_.end);
  return day_;
}

EnergyMeter::Bucket& EnergyMeter::BucketOf(DistrictSlot slot, int64_t day) {
  CurrentBucket& current = current_[slot];
  if (current.bucket == nullptr || current.day != day) {
    current.bucket = &buckets_[Key(slot, day)];
    current.day = day;
  }
  Bucket& bucket = *current.bucket;
  if (!bucket.changed) {
    bucket.changed = true;
    changed_.push_back(Key(slot, day));
  }
  return bucket;
}

void EnergyMeter::Add(PointIndex p, TimePoint from, TimePoint to, bool measured, double watts) {
  const DistrictSlot slot = city_->district_slot_of(p);
  while (from < to) {
    const DaySpan& day = DayOf(from);
    const TimePoint end = std::min(to, day.end);
    Energy& e = BucketOf(slot, day.day).energy;
    const double seconds = Secs(end - from);
    if (measured) {
      e.measured_wh += watts * seconds / 3600.0;
      e.measured_s += seconds;
    } else {
      e.estimated_wh += EstimateWh(LevelsOf(p), city_->rated_w(p), from, end);
      e.estimated_s += seconds;
    }
    from = end;
  }
}

bool EnergyMeter::OnPower(PointIndex p, TimePoint at, double watts) {
  assert(p < points_.size());
  if (!IsAmount(watts)) return false;
  PointState& point = points_[p];
  if (point.started) {
    if (at <= point.last_at) return false;
    Add(p, point.last_at, at, at - point.last_at <= settings_.gap_limit, point.last_watts);
  }
  point.started = true;
  point.last_at = at;
  point.last_watts = watts;
  return true;
}

void EnergyMeter::OnCommanded(PointIndex p, TimePoint at, uint8_t level) {
  assert(p < points_.size());
  PointState& point = points_[p];
  LevelChange* kept = levels_.data() + p * kLevelsKept;
  size_t n = point.levels;
  const auto erase_front = [&](size_t count) {
    std::copy(kept + count, kept + n, kept);
    n -= count;
  };
  // Of the changes at or before the last reading, only the one in force then
  // is still needed.
  if (point.started) {
    size_t superseded = 0;
    while (superseded + 1 < n && kept[superseded + 1].at <= point.last_at) ++superseded;
    erase_front(superseded);
    if (at <= point.last_at && n > 0 && kept[0].at <= point.last_at) {
      // At or before the last reading too: it replaces the change in force
      // then when it is later (or the same instant), else it was superseded.
      if (at >= kept[0].at) kept[0] = {at, level};
      point.levels = static_cast<uint8_t>(n);
      return;
    }
  }
  size_t i = std::lower_bound(kept, kept + n, at, [](const LevelChange& c, TimePoint t) { return c.at < t; }) - kept;
  if (i < n && kept[i].at == at) {
    kept[i].level = level;
  } else if (n < kLevelsKept) {
    std::copy_backward(kept + i, kept + n, kept + n + 1);
    kept[i] = {at, level};
    ++n;
  } else {
    // Full (a point silent for long): the two oldest, counting the new one,
    // become one change at the first's instant with the second's level.
    ++levels_dropped_;
    if (i == 0) {
      kept[0].at = at;
    } else if (i == 1) {
      kept[0].level = level;
    } else {
      kept[1].at = kept[0].at;
      erase_front(1);
      --i;
      std::copy_backward(kept + i, kept + n, kept + n + 1);
      kept[i] = {at, level};
      ++n;
    }
  }
  point.levels = static_cast<uint8_t>(n);
}

DistrictDayEnergy EnergyMeter::Row(DistrictSlot slot, const CivilDate& day, const Energy& energy) const {
  const CityIndex::District& district = city_->district(slot);
  DistrictDayEnergy row;
  row.district = district.number;
  row.day = day;
  row.points = district.point_end - district.point_begin;
  row.energy = energy;
  const double dark_h = std::chrono::duration<double, std::ratio<3600>>(LocalDayOf(day, clock_).dark).count();
  row.baseline_wh = district_baseline_w_[slot] * dark_h;
  return row;
}

std::vector<DistrictDayEnergy> EnergyMeter::TakeChanged() {
  std::vector<DistrictDayEnergy> out;
  out.reserve(changed_.size());
  for (const uint64_t key : changed_) {
    Bucket& bucket = buckets_.at(key);
    bucket.changed = false;
    const auto slot = static_cast<DistrictSlot>(key >> 32);
    const int64_t day = static_cast<int32_t>(static_cast<uint32_t>(key));
    out.push_back(Row(slot, CivilFromDays(day), bucket.energy));
  }
  changed_.clear();
  return out;
}

absl::Status EnergyMeter::RestorePoint(PointIndex p, TimePoint last_at, double last_watts) {
  assert(p < points_.size());
  if (!IsAmount(last_watts)) {
    return absl::InvalidArgumentError(
        absl::StrCat("last reading of light point ", city_->point_id(p), ": watts negative or not a number"));
  }
  PointState& point = points_[p];
  point.started = true;
  point.last_at = last_at;
  point.last_watts = last_watts;
  return absl::OkStatus();
}

absl::Status EnergyMeter::RestoreBucket(const DistrictDayEnergy& bucket) {
  const std::optional<DistrictSlot> slot = city_->FindDistrict(bucket.district);
  if (!slot) return absl::NotFoundError(absl::StrCat("energy bucket: unknown district ", bucket.district));
  if (!IsValidDate(bucket.day)) return absl::InvalidArgumentError("energy bucket: invalid day");
  const Energy& e = bucket.energy;
  if (!IsAmount(e.measured_wh) || !IsAmount(e.estimated_wh) || !IsAmount(e.measured_s) || !IsAmount(e.estimated_s)) {
    return absl::InvalidArgumentError(absl::StrCat("energy bucket of district ", bucket.district, " on ",
                                                   FormatDate(bucket.day), ": negative or not a number"));
  }
  buckets_[Key(*slot, DaysFromCivil(bucket.day))].energy = e;
  return absl::OkStatus();
}

DistrictDayEnergy EnergyMeter::Report(int district, const CivilDate& day) const {
  const std::optional<DistrictSlot> slot = city_->FindDistrict(district);
  if (!slot) {
    DistrictDayEnergy row;
    row.district = district;
    row.day = day;
    return row;
  }
  const auto it = buckets_.find(Key(*slot, DaysFromCivil(day)));
  return Row(*slot, day, it == buckets_.end() ? Energy{} : it->second.energy);
}

std::optional<PowerReading> EnergyMeter::LastOf(PointIndex p) const {
  assert(p < points_.size());
  const PointState& point = points_[p];
  if (!point.started) return std::nullopt;
  return PowerReading{point.last_at, point.last_watts};
}

}  // namespace cityops::lighting
