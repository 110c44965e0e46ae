#pragma once

#include <string>
#include <vector>

#include <prometheus/counter.h>
#include <prometheus/registry.h>

#include "cityops/common/consumer_loop.h"
#include "lighting_desk.h"

namespace cityops::lighting {

// The light points' own readings (cityops.telemetry.readings.v1, keyed by
// asset id): `level_pct` confirms a commanded level, `power_w` feeds the energy
// meter. Only messages keyed by a light point are decoded. Replays change
// nothing: a level reading only confirms, and the meter takes a point's
// readings only when newer than its last.
class ReadingsFeed final : public common::BatchHandler {
 public:
  ReadingsFeed(LightingDesk& desk, std::string readings_topic, prometheus::Registry& metrics);

  absl::StatusOr<size_t> Apply(const std::vector<common::ConsumedMessage>& messages) override;

 private:
  LightingDesk& desk_;
  std::string readings_topic_;
  prometheus::Counter& undecodable_;
};

}  // namespace cityops::lighting
