#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "domain/crew_index.h"
#include "domain/dispatch_rules.h"
#include "domain/eta.h"
#include "domain/model.h"

namespace cityops::dispatch {

// One step of an order's life, as the dispatcher decided it (the events).
struct Decision {
  enum class Kind {
    kCreated,
    kQueued,
    kAssigned,
    kAccepted,
    kDeclined,
    kArrived,
    kCompleted,
    kCancelled,
    kPreempted,
    kBreached
  };
  Kind kind;
  std::string order_id;
  std::string crew_id;  // the crew concerned, if any
  std::string actor;    // who asked, for commands
  // The input event that led to it (an incident event), when one did.
  std::string cause_event_id;
  TimePoint cause_at{};
};

class Decisions {
 public:
  void Add(Decision::Kind kind, const std::string& order_id, const std::string& crew_id = {},
           const std::string& actor = {}) {
    records_.push_back({kind, order_id, crew_id, actor, cause_event_id_, cause_at_});
  }
  // The decisions added from now on follow from this event (empty: none).
  void SetCause(const std::string& event_id, TimePoint at) {
    cause_event_id_ = event_id;
    cause_at_ = at;
  }
  void TouchCrew(const std::string& crew_id) { crews_.insert(crew_id); }
  const std::vector<Decision>& records() const { return records_; }
  // Orders and crews changed (to save).
  std::set<std::string> Orders() const;
  const std::set<std::string>& Crews() const { return crews_; }
  bool empty() const { return records_.empty() && crews_.empty(); }

 private:
  std::vector<Decision> records_;
  std::set<std::string> crews_;
  std::string cause_event_id_;
  TimePoint cause_at_{};
};

// Who goes where: crews, work orders and the queue, as plain data. Every
// command checks before it changes anything, and reports what changed.
class Dispatcher {
 public:
  Dispatcher(const DispatchRules& rules, const EtaEstimator& eta);

  // Replaces the state (from storage).
  void Load(std::vector<Crew> crews, std::vector<WorkOrder> active_orders, int64_t next_number);

  // A new crew, or new details of one (name, skills, vehicle, home base);
  // its status and position stay as they are.
  absl::Status UpsertCrew(const Crew& crew, Decisions& decisions);
  // Off duty or available (the other statuses follow the orders). A crew
  // holding an order cannot go off duty.
  absl::Status SetAvailability(const std::string& crew_id, bool available, TimePoint now, Decisions& decisions);
  absl::Status SetPosition(const std::string& crew_id, const Point& position, TimePoint at, Decisions& decisions);
  // Holds a crew for a crisis (`staging`: its crisis, reason, point, district
  // and actor; `since` is set to now). Staging it again for the same crisis
  // changes nothing (except calling in, with `call_in`, a crew that went off
  // duty since); FAILED_PRECONDITION if another crisis holds it, or if it is
  // off duty without `call_in`. A crew called in becomes available (and takes
  // from the queue); it stays assignable like any available crew.
  absl::Status Stage(const std::string& crew_id, CrewStaging staging, bool call_in, TimePoint now,
                     Decisions& decisions);
  // Lets the crew go if `crisis_id` holds it (nothing otherwise): a crew it
  // called in goes off duty, at once if idle, else after its order (unless
  // its own shift is on by now).
  absl::Status Unstage(const std::string& crew_id, const std::string& crisis_id, Decisions& decisions);

  // An incident that needs a crew: one active work order per incident (a
  // second call only raises its priority; after the order finished, a new
  // one). Returns the order's id.
  std::string OnIncidentOpened(const std::string& incident_id, const std::string& skill, Priority priority,
                               const Point& location, int district, const std::string& title, TimePoint now,
                               Decisions& decisions, TimePoint incident_opened_at = {});
  // The incident was resolved or merged elsewhere: its order is cancelled.
  void OnIncidentClosed(const std::string& incident_id, TimePoint now, Decisions& decisions);

