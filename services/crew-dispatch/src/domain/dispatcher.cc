#include "domain/dispatcher.h"

#include <algorithm>
#include <cstdio>

#include "absl/strings/str_cat.h"

namespace cityops::dispatch {

namespace {
constexpr const char* kDispatchActor = "crew-dispatch";
}  // namespace

std::set<std::string> Decisions::Orders() const {
  std::set<std::string> ids;
  for (const auto& r : records_) ids.insert(r.order_id);
  return ids;
}

Dispatcher::Dispatcher(const DispatchRules& rules, const EtaEstimator& eta) : rules_(rules), eta_(eta) {}

void Dispatcher::Load(std::vector<Crew> crews, std::vector<WorkOrder> active_orders, int64_t next_number) {
  crews_.clear();
  orders_.clear();
  order_by_incident_.clear();
  queue_.clear();
  index_ = CrewIndex();
  crew_by_vehicle_.clear();
  next_number_ = std::max<int64_t>(next_number, 1);
  for (auto& crew : crews) {
    index_.Put(crew);
    if (!crew.vehicle_id.empty()) crew_by_vehicle_[crew.vehicle_id] = crew.id;
    crews_.emplace(crew.id, std::move(crew));
  }
  for (auto& order : active_orders) {
    if (!IsActive(order)) continue;
    order_by_incident_[order.incident_id] = order.id;
    if (order.status == OrderStatus::kQueued) queue_.insert(KeyOf(order));
    orders_.emplace(order.id, std::move(order));
  }
}

const Crew* Dispatcher::FindCrew(const std::string& id) const {
  auto it = crews_.find(id);
  return it == crews_.end() ? nullptr : &it->second;
}

const WorkOrder* Dispatcher::FindOrder(const std::string& id) const {
  auto it = orders_.find(id);
  return it == orders_.end() ? nullptr : &it->second;
}

const WorkOrder* Dispatcher::OrderForIncident(const std::string& incident_id) const {
  auto it = order_by_incident_.find(incident_id);
  return it == order_by_incident_.end() ? nullptr : FindOrder(it->second);
}

std::vector<const Crew*> Dispatcher::Crews() const {
  std::vector<const Crew*> out;
  for (const auto& [id, crew] : crews_) out.push_back(&crew);
  std::sort(out.begin(), out.end(), [](const Crew* a, const Crew* b) { return a->id < b->id; });
  return out;
}

std::vector<const WorkOrder*> Dispatcher::Orders() const {
  std::vector<const WorkOrder*> out;
  for (const auto& [id, order] : orders_) out.push_back(&order);
  std::sort(out.begin(), out.end(), [](const WorkOrder* a, const WorkOrder* b) { return a->id < b->id; });
  return out;
}

std::map<Priority, int> Dispatcher::QueueLengths() const {
  std::map<Priority, int> out;
  for (const auto& key : queue_) ++out[static_cast<Priority>(-std::get<0>(key))];
  return out;
}

void Dispatcher::ForgetFinished() {
  for (auto it = orders_.begin(); it != orders_.end();) {
    if (IsActive(it->second)) {
      ++it;
      continue;
    }
    if (auto i = order_by_incident_.find(it->second.incident_id);
        i != order_by_incident_.end() && i->second == it->first) {
      order_by_incident_.erase(i);
    }
    it = orders_.erase(it);
  }
}

void Dispatcher::BumpVersions(const std::set<std::string>& order_ids) {
  for (const auto& id : order_ids) {
    if (auto it = orders_.find(id); it != orders_.end()) ++it->second.version;
  }
}

absl::StatusOr<Crew*> Dispatcher::HeldCrew(const std::string& id) {
  auto it = crews_.find(id);
  if (it == crews_.end()) return absl::NotFoundError(absl::StrCat("crew ", id, " not found"));
  return &it->second;
}

absl::StatusOr<WorkOrder*> Dispatcher::HeldOrder(const std::string& id) {
  auto it = orders_.find(id);
  if (it == orders_.end()) return absl::NotFoundError(absl::StrCat("work order ", id, " not found or finished"));
  return &it->second;
}

absl::StatusOr<std::pair<Crew*, WorkOrder*>> Dispatcher::Holding(const std::string& crew_id,
                                                                 const std::string& order_id) {
  auto crew = HeldCrew(crew_id);
  if (!crew.ok()) return crew.status();
  auto order = HeldOrder(order_id);
  if (!order.ok()) return order.status();
  if ((*order)->crew_id != crew_id || (*crew)->order_id != order_id) {
    return absl::FailedPreconditionError(absl::StrCat("work order ", order_id, " is not assigned to crew ", crew_id));
  }
  return std::make_pair(*crew, *order);
}

// ---------------------------------------------------------------- crews

absl::Status Dispatcher::UpsertCrew(const Crew& crew, Decisions& decisions) {
  if (crew.id.empty()) return absl::InvalidArgumentError("crew id is required");
  if (crew.skills.empty()) return absl::InvalidArgumentError(absl::StrCat("crew ", crew.id, " has no skill"));
  if (!crew.vehicle_id.empty()) {
    auto driver = crew_by_vehicle_.find(crew.vehicle_id);
    if (driver != crew_by_vehicle_.end() && driver->second != crew.id) {
      return absl::FailedPreconditionError(
          absl::StrCat("vehicle ", crew.vehicle_id, " is already crew ", driver->second, "'s"));
    }
  }
  auto it = crews_.find(crew.id);
  if (it == crews_.end()) {
    Crew added = crew;
    added.order_id.clear();
    added.on_shift.reset();
    added.off_duty_after_order = false;
    added.staging.reset();  // only StageCrew holds a crew
    if (!added.vehicle_id.empty()) crew_by_vehicle_[added.vehicle_id] = added.id;
    if (added.position.lat == 0 && added.position.lon == 0) added.position = added.home_base;
    if (added.status != CrewStatus::kAvailable) added.status = CrewStatus::kOffDuty;
    index_.Put(added);
    crews_.emplace(added.id, std::move(added));
  } else {
    Crew& held = it->second;
    held.name = crew.name;
    held.skills = crew.skills;
    if (held.vehicle_id != crew.vehicle_id) {
      crew_by_vehicle_.erase(held.vehicle_id);
      if (!crew.vehicle_id.empty()) crew_by_vehicle_[crew.vehicle_id] = crew.id;
      held.vehicle_id = crew.vehicle_id;
    }
    held.home_base = crew.home_base;
    if (held.shift != crew.shift) {
      held.shift = crew.shift;
      held.on_shift.reset();  // looked at again on the next tick
    }
    index_.Put(held);
  }
  decisions.TouchCrew(crew.id);
  return absl::OkStatus();
}

absl::Status Dispatcher::SetAvailability(const std::string& crew_id, bool available, TimePoint now,
                                         Decisions& decisions) {
  auto held = HeldCrew(crew_id);
  if (!held.ok()) return held.status();
  Crew& crew = **held;
  crew.off_duty_after_order = false;  // a supervisor's word overrides the shift's end
  if (!available) {
    if (!crew.order_id.empty()) {
      return absl::FailedPreconditionError(
          absl::StrCat("crew ", crew_id, " holds work order ", crew.order_id, ": complete or decline it first"));
    }
    crew.status = CrewStatus::kOffDuty;
    index_.Remove(crew_id);
    decisions.TouchCrew(crew_id);
    return absl::OkStatus();
  }
  if (crew.status != CrewStatus::kOffDuty) return absl::OkStatus();  // already on duty
  Release(crew, now, decisions);
  return absl::OkStatus();
}

absl::Status Dispatcher::SetPosition(const std::string& crew_id, const Point& position, TimePoint at,
                                     Decisions& decisions) {
  auto held = HeldCrew(crew_id);
  if (!held.ok()) return held.status();
  Crew& crew = **held;
  if (at < crew.position_at) return absl::OkStatus();  // an older fix than the one held
  crew.position = position;
  crew.position_at = at;
  index_.Put(crew);
  decisions.TouchCrew(crew_id);
  return absl::OkStatus();
}

// ---------------------------------------------------------------- crises

absl::Status Dispatcher::Stage(const std::string& crew_id, CrewStaging staging, bool call_in, TimePoint now,
                               Decisions& decisions) {
  if (staging.crisis_id.empty()) return absl::InvalidArgumentError("crisis_id is required");
  auto held = HeldCrew(crew_id);
  if (!held.ok()) return held.status();
  Crew& crew = **held;
  const bool off_duty = crew.status == CrewStatus::kOffDuty;
  if (crew.staging) {
    if (crew.staging->crisis_id != staging.crisis_id) {
      return absl::FailedPreconditionError(
          absl::StrCat("crew ", crew_id, " is held by crisis ", crew.staging->crisis_id));
    }
    // The same crisis again: nothing changes, unless it went off duty since
    // and this call calls it in.
    if (!(off_duty && call_in)) return absl::OkStatus();
    crew.staging->called_in = true;
    crew.off_duty_after_order = false;
    Release(crew, now, decisions);
    return absl::OkStatus();
  }
  if (off_duty && !call_in) {
    return absl::FailedPreconditionError(
        absl::StrCat("crew ", crew_id, " is off duty: set call_in to call it in for crisis ", staging.crisis_id));
  }
  staging.since = now;
  staging.called_in = off_duty;
  crew.staging = std::move(staging);
  decisions.TouchCrew(crew_id);
  if (off_duty) {
    crew.off_duty_after_order = false;
    Release(crew, now, decisions);  // on duty: available, or the first queued order it can do
  }
  return absl::OkStatus();
}

absl::Status Dispatcher::Unstage(const std::string& crew_id, const std::string& crisis_id, Decisions& decisions) {
  if (crisis_id.empty()) return absl::InvalidArgumentError("crisis_id is required");
  auto held = HeldCrew(crew_id);
  if (!held.ok()) return held.status();
  Crew& crew = **held;
  if (!crew.staging || crew.staging->crisis_id != crisis_id) return absl::OkStatus();  // not held by it
  const bool called_in = crew.staging->called_in;
  crew.staging.reset();
  decisions.TouchCrew(crew_id);
  // Off duty again, unless its own shift has come on meanwhile (or a
  // supervisor sent it home already).
  if (!called_in || crew.on_shift == true || crew.status == CrewStatus::kOffDuty) return absl::OkStatus();
  if (crew.order_id.empty()) {
    crew.status = CrewStatus::kOffDuty;
    index_.Remove(crew_id);
  } else {
    crew.off_duty_after_order = true;  // it finishes the order it holds
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------- orders

std::string Dispatcher::OnIncidentOpened(const std::string& incident_id, const std::string& skill, Priority priority,
                                         const Point& location, int district, const std::string& title, TimePoint now,
                                         Decisions& decisions, TimePoint incident_opened_at) {
  if (auto existing = order_by_incident_.find(incident_id);
      existing != order_by_incident_.end() && IsActive(orders_.at(existing->second))) {
    WorkOrder& order = orders_.at(existing->second);
    if (priority > order.priority) {
      if (order.status == OrderStatus::kQueued) queue_.erase(KeyOf(order));
      order.priority = priority;
      order.arrive_by = std::min(order.arrive_by, order.created_at + rules_.TargetFor(priority));
      if (order.status == OrderStatus::kQueued) {
        queue_.insert(KeyOf(order));
        Dispatch(order, now, decisions);  // a higher priority may now preempt
      }
    } else if (priority < order.priority) {
      // Lowered (a crisis's end gives back the priority it raised): the queue
      // ranks it as before, and its time target is the lower priority's again.
      if (order.status == OrderStatus::kQueued) queue_.erase(KeyOf(order));
      order.priority = priority;
      order.arrive_by = order.created_at + rules_.TargetFor(priority);
      if (order.status == OrderStatus::kQueued) queue_.insert(KeyOf(order));
    }
    return order.id;
  }
  char id[32];
  std::snprintf(id, sizeof(id), "WO-%08lld", static_cast<long long>(next_number_++));
  WorkOrder& order = orders_[id];
  order.id = id;
  order.incident_id = incident_id;
  order.skill = skill;
  order.priority = priority;
  order.location = location;
  order.district = district;
  order.title = title;
  order.created_at = now;
  order.incident_opened_at = incident_opened_at == TimePoint{} ? now : incident_opened_at;
  order.arrive_by = now + rules_.TargetFor(priority);
  order_by_incident_[incident_id] = order.id;
  decisions.Add(Decision::Kind::kCreated, order.id);
  Dispatch(order, now, decisions);
  return order.id;
}

void Dispatcher::OnIncidentClosed(const std::string& incident_id, TimePoint now, Decisions& decisions) {
  auto it = order_by_incident_.find(incident_id);
  if (it == order_by_incident_.end()) return;
  WorkOrder& order = orders_.at(it->second);
  if (!IsActive(order)) return;
  if (order.status == OrderStatus::kQueued) queue_.erase(KeyOf(order));
  const std::string crew_id = order.crew_id;
  order.status = OrderStatus::kCancelled;
  order.completed_at = now;
  decisions.Add(Decision::Kind::kCancelled, order.id, crew_id);
  if (!crew_id.empty()) {
    Crew& crew = crews_.at(crew_id);
    crew.order_id.clear();
    Release(crew, now, decisions);
  }
}

void Dispatcher::Dispatch(WorkOrder& order, TimePoint now, Decisions& decisions) {
  auto found = index_.Nearest(order.skill, order.location, eta_,
                              [&](const std::string& crew_id) { return order.declined_by.count(crew_id) == 0; });
  if (found) {
    if (order.status == OrderStatus::kQueued) queue_.erase(KeyOf(order));
    Assign(order, crews_.at(found->crew_id), found->eta_s, now, decisions);
    return;
  }
  if (order.priority >= rules_.preempt_by && Preempt(order, now, decisions)) return;
  if (order.status != OrderStatus::kQueued || queue_.count(KeyOf(order)) == 0) {
    Enqueue(order, decisions, Decision::Kind::kQueued);
  }
}

bool Dispatcher::Preempt(WorkOrder& order, TimePoint now, Decisions& decisions) {
  Crew* best = nullptr;
  double best_eta = 0;
  for (auto& [id, crew] : crews_) {
    if (crew.order_id.empty() || crew.skills.count(order.skill) == 0 || order.declined_by.count(id) != 0) continue;
    const WorkOrder& victim = orders_.at(crew.order_id);
    if (victim.priority > rules_.preempt_from_at_most) continue;
    if (victim.status == OrderStatus::kOnSite && !rules_.preempt_on_site) continue;
    const double seconds = eta_.Seconds(crew.position, order.location);
    if (best == nullptr || seconds < best_eta || (seconds == best_eta && id < best->id)) {
      best = &crew;
      best_eta = seconds;
    }
  }
  if (best == nullptr) return false;
  WorkOrder& victim = orders_.at(best->order_id);
  victim.crew_id.clear();
  victim.eta_s = 0;
  best->order_id.clear();
  Enqueue(victim, decisions, Decision::Kind::kPreempted);
  if (order.status == OrderStatus::kQueued) queue_.erase(KeyOf(order));
  Assign(order, *best, best_eta, now, decisions);
  return true;
}

void Dispatcher::Assign(WorkOrder& order, Crew& crew, double eta_s, TimePoint now, Decisions& decisions) {
  index_.Remove(crew.id);
  crew.status = CrewStatus::kEnRoute;
  crew.order_id = order.id;
  order.status = OrderStatus::kAssigned;
  order.crew_id = crew.id;
  order.eta_s = eta_s;
  order.assigned_at = now;
  decisions.Add(Decision::Kind::kAssigned, order.id, crew.id, order.manual ? order.assigned_by : std::string());
  decisions.TouchCrew(crew.id);
}

void Dispatcher::Enqueue(WorkOrder& order, Decisions& decisions, Decision::Kind why) {
  order.status = OrderStatus::kQueued;
  order.crew_id.clear();
  queue_.insert(KeyOf(order));
  decisions.Add(why, order.id);
}

void Dispatcher::Release(Crew& crew, TimePoint now, Decisions& decisions) {
  crew.order_id.clear();
  decisions.TouchCrew(crew.id);
  if (crew.off_duty_after_order) {  // its shift is over
    crew.off_duty_after_order = false;
    crew.status = CrewStatus::kOffDuty;
    index_.Remove(crew.id);
    return;
  }
  crew.status = CrewStatus::kAvailable;
  for (auto it = queue_.begin(); it != queue_.end(); ++it) {
    WorkOrder& order = orders_.at(std::get<2>(*it));
    if (crew.skills.count(order.skill) == 0 || order.declined_by.count(crew.id) != 0) continue;
    queue_.erase(it);
    Assign(order, crew, eta_.Seconds(crew.position, order.location), now, decisions);
    return;
  }
  index_.Put(crew);
}

// ---------------------------------------------------------------- crews' answers

absl::Status Dispatcher::Accept(const std::string& crew_id, const std::string& order_id, TimePoint now,
                                Decisions& decisions) {
  auto held = Holding(crew_id, order_id);
  if (!held.ok()) return held.status();
  auto [crew, order] = *held;
  if (order->status != OrderStatus::kAssigned) {
    return absl::FailedPreconditionError(absl::StrCat("work order ", order_id, " was already accepted"));
  }
  order->status = OrderStatus::kAccepted;
  order->accepted_at = now;
  decisions.Add(Decision::Kind::kAccepted, order_id, crew_id);
  return absl::OkStatus();
}

absl::Status Dispatcher::Decline(const std::string& crew_id, const std::string& order_id, TimePoint now,
                                 Decisions& decisions) {
  auto held = Holding(crew_id, order_id);
  if (!held.ok()) return held.status();
  auto [crew, order] = *held;
  if (order->status == OrderStatus::kOnSite) {
    return absl::FailedPreconditionError(
        absl::StrCat("crew ", crew_id, " is on site for ", order_id, ": complete it, or a supervisor reassigns it"));
  }
  WorkOrder& declined = *order;
  declined.declined_by.insert(crew_id);
  declined.crew_id.clear();
  declined.status = OrderStatus::kQueued;  // not in the queue set yet: Dispatch decides
  crew->order_id.clear();
  decisions.Add(Decision::Kind::kDeclined, order_id, crew_id);
  Dispatch(declined, now, decisions);
  Release(*crew, now, decisions);
  return absl::OkStatus();
}

absl::Status Dispatcher::Arrive(const std::string& crew_id, const std::string& order_id, TimePoint now,
                                Decisions& decisions) {
  auto held = Holding(crew_id, order_id);
  if (!held.ok()) return held.status();
  auto [crew, order] = *held;
  if (order->status == OrderStatus::kOnSite) {
    return absl::FailedPreconditionError(absl::StrCat("crew ", crew_id, " is already on site for ", order_id));
  }
  if (order->status == OrderStatus::kAssigned) order->accepted_at = now;  // arriving accepts
  order->status = OrderStatus::kOnSite;
  order->arrived_at = now;
  crew->status = CrewStatus::kOnSite;
  crew->position = order->location;
  decisions.Add(Decision::Kind::kArrived, order_id, crew_id);
  decisions.TouchCrew(crew_id);
  return absl::OkStatus();
}

absl::Status Dispatcher::Complete(const std::string& crew_id, const std::string& order_id, TimePoint now,
                                  Decisions& decisions) {
  auto held = Holding(crew_id, order_id);
  if (!held.ok()) return held.status();
  auto [crew, order] = *held;
  if (order->status != OrderStatus::kOnSite) {
    return absl::FailedPreconditionError(
        absl::StrCat("crew ", crew_id, " has not arrived for ", order_id, ": arrive before completing"));
  }
  order->status = OrderStatus::kCompleted;
  order->completed_at = now;
  decisions.Add(Decision::Kind::kCompleted, order_id, crew_id);
  Release(*crew, now, decisions);
  return absl::OkStatus();
}

absl::Status Dispatcher::AssignManually(const std::string& order_id, const std::string& crew_id,
                                        const std::string& actor, bool override_skill, TimePoint now,
                                        Decisions& decisions) {
  auto crew = HeldCrew(crew_id);
  if (!crew.ok()) return crew.status();
  auto order = HeldOrder(order_id);
  if (!order.ok()) return order.status();
  Crew& chosen = **crew;
  WorkOrder& target = **order;
  if (target.crew_id == crew_id) return absl::OkStatus();  // already so
  if (target.status == OrderStatus::kOnSite) {
    return absl::FailedPreconditionError(absl::StrCat("work order ", order_id, " has a crew on site"));
  }
  if (chosen.status == CrewStatus::kOffDuty) {
    return absl::FailedPreconditionError(absl::StrCat("crew ", crew_id, " is off duty"));
  }
  if (!chosen.order_id.empty()) {
    return absl::FailedPreconditionError(absl::StrCat("crew ", crew_id, " is busy with work order ", chosen.order_id));
  }
  if (chosen.skills.count(target.skill) == 0 && !override_skill) {
    return absl::FailedPreconditionError(absl::StrCat("crew ", crew_id, " lacks the skill ", target.skill, " of ",
                                                      order_id, "; set override_skill to assign it anyway"));
  }
  // The crew it had (if any) is freed.
  if (!target.crew_id.empty()) {
    Crew& previous = crews_.at(target.crew_id);
    previous.order_id.clear();
    target.crew_id.clear();
    Release(previous, now, decisions);
  }
  if (target.status == OrderStatus::kQueued) queue_.erase(KeyOf(target));
  target.manual = true;
  target.assigned_by = actor;
  target.declined_by.erase(crew_id);
  Assign(target, chosen, eta_.Seconds(chosen.position, target.location), now, decisions);
  return absl::OkStatus();
}

const Crew* Dispatcher::CrewOfVehicle(const std::string& vehicle_id) const {
  auto it = crew_by_vehicle_.find(vehicle_id);
  return it == crew_by_vehicle_.end() ? nullptr : FindCrew(it->second);
}

void Dispatcher::FollowShifts(TimePoint now, Decisions& decisions) {
  const common::LocalTime local = common::ToLocal(rules_.local_time, now);
  const int weekday = static_cast<int>(local.weekday.iso_encoding()) - 1;  // 0 Monday
  std::vector<std::string> starting;
  for (auto& [id, crew] : crews_) {
    if (!crew.shift) continue;
    const bool on = crew.shift->IsOn(weekday, local.minute_of_day);
    if (crew.on_shift == on) continue;
    crew.on_shift = on;
    decisions.TouchCrew(id);
    if (on) {
      crew.off_duty_after_order = false;
      if (crew.status == CrewStatus::kOffDuty) starting.push_back(id);
    } else if (crew.staging && crew.staging->called_in) {
      // Called in by a crisis that still holds it: on duty until released.
    } else if (crew.status == CrewStatus::kAvailable) {
      crew.status = CrewStatus::kOffDuty;
      index_.Remove(id);
    } else if (!crew.order_id.empty()) {
      crew.off_duty_after_order = true;  // it finishes the order it holds
    }
  }
  // In id order, so that the queue goes to the same crews on every run.
  std::sort(starting.begin(), starting.end());
  for (const auto& id : starting) Release(crews_.at(id), now, decisions);
}

void Dispatcher::Tick(TimePoint now, Decisions& decisions) {
  FollowShifts(now, decisions);
  std::vector<std::string> unanswered;
  for (auto& [id, order] : orders_) {
    if (order.status == OrderStatus::kAssigned && order.assigned_at + rules_.accept_timeout <= now) {
      unanswered.push_back(id);
    }
    const bool arrived = order.status == OrderStatus::kOnSite || !IsActive(order);
    if (!arrived && !order.target_breached && order.arrive_by <= now) {
      order.target_breached = true;
      decisions.Add(Decision::Kind::kBreached, id, order.crew_id);
    }
  }
  std::sort(unanswered.begin(), unanswered.end());
  for (const auto& id : unanswered) {
    WorkOrder& order = orders_.at(id);
    if (order.status != OrderStatus::kAssigned) continue;  // changed by an earlier one
    const std::string crew_id = order.crew_id;
    // No answer counts as a decline, and the crew is taken off duty: it is
    // not answering, so nothing else should go to it.
    order.declined_by.insert(crew_id);
    order.crew_id.clear();
    order.status = OrderStatus::kQueued;
    Crew& crew = crews_.at(crew_id);
    crew.order_id.clear();
    crew.status = CrewStatus::kOffDuty;
    index_.Remove(crew_id);
    decisions.TouchCrew(crew_id);
    decisions.Add(Decision::Kind::kDeclined, id, crew_id, kDispatchActor);
    Dispatch(order, now, decisions);
  }
}

}  // namespace cityops::dispatch
