#pragma once

#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "absl/status/statusor.h"
#include "cityops/common/clock.h"
#include "cityops/common/consumer_loop.h"
#include "cityops/common/kafka.h"
#include "cityops/common/pg.h"
#include "domain/correlator.h"
#include "event_hub.h"
#include "incident_store.h"

namespace cityops::incidents {

// Where correlation's state changes: the one writer of incidents. It holds
// the correlation engine and the topology, and runs every change (a batch of
// input events, the clock's tick, an operator's command) under one lock and
// in one database transaction, with the incident events put in the outbox of
// that transaction. A failed transaction reloads the state from storage, so
// memory never holds what the database does not.
class IncidentDesk final : public common::BatchHandler {
 public:
  struct Topics {  // full names, with the prefix
    std::string faults;
    std::string requests;
    std::string assets;
    std::string assignments;  // crew dispatch's: whether a crew is working on an incident
  };

  IncidentDesk(common::PgPool& pool, IncidentStore& store, const Rules& rules, common::Clock& clock, EventHub& hub,
               Topics topics, std::chrono::hours applied_events_retention, prometheus::Registry& metrics);

  // Topology and the incidents that can still change, from storage.
  absl::Status Load();

  // Applies one batch of consumed messages; a message that cannot be used is
  // set aside (dead_letters) and counted. Returns how many inputs were applied
  // (not counting replays and messages set aside).
  absl::StatusOr<size_t> Apply(const std::vector<common::ConsumedMessage>& messages) override;

  // Resolves what has been quiet long enough.
  absl::Status Tick() override;
  // Forgets applied event ids older than the retention.
  void Housekeeping() override;

  using Command = std::function<absl::Status(Correlator&, Changes&, common::TimePoint now)>;
  // Runs an operator's command on one incident (read from storage when not
  // held) and returns the incident after it.
  absl::StatusOr<v1::Incident> Execute(const std::string& id, const Command& command);

  size_t topology_size();

 private:
  struct Decoded;
  absl::Status Persist(pqxx::work& tx, const Changes& changes, common::TimePoint now,
                       std::vector<v1::IncidentEvent>& events);
  absl::Status LoadLocked();
  void AfterCommit(const std::vector<v1::IncidentEvent>& events, common::TimePoint now);
  void CountOutcome(const Outcome& outcome);

  common::PgPool& pool_;
  IncidentStore& store_;
  const Rules& rules_;
  common::Clock& clock_;
  EventHub& hub_;
  Topics topics_;
  std::chrono::hours applied_events_retention_;

  std::mutex mutex_;
  Topology topology_;
  Correlator correlator_;

  prometheus::Family<prometheus::Counter>& faults_in_;
  prometheus::Counter& requests_in_;
  prometheus::Counter& asset_events_in_;
  prometheus::Family<prometheus::Counter>& handled_;
  prometheus::Family<prometheus::Counter>& opened_;
  prometheus::Family<prometheus::Gauge>& noise_reduction_;
  prometheus::Family<prometheus::Counter>& set_aside_;
  prometheus::Counter& replayed_;
  prometheus::Counter& failures_;
  prometheus::Gauge& open_incidents_;
  prometheus::Histogram& fault_to_incident_;
  prometheus::Histogram& apply_seconds_;
};

}  // namespace cityops::incidents
