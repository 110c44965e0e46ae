#pragma once

// The residents on the phone: places the call line's calls (the daily flow
// and the scenario's) with resident-calls (CreateRequest, recorded by
// "city-sim" as an operator would, retrying UNAVAILABLE a few times), and
// follows what becomes of them by polling ListRequests for the requests
// updated since the last poll: one line when a request is linked to an
// incident, when its status moves on, and when it is closed.

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

#include "call_line.h"
#include "cityops/calls/v1/resident_calls.grpc.pb.h"

namespace cityops::sim {

// What became of the calls placed, for the progress lines and the report.
// Each request counts once in each line (a request linked, relinked to
// another incident, then closed is one linked and one closed).
struct CallStats {
  uint64_t placed = 0;           // calls the agent made (received + rejected + failed, once answered)
  uint64_t received = 0;         // accepted by resident calls (a request created, or already recorded for the key)
  uint64_t sent = 0;             // the same as received (the older name)
  uint64_t rejected = 0;         // refused by resident-calls (INVALID_ARGUMENT...)
  uint64_t failed = 0;           // not answered (UNAVAILABLE after the retries, deadline...)
  uint64_t linked = 0;           // requests linked to an incident
  uint64_t linked_to_known = 0;  // of which to an incident open before the call
  uint64_t closed = 0;           // requests closed
};

struct CallAgentSettings {
  std::string recorded_by = "city-sim";
  // Told to resident-calls in the "cityops-role" metadata.
  std::string role = "operator";
  // Makes the idempotency keys of this run its own ("city-sim-<run_id>-<n>").
  std::string run_id;
  std::chrono::milliseconds poll_every{std::chrono::seconds(3)};
  std::chrono::milliseconds deadline{std::chrono::seconds(5)};
  // UNAVAILABLE (or a deadline) is tried again this many times, after 0.5 s,
  // 1 s, 2 s...
  int retries = 3;
};

class CallAgent {
 public:
  using Print = std::function<void(const std::string&)>;

  CallAgent(const std::shared_ptr<grpc::Channel>& channel, const CallLine& line,
            std::vector<ResidentCall> scenario_calls, CallAgentSettings settings, Print print);
  ~CallAgent();
  CallAgent(const CallAgent&) = delete;
  CallAgent& operator=(const CallAgent&) = delete;

  // Starts calling; the calls' times count from `origin` (when the
  // simulation started streaming). Once.
  void Start(std::chrono::steady_clock::time_point origin);
  void Stop();
  // After Stop: polls resident calls once more, so that stats() counts the
  // links and closures since the last poll (for the final report). Waits
  // `settings.deadline` per page at most.
  void Refresh();
  CallStats stats() const;

 private:
  struct Tracked {
    std::string category;
    calls::v1::RequestStatus status = calls::v1::REQUEST_STATUS_OPEN;
    std::string incident_id;
    int64_t version = 0;
    bool counted_linked = false;
  };

  void Run(std::chrono::steady_clock::time_point origin);
  void Place(const ResidentCall& call);
  void Poll();
  void Follow(const calls::v1::ResidentRequest& request);
  // Sleeps until `until` or Stop; false when stopping.
  bool SleepUntil(std::chrono::steady_clock::time_point until);

  std::unique_ptr<calls::v1::ResidentCalls::Stub> stub_;
  CallLine line_;
  std::vector<ResidentCall> scenario_calls_;
  CallAgentSettings settings_;
  Print print_;

  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::condition_variable cv_;
  std::thread thread_;

  std::atomic<uint64_t> placed_{0}, received_{0}, rejected_{0}, failed_{0}, linked_{0}, linked_to_known_{0}, closed_{0};
  // Only the agent's thread touches these (Refresh: after Stop).
  std::map<std::string, Tracked> tracked_;  // open requests of ours, by id
  std::chrono::system_clock::time_point last_poll_{};
  std::string last_poll_error_;
};

}  // namespace cityops::sim
