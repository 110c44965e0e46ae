#include "crew_agent.h"

#include <algorithm>
#include <cmath>
#include <optional>

#include <spdlog/spdlog.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cityops/common/geo.h"

namespace cityops::sim {

namespace dv1 = dispatch::v1;

namespace {
// Dispatch's default estimate (great-circle distance times a road factor at
// an urban speed), for a drive to a staging point, which has no order's ETA.
constexpr double kRoadFactor = 1.4;
constexpr double kUrbanSpeedMps = 30 / 3.6;
}  // namespace

CrewAgent::CrewAgent(const std::shared_ptr<grpc::Channel>& channel, double speed, VehicleTracks& tracks,
                     std::function<void(const std::string&)> print)
    : stub_(dv1::CrewDispatch::NewStub(channel)), speed_(speed), tracks_(tracks), print_(std::move(print)) {}

CrewAgent::~CrewAgent() { Stop(); }

absl::Status CrewAgent::RegisterCrews(const std::vector<CrewPlan>& crews) {
  for (const auto& plan : crews) {
    dv1::UpsertCrewRequest request;
    auto* crew = request.mutable_crew();
    crew->set_id(plan.id);
    crew->set_name(plan.name);
    for (const auto& skill : plan.skills) crew->add_skills(skill);
    crew->set_vehicle_id(plan.vehicle_id);
    crew->mutable_home_base()->set_lat(plan.lat);
    crew->mutable_home_base()->set_lon(plan.lon);
    crew->set_status(dv1::CREW_STATUS_AVAILABLE);
    dv1::Crew out;
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    const auto status = stub_->UpsertCrew(&context, request, &out);
    if (!status.ok()) {
      return absl::UnavailableError(absl::StrCat("crew dispatch: UpsertCrew ", plan.id, ": ", status.error_message()));
    }
    // A crew left off duty by an earlier run comes back on duty.
    dv1::SetCrewAvailabilityRequest on_duty;
    on_duty.set_crew_id(plan.id);
    on_duty.set_available(true);
    grpc::ClientContext context2;
    context2.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    stub_->SetCrewAvailability(&context2, on_duty, &out);
    {
      std::lock_guard lock(mutex_);
      board_.AddCrew(plan.id);
    }
    if (!plan.vehicle_id.empty()) {
      vehicle_of_[plan.id] = plan.vehicle_id;
      tracks_.Park(plan.vehicle_id, plan.lat, plan.lon);
    }
  }
  return absl::OkStatus();
}

void CrewAgent::Start() {
  watcher_ = std::thread([this] { Watch(); });
  worker_ = std::thread([this] { Work(); });
  poller_ = std::thread([this] { Poll(); });
}

void CrewAgent::Stop() {
  stop_ = true;
  {
    std::lock_guard lock(watch_mutex_);
    if (watch_context_ != nullptr) watch_context_->TryCancel();
  }
  cv_.notify_all();
  if (watcher_.joinable()) watcher_.join();
  if (worker_.joinable()) worker_.join();
  if (poller_.joinable()) poller_.join();
}

void CrewAgent::Schedule(std::chrono::steady_clock::duration after, Action action) {
  {
    std::lock_guard lock(mutex_);
    due_.emplace(std::chrono::steady_clock::now() + after, std::move(action));
  }
  cv_.notify_all();
}

std::chrono::steady_clock::duration CrewAgent::Simulated(double seconds) const {
  return std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000 / std::max(speed_, 1e-9)));
}

grpc::Status CrewAgent::Send(const std::string& verb, const std::string& crew_id, const std::string& order_id,
                             dv1::WorkOrder* out) {
  dv1::CrewWorkOrderRequest request;
  request.set_crew_id(crew_id);
  request.set_work_order_id(order_id);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  if (verb == "accept") return stub_->AcceptWorkOrder(&context, request, out);
  if (verb == "arrive") return stub_->ArriveAtWorkOrder(&context, request, out);
  return stub_->CompleteWorkOrder(&context, request, out);
}

// Parks the crew's vehicle where it is now (mutex_ held).
void CrewAgent::StopVehicle(const std::string& crew_id) {
  const auto v = vehicle_of_.find(crew_id);
  if (v == vehicle_of_.end()) return;
  if (const auto fix = tracks_.Where(v->second, std::chrono::steady_clock::now())) {
    tracks_.Park(v->second, fix->lat, fix->lon);
  }
}

void CrewAgent::Watch() {
  while (!stop_) {
    grpc::ClientContext context;
    {
      std::lock_guard lock(watch_mutex_);
      watch_context_ = &context;
    }
    auto reader = stub_->WatchAssignments(&context, dv1::WatchAssignmentsRequest());
    dv1::AssignmentEvent event;
    while (!stop_ && reader->Read(&event)) Handle(event);
    reader->Finish();
    {
      std::lock_guard lock(watch_mutex_);
      watch_context_ = nullptr;
    }
    if (!stop_) std::this_thread::sleep_for(std::chrono::seconds(1));  // dispatch restarting: watch again
  }
}

