#include "domain/fault_tracker.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "domain/validation.h"

namespace cityops::telemetry {
namespace {

bool Matches(const ActiveFaultState& fault, v1::FaultType type, std::string_view metric) {
  return fault.type == type && fault.metric == metric;
}

// Removes the active fault of (type, metric); returns it if there was one.
std::optional<ActiveFaultState> TakeFault(AssetHealth& health, v1::FaultType type, std::string_view metric) {
  const auto it = std::find_if(health.faults.begin(), health.faults.end(),
                               [&](const ActiveFaultState& f) { return Matches(f, type, metric); });
  if (it == health.faults.end()) return std::nullopt;
  ActiveFaultState fault = std::move(*it);
  health.faults.erase(it);
  return fault;
}

// Hearing from the device at `time`: moves last_seen forward and ends a silence.
void Heard(AssetHealth& health, common::TimePoint time, std::vector<FaultTransition>& out) {
  if (!health.last_seen || *health.last_seen < time) health.last_seen = time;
  if (std::optional<ActiveFaultState> silent = TakeFault(health, v1::FAULT_TYPE_SILENT, {})) {
    out.push_back({v1::FAULT_TYPE_SILENT, v1::FAULT_SOURCE_SILENCE, v1::FAULT_STATE_CLEARED, silent->since,
                   std::max(time, silent->since), "heard again", "", 0});
  }
}

std::string OutOfRangeDetail(absl::string_view metric, double value, const Range& range) {
  return absl::StrCat(metric, " = ", value, " outside [", range.min, ", ", range.max, "]");
}

}  // namespace

v1::Health AssetHealth::health() const {
  if (FindFault(v1::FAULT_TYPE_SILENT)) return v1::HEALTH_SILENT;
  if (!last_seen) return v1::HEALTH_UNKNOWN;
  if (!faults.empty()) return v1::HEALTH_FAULTY;
  return v1::HEALTH_OK;
}

const ActiveFaultState* AssetHealth::FindFault(v1::FaultType type, std::string_view metric) const {
  for (const ActiveFaultState& fault : faults) {
    if (Matches(fault, type, metric)) return &fault;
  }
  return nullptr;
}

FaultTracker::FaultTracker(const NormalRanges& ranges) : ranges_(ranges) {}

std::vector<FaultTransition> FaultTracker::OnReading(AssetHealth& health, const v1::Reading& reading) const {
  std::vector<FaultTransition> out;
  const std::optional<common::TimePoint> time = ToTimePoint(reading.time());
  if (!reading.has_time() || !time) return out;  // validation rejects these
  Heard(health, *time, out);

  const std::optional<Range> range = ranges_.Find(health.kind, reading.metric());
  const double value = reading.value();
  if (!range || !std::isfinite(value)) return out;
  const ActiveFaultState* active = health.FindFault(v1::FAULT_TYPE_READING_OUT_OF_RANGE, reading.metric());
  if (!range->Contains(value)) {
    if (active) return out;  // still faulty: no repeat
    ActiveFaultState fault{v1::FAULT_TYPE_READING_OUT_OF_RANGE,
                           v1::FAULT_SOURCE_OUT_OF_RANGE,
                           *time,
                           OutOfRangeDetail(reading.metric(), value, *range),
                           reading.metric(),
                           value};
    out.push_back(
        {fault.type, fault.source, v1::FAULT_STATE_RAISED, fault.since, *time, fault.detail, fault.metric, value});
    health.faults.push_back(std::move(fault));
  } else if (active && *time >= active->since) {
    // A reading older than the fault cannot tell that it is over.
    ActiveFaultState fault = *TakeFault(health, v1::FAULT_TYPE_READING_OUT_OF_RANGE, reading.metric());
    out.push_back({fault.type, fault.source, v1::FAULT_STATE_CLEARED, fault.since, *time,
                   absl::StrCat(reading.metric(), " = ", value, " back in range"), fault.metric, value});
  }
  return out;
}

std::vector<FaultTransition> FaultTracker::OnFaultReport(AssetHealth& health, const v1::FaultReport& report) const {
  std::vector<FaultTransition> out;
  const std::optional<common::TimePoint> time = ToTimePoint(report.time());
  if (!report.has_time() || !time) return out;  // validation rejects these
  Heard(health, *time, out);

  const v1::FaultType type = report.type();
  if (type == v1::FAULT_TYPE_UNSPECIFIED || type == v1::FAULT_TYPE_READING_OUT_OF_RANGE ||
      type == v1::FAULT_TYPE_SILENT || !v1::FaultType_IsValid(type)) {
    return out;
  }
  if (report.cleared()) {
    if (std::optional<ActiveFaultState> fault = TakeFault(health, type, {})) {
      out.push_back({type, fault->source, v1::FAULT_STATE_CLEARED, fault->since, std::max(*time, fault->since),
                     report.detail(), "", 0});
    }
  } else if (!health.FindFault(type)) {
    health.faults.push_back({type, v1::FAULT_SOURCE_SELF_REPORTED, *time, report.detail(), "", 0});
    out.push_back({type, v1::FAULT_SOURCE_SELF_REPORTED, v1::FAULT_STATE_RAISED, *time, *time, report.detail(), "", 0});
  }
  return out;
}

std::vector<FaultTransition> FaultTracker::CheckSilence(AssetHealth& health, common::TimePoint now,
                                                        common::TimePoint registered_at) const {
  std::vector<FaultTransition> out;
  if (health.reporting_interval <= std::chrono::seconds::zero()) return out;
  if (health.FindFault(v1::FAULT_TYPE_SILENT)) return out;  // already silent
  const common::TimePoint heard = health.last_seen.value_or(registered_at);
  const auto limit = kSilentIntervals * health.reporting_interval;
  if (now - heard < limit) return out;
  const common::TimePoint since = heard + limit;
  std::string detail = health.last_seen ? absl::StrCat("not heard for ", kSilentIntervals, " x ",
                                                       health.reporting_interval.count(), " s")
                                        : absl::StrCat("never heard in ", kSilentIntervals, " x ",
                                                       health.reporting_interval.count(), " s since registration");
  health.faults.push_back({v1::FAULT_TYPE_SILENT, v1::FAULT_SOURCE_SILENCE, since, detail, "", 0});
  out.push_back(
      {v1::FAULT_TYPE_SILENT, v1::FAULT_SOURCE_SILENCE, v1::FAULT_STATE_RAISED, since, now, std::move(detail), "", 0});
  return out;
}

}  // namespace cityops::telemetry
