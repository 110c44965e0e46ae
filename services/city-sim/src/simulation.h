#pragma once

// The simulator's run: wait for telemetry-ingest, register the city, then
// stream every asset's readings at its interval and play the scenario,
// reporting progress every few seconds.

#include <atomic>
#include <chrono>
#include <functional>
#include <string>

#include "call_agent.h"
#include "field_levels.h"
#include "vehicle_tracks.h"

#include "absl/status/status.h"
#include "city.h"
#include "cityops/common/clock.h"
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
};

class Simulation {
 public:
  using Print = std::function<void(const std::string&)>;

  // `watcher` may be null (faults not watched).
  Simulation(const City& city, const Scenario& scenario, IngestClient& client, ReadingStreamer& streamer,
             const FaultWatcher* watcher, const common::Clock& clock, SimulationSettings settings, Print print);

  // Runs until `stop` turns true (or registration fails). On the way out, a
  // fault the scenario raised and has not cleared yet is cleared, so that the
  // city is left healthy.
  absl::Status Run(const std::atomic<bool>& stop);

 private:
  void ApplyStep(const ScenarioStep& step);
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
  const ScenarioStep* open_fault_ = nullptr;  // raised by the scenario, not cleared yet
  uint64_t last_sent_ = 0;
  std::string last_error_;
};

}  // namespace cityops::sim