void CrewAgent::Handle(const dv1::AssignmentEvent& event) {
  const auto& order = event.work_order();
  switch (event.change()) {
    case dv1::ASSIGNMENT_CHANGE_PREEMPTED: {
      // Sent back to the queue (its crew cleared): the crew that held it stops
      // where it is; its new order (ASSIGNED, next) starts from there.
      std::lock_guard lock(mutex_);
      if (const auto crew = board_.OnPreempted(order.id())) StopVehicle(*crew);
      return;
    }
    case dv1::ASSIGNMENT_CHANGE_CANCELLED: {
      std::optional<std::string> crew;
      {
        std::lock_guard lock(mutex_);
        crew = board_.OnCancelled(order.id(), event.crew_id());
        if (crew) StopVehicle(*crew);
      }
      if (crew) print_(absl::StrCat(*crew, " dropped ", order.id(), ": cancelled (its incident resolved)"));
      return;
    }
    case dv1::ASSIGNMENT_CHANGE_ASSIGNED:
      break;
    default:
      return;
  }
  const std::string crew_id = order.crew_id().empty() ? event.crew_id() : order.crew_id();
  std::optional<CrewBoard::Taken> taken;
  {
    std::lock_guard lock(mutex_);
    taken = board_.OnAssigned(crew_id, order.id());
  }
  if (!taken) return;  // not ours, or seen already
  {
    std::lock_guard lock(mutex_);
    trips_.erase(crew_id);  // off to the order; back to its staging point after it
  }
  if (!taken->preempted_from.empty()) {
    ++preempted_;
    print_(absl::StrCat(crew_id, " preempted from ", taken->preempted_from, " for ", order.id()));
  }
  print_(absl::StrCat("ASSIGNED  ", order.id(), " to ", crew_id, " (", order.skill(), ", ETA ",
                      std::lround(order.eta_s() / 60), " min) for ", order.incident_id(), ": ", order.title()));
  dv1::WorkOrder accepted;
  if (auto s = Send("accept", crew_id, order.id(), &accepted); !s.ok()) {
    // Taken away or cancelled meanwhile: the crew is free (unless it already
    // holds another).
    spdlog::warn("crew {} cannot accept {}: {}", crew_id, order.id(), s.error_message());
    std::lock_guard lock(mutex_);
    board_.OnCancelled(order.id(), crew_id);
    return;
  }
  const auto travel = Simulated(CrewTravelSeconds(order.eta_s()));
  const double lat = order.location().lat(), lon = order.location().lon();
  {
    std::lock_guard lock(mutex_);
    if (!board_.Holds(crew_id, order.id(), taken->generation)) return;  // moved on meanwhile
    if (auto v = vehicle_of_.find(crew_id); v != vehicle_of_.end()) {
      const auto now = std::chrono::steady_clock::now();
      tracks_.Drive(v->second, lat, lon, now, now + travel);
    }
  }
  Schedule(travel, {"arrive", crew_id, order.id(), taken->generation, lat, lon});
}

void CrewAgent::Work() {
  std::unique_lock lock(mutex_);
  while (!stop_) {
    if (due_.empty()) {
      cv_.wait_for(lock, std::chrono::milliseconds(500));
      continue;
    }
    const auto next = due_.begin()->first;
    if (std::chrono::steady_clock::now() < next) {
      cv_.wait_until(lock, next);
      continue;
    }
    Action action = due_.begin()->second;
    due_.erase(due_.begin());
    if (action.verb == "stage") {
      if (!ArrivedAtStaging(action)) continue;
      lock.unlock();
      ReportPosition(action.crew_id, action.lat, action.lon);
      ++staged_;
      print_(absl::StrFormat("STAGED    %s at its staging point (%.5f, %.5f)", action.crew_id, action.lat, action.lon));
      lock.lock();
      continue;
    }
    // A step of an order the crew was taken from (or that was cancelled): dropped.
    if (!board_.Holds(action.crew_id, action.order_id, action.generation)) continue;
    lock.unlock();
    dv1::WorkOrder out;
    const auto status = Send(action.verb, action.crew_id, action.order_id, &out);
    if (!status.ok()) {
      // Cancelled (its incident resolved) or taken away: nothing more to do.
      spdlog::info("crew {}: {} {}: {}", action.crew_id, action.verb, action.order_id, status.error_message());
    } else if (action.verb == "arrive") {
      print_(absl::StrCat("ARRIVED   ", action.order_id, " ", action.crew_id));
      bool still = false;
      {
        std::lock_guard guard(mutex_);
        still = board_.Holds(action.crew_id, action.order_id, action.generation);
        if (auto v = vehicle_of_.find(action.crew_id); still && v != vehicle_of_.end()) {
          tracks_.Park(v->second, action.lat, action.lon);
        }
      }
      if (still) {
        Action complete = action;
        complete.verb = "complete";
        Schedule(Simulated(kCrewWorkS), std::move(complete));
      }
    } else {
      {
        std::lock_guard guard(mutex_);
        board_.OnCompleted(action.crew_id, action.order_id);
      }
      ++completed_;
      print_(absl::StrCat("COMPLETED ", action.order_id, " ", action.crew_id));
      if (on_completed_) on_completed_(out);
      CheckStaging(action.crew_id);  // still staged: back to the staging point
    }
    lock.lock();
  }
}

