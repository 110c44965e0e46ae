#pragma once

#include <string>
#include <vector>

#include <prometheus/counter.h>
#include <prometheus/registry.h>

#include "cityops/common/consumer_loop.h"
#include "dispatch_desk.h"

namespace cityops::dispatch {

// The area where crews may be (positions elsewhere are ignored).
struct Area {
  double min_lat = 47.20, max_lat = 47.45, min_lon = 4.85, max_lon = 5.25;
  bool Contains(const Point& p) const {
    return p.lat >= min_lat && p.lat <= max_lat && p.lon >= min_lon && p.lon <= max_lon;
  }
};

// Crews' positions from their vehicles' telemetry: the "position" readings
// (cityops.telemetry.readings.v1, keyed by asset id) of the vehicles that
// crews drive. Only messages keyed by such a vehicle are decoded; of each
// vehicle's fixes in a batch, the latest moves its crew (an older fix than
// the crew's own is ignored, so a replay changes nothing). Fixes are not
// events to apply once: the newest position wins, which is idempotent.
class PositionsFeed final : public common::BatchHandler {
 public:
  PositionsFeed(DispatchDesk& desk, std::string readings_topic, Area area, prometheus::Registry& metrics);

  absl::StatusOr<size_t> Apply(const std::vector<common::ConsumedMessage>& messages) override;

 private:
  DispatchDesk& desk_;
  std::string readings_topic_;
  Area area_;
  prometheus::Counter& moved_;
  prometheus::Family<prometheus::Counter>& ignored_;
};

}  // namespace cityops::dispatch
