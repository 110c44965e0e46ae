#pragma once

// The simulated crews' app: registers the city's crews with crew dispatch,
// watches their assignments, and plays each one out: accept at once, arrive
// after the estimated travel time (at most 5 minutes, divided by --speed),
// complete after 2 minutes of work (divided by --speed). Its vehicles drive
// there in `tracks` (whose positions the readings loop sends as telemetry).

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/status/status.h"
#include "cityops/dispatch/v1/crew_dispatch.grpc.pb.h"
#include "crews.h"
#include "vehicle_tracks.h"

namespace cityops::sim {

class CrewAgent {
 public:
  CrewAgent(const std::shared_ptr<grpc::Channel>& channel, double speed, VehicleTracks& tracks,
            std::function<void(const std::string&)> print);
  ~CrewAgent();
  CrewAgent(const CrewAgent&) = delete;
  CrewAgent& operator=(const CrewAgent&) = delete;

  // Creates (or updates) every crew, available at its home base.
  absl::Status RegisterCrews(const std::vector<CrewPlan>& crews);
  void Start();
  void Stop();
  uint64_t completed() const { return completed_.load(); }

 private:
  struct Action {
    std::string verb;  // arrive, complete
    std::string crew_id;
    std::string order_id;
    double lat = 0, lon = 0;  // the order's place
  };
  void Watch();
  void Work();
  void Schedule(std::chrono::steady_clock::duration after, Action action);
  grpc::Status Send(const std::string& verb, const std::string& crew_id, const std::string& order_id);

  std::unique_ptr<dispatch::v1::CrewDispatch::Stub> stub_;
  double speed_;
  VehicleTracks& tracks_;
  std::function<void(const std::string&)> print_;
  std::set<std::string> crews_;
  std::map<std::string, std::string> vehicle_of_;  // crew id -> vehicle id
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> completed_{0};
  std::mutex mutex_;
  std::condition_variable cv_;
  std::multimap<std::chrono::steady_clock::time_point, Action> due_;
  std::mutex watch_mutex_;
  grpc::ClientContext* watch_context_ = nullptr;
  std::thread watcher_;
  std::thread worker_;
};

}  // namespace cityops::sim