// ---------------------------------------------------------------- staging

void CrewAgent::Poll() {
  while (!stop_) {
    {
      std::unique_lock lock(mutex_);
      cv_.wait_for(lock, staging_poll_, [this] { return stop_.load(); });
    }
    if (stop_) return;
    dv1::ListCrewsResponse crews;
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    if (auto s = stub_->ListCrews(&context, dv1::ListCrewsRequest(), &crews); !s.ok()) {
      spdlog::debug("crews' staging not read: {}", s.error_message());
      continue;
    }
    for (const auto& crew : crews.crews()) FollowStaging(crew);
  }
}

void CrewAgent::CheckStaging(const std::string& crew_id) {
  dv1::GetCrewRequest request;
  request.set_id(crew_id);
  dv1::Crew crew;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  if (auto s = stub_->GetCrew(&context, request, &crew); !s.ok()) {
    spdlog::debug("crew {}: staging not read: {}", crew_id, s.error_message());
    return;
  }
  FollowStaging(crew);
}

void CrewAgent::FollowStaging(const dv1::Crew& crew) {
  const std::string& id = crew.id();
  const bool staged = crew.has_staging() && !crew.staging().crisis_id().empty() && crew.staging().has_position();
  const double lat = crew.staging().position().lat(), lon = crew.staging().position().lon();
  std::string line;
  {
    std::lock_guard lock(mutex_);
    // Not ours, or busy with an order (it comes back after it).
    if (!board_.Knows(id) || !board_.OrderOf(id).empty()) return;
    const auto trip = trips_.find(id);
    if (!staged) {
      if (trip == trips_.end()) return;
      if (!trip->second.arrived) StopVehicle(id);
      trips_.erase(trip);
      line = absl::StrCat(id, " released from its staging point");
    } else {
      if (trip != trips_.end() && trip->second.lat == lat && trip->second.lon == lon) return;  // going, or there
      const auto now = std::chrono::steady_clock::now();
      double from_lat = crew.position().lat(), from_lon = crew.position().lon();
      const auto vehicle = vehicle_of_.find(id);
      if (vehicle != vehicle_of_.end()) {
        if (const auto fix = tracks_.Where(vehicle->second, now)) {
          from_lat = fix->lat;
          from_lon = fix->lon;
        }
      }
      const double eta_s = common::DistanceMeters(from_lat, from_lon, lat, lon) * kRoadFactor / kUrbanSpeedMps;
      const double travel_s = CrewTravelSeconds(eta_s);
      const auto travel = Simulated(travel_s);
      const StagingTrip started{lat, lon, next_trip_++, false};
      trips_[id] = started;
      if (vehicle != vehicle_of_.end()) tracks_.Drive(vehicle->second, lat, lon, now, now + travel);
      due_.emplace(now + travel, Action{"stage", id, "", started.number, lat, lon});
      line = absl::StrCat("STAGING   ", id, " to its staging point for ", crew.staging().crisis_id(), " (",
                          std::lround(travel_s / 60), " min)");
    }
  }
  cv_.notify_all();
  print_(line);
}

bool CrewAgent::ArrivedAtStaging(const Action& action) {
  const auto trip = trips_.find(action.crew_id);
  if (trip == trips_.end() || trip->second.number != action.generation) return false;  // taken or released meanwhile
  if (!board_.OrderOf(action.crew_id).empty()) return false;
  trip->second.arrived = true;
  if (const auto v = vehicle_of_.find(action.crew_id); v != vehicle_of_.end()) {
    tracks_.Park(v->second, action.lat, action.lon);
  }
  return true;
}

void CrewAgent::ReportPosition(const std::string& crew_id, double lat, double lon) {
  dv1::UpdateCrewPositionRequest request;
  request.set_crew_id(crew_id);
  request.mutable_position()->set_lat(lat);
  request.mutable_position()->set_lon(lon);
  dv1::Crew out;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  if (auto s = stub_->UpdateCrewPosition(&context, request, &out); !s.ok()) {
    spdlog::info("crew {}: position at its staging point not reported: {}", crew_id, s.error_message());
  }
}

}  // namespace cityops::sim
