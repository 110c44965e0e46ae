#include "fault_publisher.h"

#include "asset_codec.h"
#include "cityops/common/outbox.h"
#include "cityops/common/topic_names.h"

namespace cityops::telemetry {

FaultPublisher::FaultPublisher(prometheus::Registry& metrics)
    : faults_(prometheus::BuildCounter()
                  .Name("cityops_telemetry_ingest_faults_total")
                  .Help("Fault transitions published, by state (raised, cleared) and fault type")
                  .Register(metrics)) {}

void FaultPublisher::Enqueue(pqxx::work& tx, const std::vector<FaultTransition>& transitions,
                             const AssetNode& node) const {
  for (const auto& t : transitions) {
    common::Outbox::Enqueue(tx, topics::kTelemetryFaults, node.id, MakeFaultEvent(t, node).SerializeAsString());
  }
}

void FaultPublisher::Count(const std::vector<FaultTransition>& transitions) {
  for (const auto& t : transitions) {
    faults_
        .Add(
            {{"state", t.state == v1::FAULT_STATE_RAISED ? "raised" : "cleared"}, {"type", v1::FaultType_Name(t.type)}})
        .Increment();
  }
}

}  // namespace cityops::telemetry
