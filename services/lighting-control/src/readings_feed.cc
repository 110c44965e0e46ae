#include "readings_feed.h"

#include <spdlog/spdlog.h>

#include "cityops/common/proto_time.h"
#include "cityops/telemetry/v1/readings.pb.h"

namespace cityops::lighting {

namespace tv1 = cityops::telemetry::v1;

ReadingsFeed::ReadingsFeed(LightingDesk& desk, std::string readings_topic, prometheus::Registry& metrics)
    : desk_(desk),
      readings_topic_(std::move(readings_topic)),
      undecodable_(prometheus::BuildCounter()
                       .Name("cityops_lighting_control_readings_undecodable_total")
                       .Help("Light points' telemetry records that did not decode (skipped)")
                       .Register(metrics)
                       .Add({})) {}

absl::StatusOr<size_t> ReadingsFeed::Apply(const std::vector<common::ConsumedMessage>& messages) {
  const auto points = desk_.PointIds();
  if (!points) return size_t{0};
  std::vector<PointReading> readings;
  for (const auto& m : messages) {
    if (m.topic != readings_topic_ || points->count(m.key) == 0) continue;
    tv1::TelemetryRecord record;
    if (!record.ParseFromString(m.value)) {
      undecodable_.Increment();
      spdlog::warn("undecodable telemetry record {}[{}]@{}", m.topic, m.partition, m.offset);
      continue;
    }
    if (!record.has_reading()) continue;
    const tv1::Reading& r = record.reading();
    const bool level = r.metric() == "level_pct";
    if (!level && r.metric() != "power_w") continue;
    readings.push_back({r.asset_id(), level, r.value(), common::FromProtoTime(r.time())});
  }
  if (readings.empty()) return size_t{0};
  return desk_.ApplyReadings(readings);
}

}  // namespace cityops::lighting
