#include "crew_player.h"

#include <atomic>
#include <map>
#include <stdexcept>
#include <utility>

namespace cityops::bench {

namespace dv1 = dispatch::v1;

std::shared_ptr<grpc::Channel> ConnectDispatch(int port) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  auto channel =
      grpc::CreateCustomChannel("127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials(), args);
  if (!channel->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(10))) {
    throw std::runtime_error("cannot connect to crew-dispatch's gRPC port");
  }
  return channel;
}

json CreateCrews(const std::shared_ptr<grpc::Channel>& channel, const std::vector<sim::CrewPlan>& plans) {
  auto stub = dv1::CrewDispatch::NewStub(channel);
  std::atomic<size_t> next{0};
  std::mutex mutex;
  std::string error;
  std::vector<double> call_ms;
  const auto started = SteadyClock::now();
  std::vector<std::thread> threads;
  threads.reserve(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (size_t i; (i = next++) < plans.size();) {
        const sim::CrewPlan& p = plans[i];
        dv1::UpsertCrewRequest request;
        dv1::Crew* crew = request.mutable_crew();
        crew->set_id(p.id);
        crew->set_name(p.name);
        for (const auto& s : p.skills) crew->add_skills(s);
        crew->set_vehicle_id(p.vehicle_id);
        crew->mutable_home_base()->set_lat(p.lat);
        crew->mutable_home_base()->set_lon(p.lon);
        crew->set_status(dv1::CREW_STATUS_AVAILABLE);
        dv1::Crew answer;
        const auto t0 = SteadyClock::now();
        const auto s = WithDeadline([&](grpc::ClientContext* c) { return stub->UpsertCrew(c, request, &answer); });
        const double ms = Millis((SteadyClock::now() - t0).count());
        std::lock_guard lock(mutex);
        call_ms.push_back(ms);
        if (!s.ok() && error.empty()) error = "UpsertCrew " + p.id + ": " + s.error_message();
      }
    });
  }
  for (auto& t : threads) t.join();
  if (!error.empty()) throw std::runtime_error(error);
  const double s = Seconds(SteadyClock::now() - started);
  return {{"crews", plans.size()},
          {"seconds", Round3(s)},
          {"crews_per_s", Round1(static_cast<double>(plans.size()) / s)},
          {"upsert_ms", Summary(call_ms)}};
}

size_t AvailableCrews(const std::shared_ptr<grpc::Channel>& channel) {
  auto stub = dv1::CrewDispatch::NewStub(channel);
  dv1::ListCrewsRequest request;
  request.add_statuses(dv1::CREW_STATUS_AVAILABLE);
  dv1::ListCrewsResponse answer;
  const auto s = WithDeadline([&](grpc::ClientContext* c) { return stub->ListCrews(c, request, &answer); });
  if (!s.ok()) throw std::runtime_error("ListCrews: " + s.error_message());
  return static_cast<size_t>(answer.crews_size());
}

json CrewsJson(const std::vector<sim::CrewPlan>& plans) {
  std::map<std::string, size_t> by_skill;
  for (const auto& p : plans) {
    for (const auto& s : p.skills) ++by_skill[s];
  }
  return {{"count", plans.size()}, {"by_skill", by_skill}};
}

json DispatchCounters(int metrics_port) {
  return ScrapeCounters(
      metrics_port, kDispatchMetric,
      {"assignment_changes_total", "messages_set_aside_total", "apply_failures_total", "inputs_replayed_total",
       "target_breaches_total", "outbox_published_total", "kafka_delivery_failures_total", "queue_length", "crews"});
}

// ------------------------------------------------------------------ the crews' app

CrewPlayer::CrewPlayer(const std::shared_ptr<grpc::Channel>& channel, double job_s, uint64_t seed, int threads)
    : stub_(dv1::CrewDispatch::NewStub(channel)), job_s_(job_s), rng_(seed) {
  for (int t = 0; t < threads; ++t) threads_.emplace_back([this] { Run(); });
}

CrewPlayer::~CrewPlayer() { Stop(); }

void CrewPlayer::Assigned(const std::string& crew, const std::string& order) {
  std::lock_guard lock(mutex_);
  Schedule(kAccept, crew, order, std::uniform_real_distribution<double>(0.5, 1.5)(rng_));
}

void CrewPlayer::Stop() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
}

json CrewPlayer::Report() {
  std::lock_guard lock(mutex_);
  json out = json::object();
  for (int step = 0; step < 3; ++step) {
    out[kStepNames[step]] = {{"ok", ok_[step]}, {"refused", refused_[step]}, {"ms", Summary(ms_[step])}};
  }
  out["left_in_progress"] = due_.size();
  out["refusals"] = refusals_;
  return out;
}

json CrewPlayer::LateMs() {
  std::lock_guard lock(mutex_);
  return Summary(late_ms_);
}

void CrewPlayer::Schedule(int step, const std::string& crew, const std::string& order, double after_s) {
  due_.push(
      {SteadyClock::now() + std::chrono::duration_cast<SteadyClock::duration>(std::chrono::duration<double>(after_s)),
       step, crew, order});
  cv_.notify_one();
}

void CrewPlayer::Run() {
  std::unique_lock lock(mutex_);
  while (!stop_) {
    if (due_.empty()) {
      cv_.wait(lock);
      continue;
    }
    if (SteadyClock::now() < due_.top().due) {
      cv_.wait_until(lock, due_.top().due);
      continue;
    }
    const Job job = due_.top();
    due_.pop();
    late_ms_.push_back(Millis((SteadyClock::now() - job.due).count()));
    lock.unlock();
    dv1::CrewWorkOrderRequest request;
    request.set_crew_id(job.crew);
    request.set_work_order_id(job.order);
    dv1::WorkOrder answer;
    const auto t0 = SteadyClock::now();
    const auto s = WithDeadline([&](grpc::ClientContext* c) {
      switch (job.step) {
        case kAccept:
          return stub_->AcceptWorkOrder(c, request, &answer);
        case kArrive:
          return stub_->ArriveAtWorkOrder(c, request, &answer);
        default:
          return stub_->CompleteWorkOrder(c, request, &answer);
      }
    });
    const double ms = Millis((SteadyClock::now() - t0).count());
    lock.lock();
    ms_[job.step].push_back(ms);
    if (!s.ok()) {
      // Cancelled (its incident merged or resolved) or taken away (preempted)
      // meanwhile: nothing more for this crew to do.
      ++refused_[job.step];
      if (refusals_.size() < 10) refusals_.push_back(std::string(kStepNames[job.step]) + ": " + s.error_message());
    } else {
      ++ok_[job.step];
      if (job.step != kComplete) {
        Schedule(job.step + 1, job.crew, job.order, job_s_ * std::uniform_real_distribution<double>(0.3, 0.7)(rng_));
      }
    }
  }
}

}  // namespace cityops::bench
