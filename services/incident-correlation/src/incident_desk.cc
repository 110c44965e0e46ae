#include "incident_desk.h"

#include <spdlog/spdlog.h>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "cityops/common/inbox.h"
#include "cityops/common/outbox.h"
#include "cityops/common/proto_time.h"
#include "cityops/common/topic_names.h"
#include "cityops/dispatch/v1/dispatch.pb.h"

namespace cityops::incidents {
namespace {

namespace tv1 = cityops::telemetry::v1;
using common::FromProtoTime;
using common::ToProtoTime;

constexpr const char* kProducer = "incident-correlation";

const char* RuleLabel(v1::Rule rule) {
  switch (rule) {
    case v1::RULE_DEDUPLICATION:
      return "deduplication";
    case v1::RULE_TOPOLOGY:
      return "topology";
    case v1::RULE_RESIDENT_CALL:
      return "resident_call";
    case v1::RULE_CRISIS:
      return "crisis";
    default:
      return "none";
  }
}

// Why a fault event cannot be used, or empty.
std::string FaultProblem(const tv1::FaultEvent& e) {
  if (e.meta().event_id().empty()) return "no event id";
  if (e.asset_id().empty()) return "no asset id";
  if (e.type() == tv1::FAULT_TYPE_UNSPECIFIED || !tv1::FaultType_IsValid(e.type())) return "unknown fault type";
  if (e.state() != tv1::FAULT_STATE_RAISED && e.state() != tv1::FAULT_STATE_CLEARED) return "unknown fault state";
  return {};
}

std::string RequestProblem(const calls::v1::RequestEvent& e) {
  const auto& r = e.request();
  if (e.meta().event_id().empty()) return "no event id";
  if (r.id().empty()) return "no request id";
  if (r.category().empty()) return "no category";
  if (!r.has_location() || !(r.location().lat() >= -90 && r.location().lat() <= 90) ||
      !(r.location().lon() >= -180 && r.location().lon() <= 180) ||
      (r.location().lat() == 0 && r.location().lon() == 0)) {
    return "no usable location";
  }
  return {};
}

}  // namespace

struct IncidentDesk::Decoded {
  enum class Kind { kFault, kRequest, kCrewWork };
  Kind kind = Kind::kFault;
  std::string event_id;
  tv1::FaultEvent fault;
  calls::v1::RequestEvent request;
  // kCrewWork: the incident, whether a crew now works on it, and whether it completed.
  std::string incident_id;
  bool working = false;
  bool completed = false;
};

IncidentDesk::IncidentDesk(common::PgPool& pool, IncidentStore& store, const Rules& rules, common::Clock& clock,
                           EventHub& hub, Topics topics, std::chrono::hours applied_events_retention,
                           prometheus::Registry& metrics, CrisisStore& crisis_store, const crisis::Playbooks& playbooks,
                           const common::DistrictMap& districts)
    : pool_(pool),
      store_(store),
      rules_(rules),
      clock_(clock),
      hub_(hub),
      topics_(std::move(topics)),
      applied_events_retention_(applied_events_retention),
      correlator_(rules, topology_),
      crisis_store_(crisis_store),
      crises_(playbooks, districts),
      faults_in_(prometheus::BuildCounter()
                     .Name("cityops_incident_correlation_faults_in_total")
                     .Help("Fault events applied, by state (raised, cleared)")
                     .Register(metrics)),
      requests_in_(prometheus::BuildCounter()
                       .Name("cityops_incident_correlation_requests_in_total")
                       .Help("Resident request events applied")
                       .Register(metrics)
                       .Add({})),
      asset_events_in_(prometheus::BuildCounter()
                           .Name("cityops_incident_correlation_asset_events_in_total")
                           .Help("Asset registry events applied to the local topology")
                           .Register(metrics)
                           .Add({})),
      handled_(prometheus::BuildCounter()
                   .Name("cityops_incident_correlation_inputs_handled_total")
                   .Help("Raised faults and requests taken by each rule (opened, joined, repeated, linked)")
                   .Register(metrics)),
      opened_(prometheus::BuildCounter()
                  .Name("cityops_incident_correlation_incidents_opened_total")
                  .Help("Incidents opened, by the rule that opened them")
                  .Register(metrics)),
      noise_reduction_(prometheus::BuildGauge()
                           .Name("cityops_incident_correlation_noise_reduction_ratio")
                           .Help("1 - incidents opened / inputs taken, per rule and for all (since start)")
                           .Register(metrics)),
      set_aside_(prometheus::BuildCounter()
                     .Name("cityops_incident_correlation_messages_set_aside_total")
                     .Help("Input messages that could not be used, kept in dead_letters, by topic and reason")
                     .Register(metrics)),
      replayed_(prometheus::BuildCounter()
                    .Name("cityops_incident_correlation_inputs_replayed_total")
                    .Help("Input events seen again (already applied) and skipped")
                    .Register(metrics)
                    .Add({})),
      failures_(prometheus::BuildCounter()
                    .Name("cityops_incident_correlation_apply_failures_total")
                    .Help("Transactions that failed (state reloaded, inputs retried)")
                    .Register(metrics)
                    .Add({})),
      open_incidents_(prometheus::BuildGauge()
                          .Name("cityops_incident_correlation_open_incidents")
                          .Help("Incidents open or acknowledged")
                          .Register(metrics)
                          .Add({})),
      fault_to_incident_(prometheus::BuildHistogram()
                             .Name("cityops_incident_correlation_fault_to_incident_seconds")
                             .Help("From a fault event's occurrence to the commit of the incident change it caused")
                             .Register(metrics)
                             .Add({}, prometheus::Histogram::BucketBoundaries{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                                                                              1, 2.5, 5, 10})),
      apply_seconds_(
          prometheus::BuildHistogram()
              .Name("cityops_incident_correlation_apply_duration_seconds")
              .Help("Time to apply one polled batch in PostgreSQL")
              .Register(metrics)
              .Add({}, prometheus::Histogram::BucketBoundaries{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5})),
      crises_gauge_(prometheus::BuildGauge()
                        .Name("cityops_incident_correlation_crises")
                        .Help("Crises held, by status (proposed, active; ended and dismissed ones still settling)")
                        .Register(metrics)),
      crisis_changes_(prometheus::BuildCounter()
                          .Name("cityops_incident_correlation_crisis_changes_total")
                          .Help("Crisis events published, by change (proposed, declared, scope_changed, updated, "
                                "ended, dismissed)")
                          .Register(metrics)) {}

absl::Status IncidentDesk::Load() {
  std::lock_guard lock(mutex_);
  return LoadLocked();
}

absl::Status IncidentDesk::LoadLocked() {
  auto assets = store_.LoadTopology();
  if (!assets.ok()) return assets.status();
  topology_ = Topology();
  for (const auto& a : *assets) topology_.Upsert(a);
  auto held = store_.LoadHeld(clock_.Now() - rules_.reopen_window);
  if (!held.ok()) return held.status();
  auto next = store_.NextNumber();
  if (!next.ok()) return next.status();
  correlator_.Load(std::move(*held), *next);
  open_incidents_.Set(static_cast<double>(correlator_.open_count()));
  auto crises = crisis_store_.LoadLive(clock_.Now() - CrisisBook::kQuietAfterSettled);
  if (!crises.ok()) return crises.status();
  auto next_crisis = crisis_store_.NextNumber();
  if (!next_crisis.ok()) return next_crisis.status();
  crises_.Load(std::move(*crises), *next_crisis);
  // A crisis's incidents resolved long ago are not held; the crisis incident
  // of a live crisis is (it stays open while the crisis is active).
  CountCrises();
  return absl::OkStatus();
}

size_t IncidentDesk::topology_size() {
  std::lock_guard lock(mutex_);
  return topology_.size();
}

absl::StatusOr<size_t> IncidentDesk::Apply(const std::vector<common::ConsumedMessage>& messages) {
  const auto started = std::chrono::steady_clock::now();
  // Decode outside the lock.
  std::vector<Decoded> inputs;
  std::vector<std::string> event_ids;
  std::vector<AssetInfo> assets;
  std::vector<bool> retired;
  common::RejectedMessages rejected;
  for (const auto& m : messages) {
    if (m.topic == topics_.assets) {
      tv1::AssetEvent e;
      if (!e.ParseFromString(m.value) || e.asset().id().empty()) {
        rejected.Add(m, "undecodable asset event");
        continue;
      }
      const auto& a = e.asset();
      assets.push_back(
          {a.id(), a.kind(), a.parent_id(), a.district(), a.location().lat(), a.location().lon(), a.version()});
      retired.push_back(a.retired() || e.change() == tv1::ASSET_CHANGE_RETIRED);
    } else if (m.topic == topics_.faults) {
      Decoded d;
      d.kind = Decoded::Kind::kFault;
      if (!d.fault.ParseFromString(m.value)) {
        rejected.Add(m, "undecodable fault event");
        continue;
      }
      if (auto problem = FaultProblem(d.fault); !problem.empty()) {
        rejected.Add(m, problem);
        continue;
      }
      d.event_id = d.fault.meta().event_id();
      event_ids.push_back(d.event_id);
      inputs.push_back(std::move(d));
    } else if (m.topic == topics_.requests) {
      Decoded d;
      d.kind = Decoded::Kind::kRequest;
      if (!d.request.ParseFromString(m.value)) {
        rejected.Add(m, "undecodable request event");
        continue;
      }
      if (auto problem = RequestProblem(d.request); !problem.empty()) {
        rejected.Add(m, problem);
        continue;
      }
      d.event_id = d.request.meta().event_id();
      event_ids.push_back(d.event_id);
      inputs.push_back(std::move(d));
    } else if (m.topic == topics_.assignments) {
      dispatch::v1::AssignmentEvent e;
      if (!e.ParseFromString(m.value) || e.meta().event_id().empty()) {
        rejected.Add(m, "undecodable assignment event");
        continue;
      }
      Decoded d;
      d.kind = Decoded::Kind::kCrewWork;
      d.event_id = e.meta().event_id();
      d.incident_id = e.work_order().incident_id();
      switch (e.change()) {
        case dispatch::v1::ASSIGNMENT_CHANGE_ACCEPTED:
        case dispatch::v1::ASSIGNMENT_CHANGE_ARRIVED:
          d.working = true;
          break;
        case dispatch::v1::ASSIGNMENT_CHANGE_COMPLETED:
          d.completed = true;
          break;
        case dispatch::v1::ASSIGNMENT_CHANGE_DECLINED:
        case dispatch::v1::ASSIGNMENT_CHANGE_PREEMPTED:
        case dispatch::v1::ASSIGNMENT_CHANGE_CANCELLED:
          break;
        default:
          continue;  // created, queued, assigned, breached: no crew at work yet
      }
      event_ids.push_back(d.event_id);
      inputs.push_back(std::move(d));
    } else {
      rejected.Add(m, "unexpected topic");
    }
  }

  std::lock_guard lock(mutex_);
  const auto now = clock_.Now();
  std::vector<v1::IncidentEvent> events;
  std::vector<Outcome> outcomes;
  CrisisChanges crisis_changes;
  size_t replayed = 0;
  auto status = pool_.WithTransaction([&](pqxx::work& tx) -> absl::Status {
    outcomes.clear();
    replayed = 0;
    rejected.SetAside(tx);
    IncidentStore::SaveTopology(tx, assets, retired);
    for (size_t i = 0; i < assets.size(); ++i) {
      if (retired[i]) {
        topology_.Retire(assets[i].id, assets[i].version);
      } else {
        topology_.Upsert(assets[i]);
      }
    }
    std::set<std::string> fresh = common::Inbox::MarkApplied(tx, event_ids);
    Changes changes;
    for (const auto& d : inputs) {
      if (fresh.erase(d.event_id) == 0) {
        ++replayed;
        continue;
      }
      if (d.kind == Decoded::Kind::kCrewWork) {
        // An incident no longer held (resolved long ago) has nothing left to wait for.
        if (correlator_.Find(d.incident_id) == nullptr) continue;
        auto s = d.completed ? correlator_.CrewCompleted(d.incident_id, now, changes)
                             : correlator_.SetCrewWorking(d.incident_id, d.working, now, changes);
        if (!s.ok()) return s;
        continue;
      }
      outcomes.push_back(d.kind == Decoded::Kind::kFault ? correlator_.OnFault(d.fault, now, changes)
                                                         : correlator_.OnRequest(d.request, now, changes));
    }
    crisis_changes = CrisisChanges();
    CrisisFollowUp(changes, crisis_changes, now);
    if (auto s = PersistCrises(tx, crisis_changes, now); !s.ok()) return s;
    return Persist(tx, changes, now, events);
  });
  if (!status.ok()) {
    failures_.Increment();
    if (auto reload = LoadLocked(); !reload.ok()) {
      spdlog::error("incident state reload failed: {}", reload.ToString());
    }
    return status;
  }
  rejected.Log();
  for (const auto& [message, reason] : rejected.items()) {
    set_aside_.Add({{"topic", message->topic}, {"reason", reason}}).Increment();
  }
  asset_events_in_.Increment(static_cast<double>(assets.size()));
  replayed_.Increment(static_cast<double>(replayed));
  for (const auto& d : inputs) {
    if (d.kind == Decoded::Kind::kCrewWork) {
      continue;
    } else if (d.kind == Decoded::Kind::kFault) {
      faults_in_.Add({{"state", d.fault.state() == tv1::FAULT_STATE_RAISED ? "raised" : "cleared"}}).Increment();
    } else {
      requests_in_.Increment();
    }
  }
  for (const auto& o : outcomes) CountOutcome(o);
  if (!crisis_changes.empty()) CountCrises();
  AfterCommit(events, clock_.Now());
  apply_seconds_.Observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  return outcomes.size();
}

void IncidentDesk::CountOutcome(const Outcome& outcome) {
  if (outcome.effect == Outcome::Effect::kIgnored || outcome.effect == Outcome::Effect::kRecovered) return;
  const char* rule = RuleLabel(outcome.rule);
  auto& handled = handled_.Add({{"rule", rule}});
  auto& opened = opened_.Add({{"rule", rule}});
  auto& handled_all = handled_.Add({{"rule", "all"}});
  auto& opened_all = opened_.Add({{"rule", "all"}});
  handled.Increment();
  handled_all.Increment();
  if (outcome.effect == Outcome::Effect::kOpened) {
    opened.Increment();
    opened_all.Increment();
  }
  noise_reduction_.Add({{"rule", rule}}).Set(1.0 - opened.Value() / handled.Value());
  noise_reduction_.Add({{"rule", "all"}}).Set(1.0 - opened_all.Value() / handled_all.Value());
}

absl::Status IncidentDesk::Persist(pqxx::work& tx, const Changes& changes, common::TimePoint now,
                                   std::vector<v1::IncidentEvent>& events) {
  events.clear();
  if (changes.empty()) return absl::OkStatus();
  std::vector<const v1::Incident*> touched;
  for (const auto& id : changes.TouchedIds()) {
    const v1::Incident* incident = correlator_.Find(id);
    if (incident == nullptr) return absl::InternalError(absl::StrCat("changed incident ", id, " is not held"));
    touched.push_back(incident);
  }
  IncidentStore::Save(tx, touched);
  std::vector<std::string> keys, values;
  for (size_t i = 0; i < changes.records().size(); ++i) {
    const ChangeRecord& record = changes.records()[i];
    const v1::Incident& incident = *correlator_.Find(record.incident_id);
    v1::IncidentEvent& event = events.emplace_back();
    event.mutable_meta()->set_event_id(absl::StrCat(incident.id(), "/", incident.version(), "/", i));
    *event.mutable_meta()->mutable_occurred_at() = ToProtoTime(now);
    event.mutable_meta()->set_producer(kProducer);
    event.set_change(record.change);
    *event.mutable_incident() = incident;
    event.set_actor(record.actor);
    for (const auto& cause : record.causes) *event.add_causes() = cause;
    keys.push_back(incident.id());
    values.push_back(event.SerializeAsString());
  }
  common::Outbox::EnqueueMany(tx, topics::kIncidents, keys, values);
  return absl::OkStatus();
}

void IncidentDesk::AfterCommit(const std::vector<v1::IncidentEvent>& events, common::TimePoint now) {
  for (const auto& event : events) {
    for (const auto& cause : event.causes()) {
      if (!cause.has_occurred_at()) continue;
      fault_to_incident_.Observe(std::chrono::duration<double>(now - FromProtoTime(cause.occurred_at())).count());
    }
  }
  hub_.Publish(events);
}

void IncidentDesk::Housekeeping() {
  auto pruned = common::Inbox::PruneApplied(pool_, clock_.Now() - applied_events_retention_);
  if (!pruned.ok()) spdlog::warn("pruning applied event ids: {}", pruned.status().ToString());
}

absl::Status IncidentDesk::Tick() {
  std::lock_guard lock(mutex_);
  const auto now = clock_.Now();
  std::vector<v1::IncidentEvent> events;
  Changes changes;
  CrisisChanges crisis_changes;
  correlator_.Tick(now, changes);
  // Counted once per tick, not after every batch (it walks the incidents held).
  open_incidents_.Set(static_cast<double>(correlator_.open_count()));
  crises_.EvaluateTriggers(correlator_, now, crisis_changes);
  crises_.Forget(now);
  CrisisFollowUp(changes, crisis_changes, now);
  if (changes.empty() && crisis_changes.empty()) return absl::OkStatus();
  auto status = pool_.WithTransaction([&](pqxx::work& tx) -> absl::Status {
    if (auto s = PersistCrises(tx, crisis_changes, now); !s.ok()) return s;
    return Persist(tx, changes, now, events);
  });
  if (!status.ok()) {
    failures_.Increment();
    if (auto reload = LoadLocked(); !reload.ok()) spdlog::error("incident state reload failed: {}", reload.ToString());
    return status;
  }
  if (!crisis_changes.empty()) CountCrises();
  AfterCommit(events, now);
  return absl::OkStatus();
}

absl::StatusOr<v1::Incident> IncidentDesk::Execute(const std::string& id, const Command& command) {
  std::lock_guard lock(mutex_);
  if (correlator_.Find(id) == nullptr) {
    auto stored = store_.Get(id);
    if (!stored.ok()) return stored.status();
    correlator_.Adopt(std::move(*stored));
  }
  const auto now = clock_.Now();
  Changes changes;
  if (auto s = command(correlator_, changes, now); !s.ok()) return s;
  CrisisChanges crisis_changes;
  CrisisFollowUp(changes, crisis_changes, now);
  std::vector<v1::IncidentEvent> events;
  auto status = pool_.WithTransaction([&](pqxx::work& tx) -> absl::Status {
    if (auto s = PersistCrises(tx, crisis_changes, now); !s.ok()) return s;
    return Persist(tx, changes, now, events);
  });
  if (!status.ok()) {
    failures_.Increment();
    if (auto reload = LoadLocked(); !reload.ok()) spdlog::error("incident state reload failed: {}", reload.ToString());
    return status;
  }
  AfterCommit(events, now);
  return *correlator_.Find(id);
}

void IncidentDesk::CrisisFollowUp(Changes& changes, CrisisChanges& crisis_changes, common::TimePoint now) {
  if (changes.empty() || !crises_.AnyActive()) return;
  crises_.OnIncidents(correlator_, changes.TouchedIds(), now, changes, crisis_changes);
}

absl::Status IncidentDesk::PersistCrises(pqxx::work& tx, const CrisisChanges& changes, common::TimePoint now) {
  if (changes.empty()) return absl::OkStatus();
  std::vector<const v1::Crisis*> touched;
  for (const auto& id : changes.TouchedIds()) {
    const v1::Crisis* crisis = crises_.Find(id);
    if (crisis == nullptr) return absl::InternalError(absl::StrCat("changed crisis ", id, " is not held"));
    touched.push_back(crisis);
  }
  CrisisStore::Save(tx, touched);
  std::vector<std::string> keys, values;
  for (size_t i = 0; i < changes.records().size(); ++i) {
    const CrisisChangeRecord& record = changes.records()[i];
    const v1::Crisis& crisis = *crises_.Find(record.crisis_id);
    v1::CrisisEvent event;
    event.mutable_meta()->set_event_id(absl::StrCat(crisis.id(), "/", crisis.version(), "/", i));
    *event.mutable_meta()->mutable_occurred_at() = ToProtoTime(now);
    event.mutable_meta()->set_producer(kProducer);
    event.set_change(record.change);
    *event.mutable_crisis() = crisis;
    event.set_actor(record.actor);
    keys.push_back(crisis.id());
    values.push_back(event.SerializeAsString());
  }
  common::Outbox::EnqueueMany(tx, topics::kCrises, keys, values);
  for (const auto& record : changes.records()) {
    std::string change = v1::CrisisChange_Name(record.change);
    crisis_changes_.Add({{"change", absl::AsciiStrToLower(change.substr(std::string("CRISIS_CHANGE_").size()))}})
        .Increment();
  }
  return absl::OkStatus();
}

void IncidentDesk::CountCrises() {
  std::map<std::string, int> by_status{{"proposed", 0}, {"active", 0}, {"ended", 0}, {"dismissed", 0}};
  for (const v1::Crisis* c : crises_.All()) ++by_status[CrisisStatusName(c->status())];
  for (const auto& [status, n] : by_status) crises_gauge_.Add({{"status", status}}).Set(n);
}

absl::StatusOr<v1::Crisis> IncidentDesk::ExecuteCrisis(const std::string& id, const CrisisCommand& command) {
  std::lock_guard lock(mutex_);
  if (!id.empty() && crises_.Find(id) == nullptr) {
    auto stored = crisis_store_.Get(id);
    if (!stored.ok()) return stored.status();
    crises_.Adopt(std::move(*stored));
  }
  const auto now = clock_.Now();
  Changes changes;
  CrisisChanges crisis_changes;
  auto about = command(crises_, correlator_, changes, crisis_changes, now);
  if (!about.ok()) {
    // Commands check everything before they change anything; should one have
    // begun all the same, what it began is dropped.
    if (!changes.empty() || !crisis_changes.empty()) {
      if (auto reload = LoadLocked(); !reload.ok()) spdlog::error("crisis state reload failed: {}", reload.ToString());
    }
    return about.status();
  }
  CrisisFollowUp(changes, crisis_changes, now);
  std::vector<v1::IncidentEvent> events;
  auto status = pool_.WithTransaction([&](pqxx::work& tx) -> absl::Status {
    if (auto s = PersistCrises(tx, crisis_changes, now); !s.ok()) return s;
    return Persist(tx, changes, now, events);
  });
  if (!status.ok()) {
    failures_.Increment();
    if (auto reload = LoadLocked(); !reload.ok()) spdlog::error("crisis state reload failed: {}", reload.ToString());
    return status;
  }
  CountCrises();
  AfterCommit(events, now);
  for (const auto& record : crisis_changes.records()) {
    const v1::Crisis* c = crises_.Find(record.crisis_id);
    spdlog::info("crisis {} {} by {}: {} ({})", record.crisis_id, v1::CrisisChange_Name(record.change),
                 record.actor.empty() ? "the platform" : record.actor, c != nullptr ? c->title() : "",
                 c != nullptr ? CrisisStatusName(c->status()) : "");
  }
  const v1::Crisis* crisis = crises_.Find(*about);
  if (crisis == nullptr) return absl::InternalError(absl::StrCat("crisis ", *about, " is not held after the command"));
  return *crisis;
}

std::vector<ActionWork> IncidentDesk::CrisisActionsToRun() {
  std::lock_guard lock(mutex_);
  return crises_.ActionsToRun();
}

absl::Status IncidentDesk::RecordActionResults(const std::vector<ActionResult>& results) {
  if (results.empty()) return absl::OkStatus();
  std::lock_guard lock(mutex_);
  const auto now = clock_.Now();
  CrisisChanges crisis_changes;
  for (const auto& r : results) {
    if (auto s = crises_.RecordAction(r.crisis_id, r.action_id, r.outcome, now, crisis_changes); !s.ok()) {
      spdlog::warn("crisis action result dropped: {}", s.ToString());
    }
  }
  if (crisis_changes.empty()) return absl::OkStatus();
  auto status = pool_.WithTransaction([&](pqxx::work& tx) { return PersistCrises(tx, crisis_changes, now); });
  if (!status.ok()) {
    failures_.Increment();
    if (auto reload = LoadLocked(); !reload.ok()) spdlog::error("crisis state reload failed: {}", reload.ToString());
    return status;
  }
  CountCrises();
  return absl::OkStatus();
}

absl::StatusOr<v1::Crisis> IncidentDesk::GetCrisis(const std::string& id) {
  {
    std::lock_guard lock(mutex_);
    if (const v1::Crisis* c = crises_.Find(id); c != nullptr) return *c;
  }
  return crisis_store_.Get(id);
}

const crisis::Playbooks& IncidentDesk::playbooks() const { return crises_.playbooks(); }

}  // namespace cityops::incidents
