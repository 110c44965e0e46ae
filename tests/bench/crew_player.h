#pragma once

// crew-dispatch's crews as dispatch_bench and pipeline_bench drive them over
// gRPC: a channel to the service, the simulator's crews created in it and
// counted back, the crews' app played (every order assigned is accepted,
// arrived at and completed), and the service's counters the benches report.
// One copy, so that both benches play the crews the same way.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <queue>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "bench_support.h"
#include "cityops/dispatch/v1/crew_dispatch.grpc.pb.h"
#include "crews.h"

namespace cityops::bench {

// The prefix of crew-dispatch's metrics.
inline const std::string kDispatchMetric = "cityops_crew_dispatch_";

// A channel to crew-dispatch's gRPC port on 127.0.0.1, connected (10 s at
// most, then it throws).
std::shared_ptr<grpc::Channel> ConnectDispatch(int port);

// Runs `call(&context)` with a 10 s deadline.
template <typename Call>
grpc::Status WithDeadline(Call&& call) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  return call(&context);
}

// Every crew created (UpsertCrew: available, at its vehicle's place), four
// calls at a time; throws on the first refusal. Returns {"crews", "seconds",
// "crews_per_s", "upsert_ms"}.
json CreateCrews(const std::shared_ptr<grpc::Channel>& channel, const std::vector<sim::CrewPlan>& plans);

// How many crews the service lists as available.
size_t AvailableCrews(const std::shared_ptr<grpc::Channel>& channel);

// {"count", "by_skill"} of the crews planned.
json CrewsJson(const std::vector<sim::CrewPlan>& plans);

// crew-dispatch's counters the benches report (assignment changes, messages
// set aside, apply failures, inputs replayed, target breaches, outbox,
// delivery failures, queue length, crews), as ScrapeCounters gives them.
json DispatchCounters(int metrics_port);

// The crews' app, played by the bench: every order assigned is accepted
// (after 0.5..1.5 s), arrived at and completed (each after 0.3..0.7 x
// `job_s`), over gRPC, by `threads` threads. How late each call was against
// its due time is kept, so a player that cannot keep up shows.
class CrewPlayer {
 public:
  CrewPlayer(const std::shared_ptr<grpc::Channel>& channel, double job_s, uint64_t seed, int threads);
  ~CrewPlayer();
  CrewPlayer(const CrewPlayer&) = delete;
  CrewPlayer& operator=(const CrewPlayer&) = delete;

  // An ASSIGNED event for `crew` and `order` was read: plays the job.
  void Assigned(const std::string& crew, const std::string& order);
  // Stops the threads; the jobs still due stay undone.
  void Stop();
  // {"accept", "arrive", "complete": {"ok", "refused", "ms"}, "left_in_progress", "refusals"}.
  json Report();
  // Summary of how late each call was against its due time (ms).
  json LateMs();
  size_t threads() const { return threads_.size(); }

 private:
  enum Step { kAccept = 0, kArrive = 1, kComplete = 2 };
  static constexpr const char* kStepNames[] = {"accept", "arrive", "complete"};
  struct Job {
    SteadyClock::time_point due;
    int step;
    std::string crew, order;
    bool operator>(const Job& other) const { return due > other.due; }
  };

  void Schedule(int step, const std::string& crew, const std::string& order, double after_s);
  void Run();

  std::unique_ptr<dispatch::v1::CrewDispatch::Stub> stub_;
  double job_s_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::mt19937_64 rng_;
  std::priority_queue<Job, std::vector<Job>, std::greater<>> due_;
  size_t ok_[3] = {0, 0, 0};
  size_t refused_[3] = {0, 0, 0};
  std::vector<double> ms_[3];
  std::vector<double> late_ms_;
  std::vector<std::string> refusals_;
  std::vector<std::thread> threads_;
};

}  // namespace cityops::bench
