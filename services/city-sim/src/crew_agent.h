#pragma once

// The simulated crews' app: registers the city's crews with crew dispatch,
// watches their assignments (WatchAssignments), and plays each one out:
// accept at once, arrive after CrewTravelSeconds(ETA) (at least 90 s, at
// most 5 min, of simulated time: divided by --speed), complete after
// kCrewWorkS (2 min, divided by --speed). Its vehicles drive there in
// `tracks` (whose positions the readings loop sends as telemetry).
//
// A crew taken from its order (PREEMPTED, then ASSIGNED to a more urgent
// one) abandons it and drives from where it is to the new one, printing
// "<crew> preempted from <order> for <order>"; a crew whose order is
// CANCELLED (its incident resolved) stops where it is. The steps still
// timed for an abandoned order are dropped (CrewBoard's generations).
//
// Crisis staging: every few seconds (SetStagingPoll) the agent reads the
// crews (ListCrews), and after each completed order the crew's own record
// (GetCrew). An idle crew staged at a point (Crew.staging.position) drives
// there in the same travel time as to an order (CrewTravelSeconds of the
// estimate from where it is), prints "STAGED <crew> ...", reports the point
// through UpdateCrewPosition and waits there; an order takes it away as
// usual, and after completing it a crew still staged drives back. A crew
// released (no staging any more) stays where it is.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
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
  using OnCompleted = std::function<void(const dispatch::v1::WorkOrder&)>;

  CrewAgent(const std::shared_ptr<grpc::Channel>& channel, double speed, VehicleTracks& tracks,
            std::function<void(const std::string&)> print);
  ~CrewAgent();
  CrewAgent(const CrewAgent&) = delete;
  CrewAgent& operator=(const CrewAgent&) = delete;

  // Called with the work order (as CompleteWorkOrder returned it) after a
  // crew completed it, on the agent's thread (the simulation clears the
  // fault the crew repaired). Set before Start.
  void SetOnCompleted(OnCompleted on_completed) { on_completed_ = std::move(on_completed); }
  // How often idle crews' staging is read (real time). Set before Start.
  void SetStagingPoll(std::chrono::milliseconds every) { staging_poll_ = every; }

  // Creates (or updates) every crew, available at its home base.
  absl::Status RegisterCrews(const std::vector<CrewPlan>& crews);
  void Start();
  void Stop();

  // Work orders completed, and crews taken from an order for another.
  uint64_t completed() const { return completed_.load(); }
  uint64_t preempted() const { return preempted_.load(); }
  // Arrivals at staging points.
  uint64_t staged() const { return staged_.load(); }

 private:
  struct Action {
    std::string verb;  // arrive, complete; stage (arrival at a staging point)
    std::string crew_id;
    std::string order_id;
    uint64_t generation = 0;  // CrewBoard's (stage: the trip's number): dropped when the crew moved on
    double lat = 0, lon = 0;  // the order's place (or the staging point)
  };
  // An idle crew's drive to its staging point (then its wait there).
  struct StagingTrip {
    double lat = 0, lon = 0;
    uint64_t number = 0;
    bool arrived = false;
  };
  void Watch();
  void Handle(const dispatch::v1::AssignmentEvent& event);
  void Work();
  void Schedule(std::chrono::steady_clock::duration after, Action action);
  bool Current(const Action& action);
  void StopVehicle(const std::string& crew_id);
  grpc::Status Send(const std::string& verb, const std::string& crew_id, const std::string& order_id,
                    dispatch::v1::WorkOrder* out);
  std::chrono::steady_clock::duration Simulated(double seconds) const;
  // Staging: reads the crews every staging_poll_; one crew after its order.
  void Poll();
  void CheckStaging(const std::string& crew_id);
  // An idle crew of ours drives to its staging point, or (released) stops going there.
  void FollowStaging(const dispatch::v1::Crew& crew);
  // A stage action came due (mutex_ held): whether the crew is still on that trip.
  bool ArrivedAtStaging(const Action& action);
  void ReportPosition(const std::string& crew_id, double lat, double lon);

  std::unique_ptr<dispatch::v1::CrewDispatch::Stub> stub_;
  double speed_;
  VehicleTracks& tracks_;
  std::function<void(const std::string&)> print_;
  OnCompleted on_completed_;
  std::map<std::string, std::string> vehicle_of_;  // crew id -> vehicle id
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> completed_{0};
  std::atomic<uint64_t> preempted_{0};
  std::atomic<uint64_t> staged_{0};
  std::chrono::milliseconds staging_poll_{5000};
  std::mutex mutex_;  // guards board_, due_ and trips_
  std::condition_variable cv_;
  CrewBoard board_;
  std::multimap<std::chrono::steady_clock::time_point, Action> due_;
  std::map<std::string, StagingTrip> trips_;  // crew id -> its staging trip
  uint64_t next_trip_ = 1;
  std::mutex watch_mutex_;
  grpc::ClientContext* watch_context_ = nullptr;
  std::thread watcher_;
  std::thread worker_;
  std::thread poller_;
};

}  // namespace cityops::sim
