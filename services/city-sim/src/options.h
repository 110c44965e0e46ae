#pragma once

// The simulator's settings, from flags and CITYOPS_* variables (common::Config).

#include <chrono>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "city.h"
#include "cityops/common/config.h"
#include "scenario.h"

namespace cityops::sim {

// Which scenario to play, and where the shipped ones are.
struct ScenarioParams {
  // "none", a shipped name, or a path to a .json file.
  std::string name = kScenarioNone;
  // The folder of shipped scenarios; empty: found from the binary's place.
  std::string dir;
  // Replaces the targets marked fault_asset (the cabinet, the site, the
  // school's panel) when not empty.
  std::string fault_asset;
  // Print the shipped scenarios and exit.
  bool list = false;
};

struct SimOptions {
  CityParams city;
  // How many times faster than real time the assets report.
  double speed = 1.0;
  std::string ingest_address = "127.0.0.1:50051";
  // Crew dispatch: the crews are created there and play out their work
  // orders. Empty: no crews.
  std::string dispatch_address;
  // Lighting control: the light points obey its commands. Empty: they follow
  // a built-in schedule.
  std::string lighting_address;
  // Resident calls: the residents call it (CreateRequest) and the simulator
  // follows their requests. Empty: no calls.
  std::string calls_address = "127.0.0.1:50055";
  // Resident calls per simulated day (sped up by `speed`); 0: only the
  // scenario's calls.
  double calls_per_day = 600;
  std::string kafka_bootstrap = "127.0.0.1:19092";
  std::string topic_prefix;
  // Watch the faults topic and print each fault event.
  bool watch_faults = true;
  ScenarioParams scenario;
  // Register the city and exit.
  bool register_only = false;
  // Stop by itself after this long (0: run until SIGINT/SIGTERM).
  std::chrono::milliseconds duration{0};
  std::chrono::milliseconds log_every{std::chrono::seconds(10)};
  // Readings per batch sent on the stream, at most.
  int batch_max = 5000;
  std::string log_level = "info";
  // Where the report of the run is written (JSON) when the simulator stops,
  // and on SIGUSR2; its table goes to stdout. Empty: no report.
  std::string report_path;
};

// INVALID_ARGUMENT naming the setting when one is malformed or out of range.
absl::StatusOr<SimOptions> LoadOptions(const common::Config& config);

extern const char* const kUsage;

}  // namespace cityops::sim
