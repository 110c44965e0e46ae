#pragma once

// Scenario files: services/city-sim/scenarios/<name>.json, read and checked
// strictly into a ScenarioSpec (scenario.h). Errors are INVALID_ARGUMENT
// "<file>:<line>: <field>: <what is wrong>". The format is described in
// services/city-sim/README.md.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "call_line.h"
#include "scenario.h"

namespace cityops::sim {

// Parses a scenario's JSON text; `source` names it in errors. When
// `expected_name` is not empty, the file's "name" must equal it.
absl::StatusOr<ScenarioSpec> ParseScenario(std::string_view text, const std::string& source,
                                           const std::string& expected_name = {});

// "30s", "5m", "1h", "250ms", "1h30m": a duration, or nullopt.
std::optional<std::chrono::milliseconds> ParseScenarioDuration(std::string_view text);

// The folder of the shipped scenarios: `flag` when not empty; else the
// first that holds scenario files among `candidates` (see
// DefaultScenarioDirs); empty when none does.
std::string FindScenarioDir(const std::string& flag, const std::vector<std::string>& candidates);

// Where to look for the shipped scenarios from the running binary at
// `exe_path`: <exe dir>/../share/cityops/scenarios (an installed layout),
// <exe dir>/scenarios, then the source folder the build compiled in.
std::vector<std::string> DefaultScenarioDirs(const std::string& exe_path);

// `name` is "none", a shipped name (a file <name>.json in `dir`), or a path
// to a .json file. INVALID_ARGUMENT naming the shipped ones when unknown.
absl::StatusOr<ScenarioSpec> LoadScenario(const std::string& name, const std::string& dir);

// The shipped scenarios in `dir`: (name, description), by name. Files that
// do not load are listed with their error as description.
std::vector<std::pair<std::string, std::string>> ListScenarios(const std::string& dir);

}  // namespace cityops::sim
