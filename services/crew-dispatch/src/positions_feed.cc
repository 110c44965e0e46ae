#include "positions_feed.h"

#include <map>

#include <spdlog/spdlog.h>

#include "cityops/common/proto_time.h"
#include "cityops/telemetry/v1/readings.pb.h"

namespace cityops::dispatch {

namespace tv1 = cityops::telemetry::v1;

PositionsFeed::PositionsFeed(DispatchDesk& desk, std::string readings_topic, Area area, prometheus::Registry& metrics)
    : desk_(desk),
      readings_topic_(std::move(readings_topic)),
      area_(area),
      moved_(prometheus::BuildCounter()
                 .Name("cityops_crew_dispatch_positions_applied_total")
                 .Help("Crews moved by their vehicle's position readings")
                 .Register(metrics)
                 .Add({})),
      ignored_(prometheus::BuildCounter()
                   .Name("cityops_crew_dispatch_positions_ignored_total")
                   .Help("Position readings of crews' vehicles not used, by reason")
                   .Register(metrics)) {}

absl::StatusOr<size_t> PositionsFeed::Apply(const std::vector<common::ConsumedMessage>& messages) {
  const auto vehicles = desk_.Vehicles();
  std::map<std::string, PositionFix> latest;  // by vehicle
  for (const auto& m : messages) {
    if (m.topic != readings_topic_ || vehicles->count(m.key) == 0) continue;
    tv1::TelemetryRecord record;
    if (!record.ParseFromString(m.value)) {
      ignored_.Add({{"reason", "undecodable"}}).Increment();
      spdlog::warn("undecodable telemetry record {}[{}]@{}", m.topic, m.partition, m.offset);
      continue;
    }
    if (!record.has_reading() || record.reading().metric() != "position") continue;
    const tv1::Reading& reading = record.reading();
    const Point where{reading.location().lat(), reading.location().lon()};
    if (!reading.has_location() || !area_.Contains(where)) {
      ignored_.Add({{"reason", "outside_the_city"}}).Increment();
      continue;
    }
    PositionFix fix{reading.asset_id(), where, common::FromProtoTime(reading.time())};
    auto [it, added] = latest.emplace(fix.vehicle_id, fix);
    if (!added && it->second.at < fix.at) it->second = fix;
  }
  if (latest.empty()) return size_t{0};
  std::vector<PositionFix> fixes;
  fixes.reserve(latest.size());
  for (auto& [vehicle, fix] : latest) fixes.push_back(std::move(fix));
  auto moved = desk_.ApplyPositions(fixes);
  if (!moved.ok()) return moved.status();
  moved_.Increment(static_cast<double>(*moved));
  return *moved;
}

}  // namespace cityops::dispatch
