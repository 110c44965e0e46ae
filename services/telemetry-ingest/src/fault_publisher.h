#pragma once

#include <vector>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/registry.h>
#include <pqxx/pqxx>

#include "domain/fault_tracker.h"
#include "domain/topology.h"

namespace cityops::telemetry {

// Turns fault transitions into FaultEvents in the outbox of the caller's
// transaction, and counts them (cityops_telemetry_ingest_faults_total{state,type}).
class FaultPublisher {
 public:
  explicit FaultPublisher(prometheus::Registry& metrics);
  // Counts only once the transaction committed: call Count() after commit.
  void Enqueue(pqxx::work& tx, const std::vector<FaultTransition>& transitions, const AssetNode& node) const;
  void Count(const std::vector<FaultTransition>& transitions);

 private:
  prometheus::Family<prometheus::Counter>& faults_;
};

}  // namespace cityops::telemetry
