#include "crew_agent.h"

#include <algorithm>
#include <cmath>

#include <spdlog/spdlog.h>

#include "absl/strings/str_cat.h"

namespace cityops::sim {

namespace dv1 = dispatch::v1;

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
    crews_.insert(plan.id);
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
}

void CrewAgent::Schedule(std::chrono::steady_clock::duration after, Action action) {
  {
    std::lock_guard lock(mutex_);
    due_.emplace(std::chrono::steady_clock::now() + after, std::move(action));
  }
  cv_.notify_all();
}

grpc::Status CrewAgent::Send(const std::string& verb, const std::string& crew_id, const std::string& order_id) {
  dv1::CrewWorkOrderRequest request;
  request.set_crew_id(crew_id);
  request.set_work_order_id(order_id);
  dv1::WorkOrder out;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  if (verb == "accept") return stub_->AcceptWorkOrder(&context, request, &out);
  if (verb == "arrive") return stub_->ArriveAtWorkOrder(&context, request, &out);
  return stub_->CompleteWorkOrder(&context, request, &out);
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
    while (!stop_ && reader->Read(&event)) {
      const auto& order = event.work_order();
      if (event.change() != dv1::ASSIGNMENT_CHANGE_ASSIGNED || crews_.count(order.crew_id()) == 0) continue;
      print_(absl::StrCat("ASSIGNED  ", order.id(), " to ", order.crew_id(), " (", order.skill(), ", ETA ",
                          std::lround(order.eta_s() / 60), " min) for ", order.incident_id(), ": ", order.title()));
      if (auto s = Send("accept", order.crew_id(), order.id()); !s.ok()) {
        spdlog::warn("crew {} cannot accept {}: {}", order.crew_id(), order.id(), s.error_message());
        continue;
      }
      const double travel_s = std::min(order.eta_s(), 300.0) / speed_;
      const auto travel = std::chrono::milliseconds(static_cast<int64_t>(travel_s * 1000));
      const double lat = order.location().lat(), lon = order.location().lon();
      if (auto v = vehicle_of_.find(order.crew_id()); v != vehicle_of_.end()) {
        const auto now = std::chrono::steady_clock::now();
        tracks_.Drive(v->second, lat, lon, now, now + travel);
      }
      Schedule(travel, {"arrive", order.crew_id(), order.id(), lat, lon});
    }
    reader->Finish();
    {
      std::lock_guard lock(watch_mutex_);
      watch_context_ = nullptr;
    }
    if (!stop_) std::this_thread::sleep_for(std::chrono::seconds(1));  // dispatch restarting: watch again
  }
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
    lock.unlock();
    const auto status = Send(action.verb, action.crew_id, action.order_id);
    if (!status.ok()) {
      // Cancelled (its incident resolved) or taken away: nothing more to do.
      spdlog::info("crew {}: {} {}: {}", action.crew_id, action.verb, action.order_id, status.error_message());
    } else if (action.verb == "arrive") {
      print_(absl::StrCat("ARRIVED   ", action.order_id, " ", action.crew_id));
      if (auto v = vehicle_of_.find(action.crew_id); v != vehicle_of_.end()) {
        tracks_.Park(v->second, action.lat, action.lon);
      }
      Schedule(std::chrono::milliseconds(static_cast<int64_t>(120'000 / speed_)),
               {"complete", action.crew_id, action.order_id});
    } else {
      ++completed_;
      print_(absl::StrCat("COMPLETED ", action.order_id, " ", action.crew_id));
    }
    lock.lock();
  }
}

}  // namespace cityops::sim