  absl::Status Accept(const std::string& crew_id, const std::string& order_id, TimePoint now, Decisions& decisions);
  absl::Status Decline(const std::string& crew_id, const std::string& order_id, TimePoint now, Decisions& decisions);
  absl::Status Arrive(const std::string& crew_id, const std::string& order_id, TimePoint now, Decisions& decisions);
  absl::Status Complete(const std::string& crew_id, const std::string& order_id, TimePoint now, Decisions& decisions);
  // A supervisor's choice. A crew without the skill needs `override_skill`;
  // a busy or off-duty crew is refused.
  absl::Status AssignManually(const std::string& order_id, const std::string& crew_id, const std::string& actor,
                              bool override_skill, TimePoint now, Decisions& decisions);

  // Crews follow their shifts (see FollowShifts); unanswered assignments go
  // to the next crew; missed arrival targets are reported once.
  void Tick(TimePoint now, Decisions& decisions);

  const Crew* FindCrew(const std::string& id) const;
  // The crew driving a vehicle, if any.
  const Crew* CrewOfVehicle(const std::string& vehicle_id) const;
  const WorkOrder* FindOrder(const std::string& id) const;
  // The incident's latest order (active or finished, while held).
  const WorkOrder* OrderForIncident(const std::string& incident_id) const;
  std::vector<const Crew*> Crews() const;
  std::vector<const WorkOrder*> Orders() const;
  // Queued orders by priority.
  std::map<Priority, int> QueueLengths() const;
  size_t queue_size() const { return queue_.size(); }
  int64_t next_number() const { return next_number_; }
  // Forgets completed and cancelled orders (they are in storage).
  void ForgetFinished();
  // Counts a new version of each order (before saving them).
  void BumpVersions(const std::set<std::string>& order_ids);

 private:
  // Queue order: higher priority first, then older, then id.
  using QueueKey = std::tuple<int, TimePoint, std::string>;
  static QueueKey KeyOf(const WorkOrder& order) {
    return {-static_cast<int>(order.priority), order.created_at, order.id};
  }

  absl::StatusOr<Crew*> HeldCrew(const std::string& id);
  absl::StatusOr<WorkOrder*> HeldOrder(const std::string& id);
  // The crew and the order it holds; NOT_FOUND / FAILED_PRECONDITION otherwise.
  absl::StatusOr<std::pair<Crew*, WorkOrder*>> Holding(const std::string& crew_id, const std::string& order_id);
  // Finds a crew for the order (nearest qualified, else preemption), or queues it.
  void Dispatch(WorkOrder& order, TimePoint now, Decisions& decisions);
  bool Preempt(WorkOrder& order, TimePoint now, Decisions& decisions);
  void Assign(WorkOrder& order, Crew& crew, double eta_s, TimePoint now, Decisions& decisions);
  void Enqueue(WorkOrder& order, Decisions& decisions, Decision::Kind why);
  // The crew is free: it takes the first queued order it can do, or waits
  // (or goes off duty, when its shift ended while it worked).
  void Release(Crew& crew, TimePoint now, Decisions& decisions);
  // When a shift starts, an off-duty crew becomes available (and takes from
  // the queue); when it ends, an available crew goes off duty and a busy one
  // finishes its order first. Only the changes act, so a supervisor's word
  // in between (SetAvailability) stands until the next change of shift. A
  // crew a crisis called in stays on duty at the end of a shift while held.
  void FollowShifts(TimePoint now, Decisions& decisions);

  const DispatchRules& rules_;
  const EtaEstimator& eta_;
  std::unordered_map<std::string, Crew> crews_;
  std::unordered_map<std::string, WorkOrder> orders_;
  std::unordered_map<std::string, std::string> order_by_incident_;
  std::unordered_map<std::string, std::string> crew_by_vehicle_;
  std::set<QueueKey> queue_;
  CrewIndex index_;
  int64_t next_number_ = 1;
};

}  // namespace cityops::dispatch
