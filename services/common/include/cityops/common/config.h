#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace cityops::common {

// A service's settings. Each setting has a kebab-case name ("kafka-bootstrap");
// it is read from the environment variable CITYOPS_<UPPER_SNAKE> (CITYOPS_KAFKA_BOOTSTRAP)
// and a command-line flag --<name>=<value> (or --<name> <value>) overrides it.
// Every flag needs a value (--verbose=true, not --verbose); underscores in
// flag names are read as dashes.
class Config {
 public:
  // Reads the CITYOPS_* variables of envp (nullptr: the process environment)
  // and the flags of argv. A malformed flag is an INVALID_ARGUMENT error.
  static absl::StatusOr<Config> Load(int argc, const char* const* argv, const char* const* envp = nullptr);
  // For tests: settings given by name.
  static Config FromMap(std::map<std::string, std::string, std::less<>> values);

  bool Has(std::string_view name) const;
  std::string GetString(std::string_view name, std::string_view fallback) const;
  // NOT_FOUND naming the variable and the flag when the setting is absent.
  absl::StatusOr<std::string> GetRequired(std::string_view name) const;
  // INVALID_ARGUMENT naming the setting when present but not a number.
  absl::StatusOr<int64_t> GetInt(std::string_view name, int64_t fallback) const;
  absl::StatusOr<double> GetDouble(std::string_view name, double fallback) const;
  // true/false/1/0/yes/no.
  absl::StatusOr<bool> GetBool(std::string_view name, bool fallback) const;
  // "250ms", "2s", "5m", "1h" or a bare number of milliseconds.
  absl::StatusOr<std::chrono::milliseconds> GetDuration(std::string_view name,
                                                        std::chrono::milliseconds fallback) const;

  // "kafka-bootstrap" -> "CITYOPS_KAFKA_BOOTSTRAP".
  static std::string EnvName(std::string_view name);

 private:
  std::map<std::string, std::string, std::less<>> values_;
};

}  // namespace cityops::common
