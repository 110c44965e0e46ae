#pragma once

#include <functional>
#include <mutex>
#include <optional>
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
#include "crisis_store.h"
#include "domain/correlator.h"
#include "domain/crisis_book.h"
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

  // Crisis mode needs the playbooks, the city's districts and where crises are kept.
  IncidentDesk(common::PgPool& pool, IncidentStore& store, const Rules& rules, common::Clock& clock, EventHub& hub,
               Topics topics, std::chrono::hours applied_events_retention, prometheus::Registry& metrics,
               CrisisStore& crisis_store, const crisis::Playbooks& playbooks, const common::DistrictMap& districts);

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

  // Crisis mode. A command changes crises (and incidents) in one transaction
  // and returns the id of the crisis it is about.
  using CrisisCommand = std::function<absl::StatusOr<std::string>(CrisisBook&, Correlator&, Changes&, CrisisChanges&,
                                                                  common::TimePoint now)>;
  // `id` (may be empty) is read from storage first when not held.
  absl::StatusOr<v1::Crisis> ExecuteCrisis(const std::string& id, const CrisisCommand& command);
  // The actions the runner should apply or undo now.
  std::vector<ActionWork> CrisisActionsToRun();
  struct ActionResult {
    std::string crisis_id;
    std::string action_id;
    ActionOutcome outcome;
  };
  absl::Status RecordActionResults(const std::vector<ActionResult>& results);
  // A crisis as held (live ones), or read from storage.
  absl::StatusOr<v1::Crisis> GetCrisis(const std::string& id);
  const crisis::Playbooks& playbooks() const;

 private:
  struct Decoded;
  absl::Status Persist(pqxx::work& tx, const Changes& changes, common::TimePoint now,
                       std::vector<v1::IncidentEvent>& events);
  absl::Status LoadLocked();
  absl::Status PersistCrises(pqxx::work& tx, const CrisisChanges& changes, common::TimePoint now);
  // Crisis mode's part of a change: grouping and raising the touched incidents.
  void CrisisFollowUp(Changes& changes, CrisisChanges& crisis_changes, common::TimePoint now);
  void CountCrises();
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
  CrisisStore& crisis_store_;
  CrisisBook crises_;

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
  prometheus::Family<prometheus::Gauge>& crises_gauge_;
  prometheus::Family<prometheus::Counter>& crisis_changes_;
};

}  // namespace cityops::incidents
