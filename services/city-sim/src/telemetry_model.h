#pragma once

// What each kind of asset reports: plausible values, inside telemetry-ingest's
// normal ranges (services/telemetry-ingest/config/normal_ranges.json), so that
// a healthy simulated city raises no out-of-range fault.

#include <optional>
#include <string_view>
#include <vector>

#include "city.h"
#include "cityops/common/clock.h"
#include "random.h"

namespace cityops::sim {

struct MetricValue {
  std::string_view metric;
  double value = 0;
};

// The street lights' dimming level at a time: off by day, full in the evening
// and early morning, half in the dead of night. Local time is taken as UTC+1
// (Central European Time; summer time and real sunset and sunrise come with
// lighting control).
double LightLevelPct(common::TimePoint now);

// Appends to `out` the readings `asset` reports at `now`. A light point
// reports `commanded_level` when lighting control commanded one, else the
// built-in LightLevelPct.
void SampleReadings(const CityAsset& asset, common::TimePoint now, SimRng& rng, std::vector<MetricValue>& out,
                    std::optional<double> commanded_level = std::nullopt);

}  // namespace cityops::sim
