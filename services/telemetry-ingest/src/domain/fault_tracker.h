#pragma once

// The fault / recovery / silence state machine of one asset. Pure: its whole
// state is AssetHealth, which the caller persists (restart-safe), and time
// comes from the readings, the reports and the `now` given.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cityops/common/clock.h"
#include "cityops/telemetry/v1/assets.pb.h"
#include "cityops/telemetry/v1/readings.pb.h"
#include "cityops/telemetry/v1/telemetry_ingest.pb.h"
#include "domain/normal_ranges.h"

namespace cityops::telemetry {

// Silence for this many reporting intervals is a SILENT fault.
inline constexpr int kSilentIntervals = 3;

struct ActiveFaultState {
  v1::FaultType type;
  v1::FaultSource source;
  common::TimePoint since;
  std::string detail;
  std::string metric;  // out-of-range faults only
  double value = 0;    // out-of-range faults only: the value seen
};

// Persisted per asset by the caller.
struct AssetHealth {
  std::string asset_id;
  v1::AssetKind kind;
  std::chrono::seconds reporting_interval{60};
  std::optional<common::TimePoint> last_seen;  // latest reading/report time received
  std::vector<ActiveFaultState> faults;        // at most one per (type, metric)

  // SILENT if a SILENT fault is active (even if never heard), UNKNOWN if never
  // seen, FAULTY if any other fault is active, else OK.
  v1::Health health() const;
  // The active fault of (type, metric), or null.
  const ActiveFaultState* FindFault(v1::FaultType type, std::string_view metric = {}) const;
};

struct FaultTransition {
  v1::FaultType type;
  v1::FaultSource source;
  v1::FaultState state;
  common::TimePoint since;  // when the fault began (also for a clearing)
  common::TimePoint at;     // when this transition happened
  std::string detail;
  std::string metric;
  double value = 0;
};

class FaultTracker {
 public:
  explicit FaultTracker(const NormalRanges& ranges);

  // A reading (already validated): updates last_seen (monotonic: an older
  // reading does not move it back), clears an active SILENT fault (recovery
  // from silence), raises READING_OUT_OF_RANGE (source OUT_OF_RANGE, metric,
  // value) when outside the range of (kind, metric) and none is active for that
  // metric, clears it when a reading of that metric, not older than the fault,
  // is back in range. Returns the transitions (usually none).
  std::vector<FaultTransition> OnReading(AssetHealth& health, const v1::Reading& reading) const;

  // A self-reported fault or its clearing; raising an already active type or
  // clearing an inactive one gives no transition (dedup). Hearing from the
  // device also updates last_seen and ends a silence. Types raised by ingest
  // itself (READING_OUT_OF_RANGE, SILENT) are ignored as reports.
  std::vector<FaultTransition> OnFaultReport(AssetHealth& health, const v1::FaultReport& report) const;

  // Silence: not heard (or never heard since `registered_at`) for 3 x
  // reporting_interval at `now` -> one SILENT raised (FAULT_TYPE_SILENT, source
  // SILENCE, since = last heard + 3 intervals); nothing more until it recovers.
  std::vector<FaultTransition> CheckSilence(AssetHealth& health, common::TimePoint now,
                                            common::TimePoint registered_at) const;

 private:
  NormalRanges ranges_;
};

}  // namespace cityops::telemetry
