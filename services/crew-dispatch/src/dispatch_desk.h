#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "absl/status/statusor.h"
#include "cityops/common/broadcast.h"
#include "cityops/common/clock.h"
#include "cityops/common/consumer_loop.h"
#include "cityops/common/pg.h"
#include "cityops/dispatch/v1/dispatch.pb.h"
#include "dispatch_store.h"
#include "domain/dispatcher.h"

namespace cityops::dispatch {

// A vehicle's position at a time (from its telemetry).
struct PositionFix {
  std::string vehicle_id;
  Point position;
  common::TimePoint at;
};

// Committed assignment events, to this process's watch streams.
using AssignmentFeed = common::Broadcast<v1::AssignmentEvent>;

// The one writer of crews and work orders: the dispatcher, under one lock,
// each change (incident events, crews' answers, a supervisor's choice, the
// clock) in one transaction with its events in the outbox; a failed
// transaction reloads the state from storage.
class DispatchDesk final : public common::BatchHandler {
 public:
  DispatchDesk(common::PgPool& pool, DispatchStore& store, const DispatchRules& rules, const EtaEstimator& eta,
               common::Clock& clock, AssignmentFeed& feed, std::string incidents_topic,
               std::chrono::hours applied_events_retention, prometheus::Registry& metrics);

  absl::Status Load();

  absl::StatusOr<size_t> Apply(const std::vector<common::ConsumedMessage>& messages) override;
  absl::Status Tick() override;
  void Housekeeping() override;

  // Moves the crews driving these vehicles (one transaction); returns how
  // many moved (a fix older than the crew's position moves nothing).
  absl::StatusOr<size_t> ApplyPositions(const std::vector<PositionFix>& fixes);
  // The vehicles crews drive (a snapshot, renewed when crews change).
  std::shared_ptr<const std::unordered_set<std::string>> Vehicles();

  using Command = std::function<absl::Status(Dispatcher&, Decisions&, common::TimePoint now)>;
  // Runs a command; returns OK or its error (nothing changed then).
  absl::Status Execute(const Command& command);

  // A crisis holds a crew, or lets it go (Dispatcher::Stage, Unstage), counted
  // and logged when something changed; answers the crew as it is after.
  absl::StatusOr<v1::Crew> StageCrew(const std::string& crew_id, const CrewStaging& staging, bool call_in);
  absl::StatusOr<v1::Crew> ReleaseCrew(const std::string& crew_id, const std::string& crisis_id,
                                       const std::string& actor);

  // Copies, read under the lock.
  std::optional<v1::Crew> GetCrew(const std::string& id);
  std::vector<v1::Crew> ListCrews(const std::vector<v1::CrewStatus>& statuses, const std::string& skill);
  std::optional<v1::WorkOrder> GetActiveOrder(const std::string& id);

 private:
  absl::Status Persist(pqxx::work& tx, const Decisions& decisions, common::TimePoint now,
                       std::vector<v1::AssignmentEvent>& events);
  void AfterCommit(const Decisions& decisions, const std::vector<v1::AssignmentEvent>& events);
  // Persist in one transaction, then AfterCommit; on failure the state is reloaded.
  absl::Status Commit(const Decisions& decisions, common::TimePoint now);
  absl::Status LoadLocked();
  // Queue length by priority and crews by status.
  void UpdateGauges();
  void ReloadAfterFailure();
  void RenewVehicles();

  common::PgPool& pool_;
  DispatchStore& store_;
  common::Clock& clock_;
  AssignmentFeed& feed_;
  std::string incidents_topic_;
  std::chrono::hours applied_events_retention_;

  std::mutex mutex_;
  Dispatcher dispatcher_;
  std::shared_ptr<const std::unordered_set<std::string>> vehicles_;

  prometheus::Histogram& incident_to_assigned_;
  prometheus::Family<prometheus::Counter>& changes_;
  prometheus::Family<prometheus::Gauge>& queue_;
  prometheus::Family<prometheus::Gauge>& crews_;
  prometheus::Counter& breaches_;
  prometheus::Family<prometheus::Counter>& staging_;
  prometheus::Family<prometheus::Counter>& set_aside_;
  prometheus::Counter& replayed_;
  prometheus::Counter& failures_;
};

}  // namespace cityops::dispatch
