#pragma once

// The simulator's run: wait for telemetry-ingest, register the city, then
// stream every asset's readings at its interval and play the scenario,
// reporting progress every few seconds.

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "call_agent.h"
#include "field_levels.h"
#include "vehicle_tracks.h"

#include "absl/status/status.h"
#include "city.h"
#include "cityops/common/clock.h"
#include "cityops/dispatch/v1/dispatch.pb.h"
#include "fault_watcher.h"
#include "ingest_client.h"
#include "reading_streamer.h"
#include "scenario.h"

namespace cityops::sim {

struct SimulationSettings {
  double speed = 1.0;
  size_t batch_max = 5000;
  std::chrono::milliseconds log_every{std::chrono::seconds(10)};
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(60)};
  bool register_only = false;
  // The crews' vehicles, when crews are played: each reading of a vehicle
  // there comes with its "position" reading.
  const VehicleTracks* tracks = nullptr;
  // The light points' commanded levels, when lighting control is watched.
  FieldLevels* field = nullptr;
  // The residents' calls, when they call: started with the stream (the
  // scenario's calls are timed as its steps), their totals in the progress
  // lines.
  CallAgent* calls = nullptr;
  // Return from Run when the scenario's duration is over (the faults it left
  // open cleared), rather than waiting for `stop`.
  bool stop_at_end = false;
  // With stop_at_end: once the scenario is over, go on until this says the
  // platform has settled (the incidents it opened resolved: they resolve a
  // hold time after their equipment recovered), `settle_max` at most.
  std::function<bool()> settled;
  std::chrono::milliseconds settle_max{std::chrono::seconds(90)};
};

class Simulation {
 public:
  using Print = std::function<void(const std::string&)>;

  // `watcher` may be null (faults not watched).
  Simulation(const City& city, const Scenario& scenario, IngestClient& client, ReadingStreamer& streamer,
             const FaultWatcher* watcher, const common::Clock& clock, SimulationSettings settings, Print print);

  // Runs until `stop` turns true (or registration fails, or the scenario is
  // over with stop_at_end). On the way out, the faults the scenario raised
  // and has not cleared yet are cleared, so that the city is left healthy.
  absl::Status Run(const std::atomic<bool>& stop);

  // A simulated crew completed a work order (called from the crew agent's
  // thread): the readings loop clears the scenario's fault it repaired (the
  // one on its incident's asset, else the nearest within kRepairRadiusM).
  void OnWorkOrderCompleted(const dispatch::v1::WorkOrder& order);

  // True once the scenario is over (never for none): its duration passed and
  // no fault of it waits for a crew's repair any more. Thread-safe.
  bool scenario_ended() const { return ended_.load(); }

 private:
  struct Repair {
    std::string order_id;
    std::string crew_id;
    std::string incident_id;
    std::string incident_asset;
    std::optional<std::pair<double, double>> where;
  };

  void ApplyStep(const ScenarioStep& step, const std::string& why = {});
  void ApplyRepairs();
  void CheckRamps(std::chrono::milliseconds elapsed);
  void ClearOpen(const std::string& why);
  void LogProgress(std::chrono::steady_clock::duration since_start);

  const City& city_;
  const Scenario& scenario_;
  IngestClient& client_;
  ReadingStreamer& streamer_;
  const FaultWatcher* watcher_;
  const common::Clock& clock_;
  SimulationSettings settings_;
  Print print_;

  std::vector<bool> silenced_;
  std::set<size_t> open_;             // fault ids raised by the scenario, not cleared yet
  std::set<size_t> children_raised_;  // fault ids whose children reported it
  std::vector<bool> ramp_past_;       // by ramp: past its mark (its fault raised)
  std::unordered_map<size_t, std::vector<size_t>> ramps_of_asset_;
  std::atomic<bool> ended_{false};
  std::chrono::steady_clock::time_point ended_at_{};
  std::mutex repairs_mutex_;
  std::vector<Repair> repairs_;  // handed over by the crew agent's thread
  uint64_t last_sent_ = 0;
  std::string last_error_;
};

}  // namespace cityops::sim
