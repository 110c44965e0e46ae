#include "dispatch_desk.h"

#include <spdlog/spdlog.h>

#include "absl/strings/str_cat.h"
#include "cityops/common/inbox.h"
#include "cityops/common/outbox.h"
#include "cityops/common/proto_time.h"
#include "cityops/common/status.h"
#include "cityops/common/topic_names.h"
#include "cityops/incidents/v1/incidents.pb.h"
#include "codec.h"

namespace cityops::dispatch {
namespace {

namespace iv1 = cityops::incidents::v1;
using common::FromProtoTime;
using common::ToProtoTime;

constexpr const char* kProducer = "crew-dispatch";

v1::AssignmentChange ToChange(Decision::Kind kind) {
  switch (kind) {
    case Decision::Kind::kCreated:
      return v1::ASSIGNMENT_CHANGE_CREATED;
    case Decision::Kind::kQueued:
      return v1::ASSIGNMENT_CHANGE_QUEUED;
    case Decision::Kind::kAssigned:
      return v1::ASSIGNMENT_CHANGE_ASSIGNED;
    case Decision::Kind::kAccepted:
      return v1::ASSIGNMENT_CHANGE_ACCEPTED;
    case Decision::Kind::kDeclined:
      return v1::ASSIGNMENT_CHANGE_DECLINED;
    case Decision::Kind::kArrived:
      return v1::ASSIGNMENT_CHANGE_ARRIVED;
    case Decision::Kind::kCompleted:
      return v1::ASSIGNMENT_CHANGE_COMPLETED;
    case Decision::Kind::kCancelled:
      return v1::ASSIGNMENT_CHANGE_CANCELLED;
    case Decision::Kind::kPreempted:
      return v1::ASSIGNMENT_CHANGE_PREEMPTED;
    case Decision::Kind::kBreached:
      return v1::ASSIGNMENT_CHANGE_TARGET_BREACHED;
  }
  return v1::ASSIGNMENT_CHANGE_UNSPECIFIED;
}

const char* CrewStatusLabel(CrewStatus s) {
  switch (s) {
    case CrewStatus::kAvailable:
      return "available";
    case CrewStatus::kEnRoute:
      return "en_route";
    case CrewStatus::kOnSite:
      return "on_site";
    case CrewStatus::kOffDuty:
      break;
  }
  return "off_duty";
}

bool IncidentOpen(const iv1::Incident& incident) {
  return incident.status() == iv1::INCIDENT_STATUS_OPEN || incident.status() == iv1::INCIDENT_STATUS_ACKNOWLEDGED;
}

}  // namespace

// ---------------------------------------------------------------- desk

DispatchDesk::DispatchDesk(common::PgPool& pool, DispatchStore& store, const DispatchRules& rules,
                           const EtaEstimator& eta, common::Clock& clock, AssignmentFeed& feed,
                           std::string incidents_topic, std::chrono::hours applied_events_retention,
                           prometheus::Registry& metrics)
    : pool_(pool),
      store_(store),
      clock_(clock),
      feed_(feed),
      incidents_topic_(std::move(incidents_topic)),
      applied_events_retention_(applied_events_retention),
      dispatcher_(rules, eta),
      incident_to_assigned_(prometheus::BuildHistogram()
                                .Name("cityops_crew_dispatch_incident_to_assigned_seconds")
                                .Help("From an incident's opening to the first crew assigned to its work order")
                                .Register(metrics)
                                .Add({}, prometheus::Histogram::BucketBoundaries{0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
                                                                                 2.5, 10, 60, 600, 3600})),
      changes_(prometheus::BuildCounter()
                   .Name("cityops_crew_dispatch_assignment_changes_total")
                   .Help("Work order life-cycle events, by change")
                   .Register(metrics)),
      queue_(prometheus::BuildGauge()
                 .Name("cityops_crew_dispatch_queue_length")
                 .Help("Work orders waiting for a crew, by priority")
                 .Register(metrics)),
      crews_(prometheus::BuildGauge().Name("cityops_crew_dispatch_crews").Help("Crews by status").Register(metrics)),
      breaches_(prometheus::BuildCounter()
                    .Name("cityops_crew_dispatch_target_breaches_total")
                    .Help("Work orders whose crew had not arrived by the priority's time target")
                    .Register(metrics)
                    .Add({})),
      staging_(prometheus::BuildCounter()
                   .Name("cityops_crew_dispatch_crew_staging_total")
                   .Help("Crews held for a crisis (staged) or let go (released), by change")
                   .Register(metrics)),
      set_aside_(prometheus::BuildCounter()
                     .Name("cityops_crew_dispatch_messages_set_aside_total")
                     .Help("Input messages that could not be used, kept in dead_letters, by reason")
                     .Register(metrics)),
      replayed_(prometheus::BuildCounter()
                    .Name("cityops_crew_dispatch_inputs_replayed_total")
                    .Help("Incident events seen again (already applied) and skipped")
                    .Register(metrics)
                    .Add({})),
      failures_(prometheus::BuildCounter()
                    .Name("cityops_crew_dispatch_apply_failures_total")
                    .Help("Transactions that failed (state reloaded, inputs retried)")
                    .Register(metrics)
                    .Add({})) {}

absl::Status DispatchDesk::Load() {
  std::lock_guard lock(mutex_);
  return LoadLocked();
}

absl::Status DispatchDesk::LoadLocked() {
  auto crews = store_.LoadCrews();
  if (!crews.ok()) return crews.status();
  auto orders = store_.LoadActiveOrders();
  if (!orders.ok()) return orders.status();
  auto next = store_.NextNumber();
  if (!next.ok()) return next.status();
  dispatcher_.Load(std::move(*crews), std::move(*orders), *next);
  UpdateGauges();
  RenewVehicles();
  return absl::OkStatus();
}

void DispatchDesk::RenewVehicles() {
  auto vehicles = std::make_shared<std::unordered_set<std::string>>();
  for (const Crew* c : dispatcher_.Crews()) {
    if (!c->vehicle_id.empty()) vehicles->insert(c->vehicle_id);
  }
  vehicles_ = std::move(vehicles);
}

std::shared_ptr<const std::unordered_set<std::string>> DispatchDesk::Vehicles() {
  std::lock_guard lock(mutex_);
  return vehicles_;
}

absl::StatusOr<size_t> DispatchDesk::ApplyPositions(const std::vector<PositionFix>& fixes) {
  std::lock_guard lock(mutex_);
  const auto now = clock_.Now();
  Decisions decisions;
  for (const auto& fix : fixes) {
    const Crew* crew = dispatcher_.CrewOfVehicle(fix.vehicle_id);
    if (crew == nullptr) continue;
    // Only a fresher fix touches the crew.
    (void)dispatcher_.SetPosition(crew->id, fix.position, fix.at, decisions);
  }
  if (decisions.empty()) return size_t{0};
  CITYOPS_RETURN_IF_ERROR(Commit(decisions, now));
  return decisions.Crews().size();
}

void DispatchDesk::ReloadAfterFailure() {
  failures_.Increment();
  if (auto s = LoadLocked(); !s.ok()) spdlog::error("dispatch state reload failed: {}", s.ToString());
}

absl::StatusOr<size_t> DispatchDesk::Apply(const std::vector<common::ConsumedMessage>& messages) {
  common::RejectedMessages rejected;
  const auto inputs = common::DecodeEvents<iv1::IncidentEvent>(
      messages, incidents_topic_, "incident event",
      [](const iv1::IncidentEvent& e) { return e.incident().id().empty() ? "no incident id" : ""; }, rejected);

  std::lock_guard lock(mutex_);
  const auto now = clock_.Now();
  Decisions decisions;
  std::vector<v1::AssignmentEvent> events;
  size_t applied = 0;
  size_t replayed = 0;
  auto status = pool_.WithTransaction([&](pqxx::work& tx) -> absl::Status {
    applied = 0;
    replayed = 0;
    decisions = Decisions();
    rejected.SetAside(tx);
    const auto fresh = common::FreshEvents(tx, inputs, replayed);
    applied = fresh.size();
    for (const auto* in : fresh) {
      decisions.SetCause(in->event_id, FromProtoTime(in->event.meta().occurred_at()));
      const iv1::Incident& incident = in->event.incident();
      // A crisis incident groups others; it needs no crew of its own.
      if (incident.rule() == iv1::RULE_CRISIS) continue;
      const bool opens =
          in->event.change() == iv1::INCIDENT_CHANGE_OPENED || in->event.change() == iv1::INCIDENT_CHANGE_REOPENED;
      if (!IncidentOpen(incident)) {
        dispatcher_.OnIncidentClosed(incident.id(), now, decisions);
        continue;
      }
      const WorkOrder* existing = dispatcher_.OrderForIncident(incident.id());
      if (!opens && (existing == nullptr || !IsActive(*existing))) continue;  // nothing to raise
      const int priority = std::clamp(static_cast<int>(incident.priority()), 1, 4);
      dispatcher_.OnIncidentOpened(incident.id(), incident.required_skill(), static_cast<Priority>(priority),
                                   {incident.location().lat(), incident.location().lon()}, incident.district(),
                                   incident.title(), now, decisions, FromProtoTime(incident.opened_at()));
    }
    return Persist(tx, decisions, now, events);
  });
  if (!status.ok()) {
    ReloadAfterFailure();
    return status;
  }
  rejected.Log();
  for (const auto& [message, reason] : rejected.items()) set_aside_.Add({{"reason", reason}}).Increment();
  replayed_.Increment(static_cast<double>(replayed));
  AfterCommit(decisions, events);
  return applied;
}

absl::Status DispatchDesk::Persist(pqxx::work& tx, const Decisions& decisions, common::TimePoint now,
                                   std::vector<v1::AssignmentEvent>& events) {
  events.clear();
  if (decisions.empty()) return absl::OkStatus();
  const std::set<std::string> order_ids = decisions.Orders();
  dispatcher_.BumpVersions(order_ids);
  std::vector<WorkOrder> orders;
  for (const auto& id : order_ids) {
    if (const WorkOrder* o = dispatcher_.FindOrder(id); o != nullptr) orders.push_back(*o);
  }
  std::vector<Crew> crews;
  for (const auto& id : decisions.Crews()) {
    if (const Crew* c = dispatcher_.FindCrew(id); c != nullptr) crews.push_back(*c);
  }
  DispatchStore::SaveOrders(tx, orders);
  DispatchStore::SaveCrews(tx, crews);

  std::vector<std::string> keys, values;
  for (size_t i = 0; i < decisions.records().size(); ++i) {
    const Decision& d = decisions.records()[i];
    const WorkOrder* order = dispatcher_.FindOrder(d.order_id);
    if (order == nullptr) continue;
    v1::AssignmentEvent& event = events.emplace_back();
    event.mutable_meta()->set_event_id(absl::StrCat(order->id, "/", order->version, "/", i));
    *event.mutable_meta()->mutable_occurred_at() = ToProtoTime(now);
    event.mutable_meta()->set_producer(kProducer);
    event.set_change(ToChange(d.kind));
    *event.mutable_work_order() = ToProto(*order);
    event.set_crew_id(d.crew_id);
    event.set_actor(d.actor);
    if (!d.cause_event_id.empty()) {
      event.set_cause_event_id(d.cause_event_id);
      *event.mutable_cause_occurred_at() = ToProtoTime(d.cause_at);
    }
    keys.push_back(order->id);
    values.push_back(event.SerializeAsString());
  }
  common::Outbox::EnqueueMany(tx, topics::kDispatchAssignments, keys, values);
  std::vector<std::string> crew_keys, crew_values;
  for (const auto& crew : crews) {
    v1::CrewEvent event;
    event.mutable_meta()->set_event_id(absl::StrCat(crew.id, "@", common::ToPgTimestamp(now)));
    *event.mutable_meta()->mutable_occurred_at() = ToProtoTime(now);
    event.mutable_meta()->set_producer(kProducer);
    *event.mutable_crew() = ToProto(crew);
    crew_keys.push_back(crew.id);
    crew_values.push_back(event.SerializeAsString());
  }
  common::Outbox::EnqueueMany(tx, topics::kDispatchCrews, crew_keys, crew_values);
  return absl::OkStatus();
}

absl::Status DispatchDesk::Commit(const Decisions& decisions, common::TimePoint now) {
  std::vector<v1::AssignmentEvent> events;
  auto status = pool_.WithTransaction([&](pqxx::work& tx) { return Persist(tx, decisions, now, events); });
  if (!status.ok()) {
    ReloadAfterFailure();
    return status;
  }
  AfterCommit(decisions, events);
  return absl::OkStatus();
}

void DispatchDesk::AfterCommit(const Decisions& decisions, const std::vector<v1::AssignmentEvent>& events) {
  for (const auto& d : decisions.records()) {
    changes_.Add({{"change", v1::AssignmentChange_Name(ToChange(d.kind))}}).Increment();
    if (d.kind == Decision::Kind::kBreached) breaches_.Increment();
    if (d.kind == Decision::Kind::kAssigned) {
      const WorkOrder* order = dispatcher_.FindOrder(d.order_id);
      // The first assignment of the order (not a reassignment after a decline).
      if (order != nullptr && order->declined_by.empty() && !order->manual) {
        incident_to_assigned_.Observe(
            std::chrono::duration<double>(order->assigned_at - order->incident_opened_at).count());
      }
    }
  }
  feed_.Publish(events);
}

void DispatchDesk::UpdateGauges() {
  const auto lengths = dispatcher_.QueueLengths();
  for (auto p : {Priority::kLow, Priority::kNormal, Priority::kHigh, Priority::kCritical}) {
    const auto it = lengths.find(p);
    queue_.Add({{"priority", PriorityName(p)}}).Set(it == lengths.end() ? 0 : it->second);
  }
  std::map<std::string, int> by_status{{"off_duty", 0}, {"available", 0}, {"en_route", 0}, {"on_site", 0}};
  for (const Crew* c : dispatcher_.Crews()) ++by_status[CrewStatusLabel(c->status)];
  for (const auto& [label, n] : by_status) crews_.Add({{"status", label}}).Set(n);
}

absl::Status DispatchDesk::Tick() {
  std::lock_guard lock(mutex_);
  // The gauges walk every crew and the queue: once per tick, not per transaction.
  UpdateGauges();
  const auto now = clock_.Now();
  Decisions decisions;
  dispatcher_.Tick(now, decisions);
  if (!decisions.empty()) CITYOPS_RETURN_IF_ERROR(Commit(decisions, now));
  dispatcher_.ForgetFinished();
  return absl::OkStatus();
}

void DispatchDesk::Housekeeping() {
  auto pruned = common::Inbox::PruneApplied(pool_, clock_.Now() - applied_events_retention_);
  if (!pruned.ok()) spdlog::warn("pruning applied event ids: {}", pruned.status().ToString());
}

absl::Status DispatchDesk::Execute(const Command& command) {
  std::lock_guard lock(mutex_);
  const auto now = clock_.Now();
  Decisions decisions;
  if (auto s = command(dispatcher_, decisions, now); !s.ok()) return s;
  CITYOPS_RETURN_IF_ERROR(Commit(decisions, now));
  if (!decisions.Crews().empty()) RenewVehicles();
  return absl::OkStatus();
}

absl::StatusOr<v1::Crew> DispatchDesk::StageCrew(const std::string& crew_id, const CrewStaging& staging, bool call_in) {
  std::lock_guard lock(mutex_);
  const auto now = clock_.Now();
  Decisions decisions;
  CITYOPS_RETURN_IF_ERROR(dispatcher_.Stage(crew_id, staging, call_in, now, decisions));
  CITYOPS_RETURN_IF_ERROR(Commit(decisions, now));
  const Crew* crew = dispatcher_.FindCrew(crew_id);
  if (decisions.Crews().count(crew_id) != 0 && crew != nullptr && crew->staging) {
    staging_.Add({{"change", "staged"}}).Increment();
    spdlog::info("crew {} staged for crisis {} by {}: {}{} (district {}, status {}): {}", crew_id,
                 crew->staging->crisis_id, crew->staging->staged_by.empty() ? "-" : crew->staging->staged_by,
                 crew->staging->position ? "at a staging point" : "standby where it is",
                 crew->staging->called_in ? ", called in" : "", crew->staging->district, CrewStatusLabel(crew->status),
                 crew->staging->reason);
  }
  return ToProto(*crew);
}

absl::StatusOr<v1::Crew> DispatchDesk::ReleaseCrew(const std::string& crew_id, const std::string& crisis_id,
                                                   const std::string& actor) {
  std::lock_guard lock(mutex_);
  const auto now = clock_.Now();
  Decisions decisions;
  CITYOPS_RETURN_IF_ERROR(dispatcher_.Unstage(crew_id, crisis_id, decisions));
  CITYOPS_RETURN_IF_ERROR(Commit(decisions, now));
  const Crew* crew = dispatcher_.FindCrew(crew_id);
  if (decisions.Crews().count(crew_id) != 0) {
    staging_.Add({{"change", "released"}}).Increment();
    spdlog::info("crew {} released by crisis {} ({}): status {}{}", crew_id, crisis_id, actor.empty() ? "-" : actor,
                 CrewStatusLabel(crew->status), crew->off_duty_after_order ? ", off duty after its order" : "");
  }
  return ToProto(*crew);
}

std::optional<v1::Crew> DispatchDesk::GetCrew(const std::string& id) {
  std::lock_guard lock(mutex_);
  const Crew* c = dispatcher_.FindCrew(id);
  if (c == nullptr) return std::nullopt;
  return ToProto(*c);
}

std::vector<v1::Crew> DispatchDesk::ListCrews(const std::vector<v1::CrewStatus>& statuses, const std::string& skill) {
  std::lock_guard lock(mutex_);
  std::vector<v1::Crew> out;
  for (const Crew* c : dispatcher_.Crews()) {
    if (!statuses.empty() && std::find(statuses.begin(), statuses.end(), ToProto(c->status)) == statuses.end()) {
      continue;
    }
    if (!skill.empty() && c->skills.count(skill) == 0) continue;
    out.push_back(ToProto(*c));
  }
  return out;
}

std::optional<v1::WorkOrder> DispatchDesk::GetActiveOrder(const std::string& id) {
  std::lock_guard lock(mutex_);
  const WorkOrder* o = dispatcher_.FindOrder(id);
  if (o == nullptr) return std::nullopt;
  return ToProto(*o);
}

}  // namespace cityops::dispatch
