#include "cityops/common/config.h"

#include <cctype>
#include <cmath>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

extern char** environ;

namespace cityops::common {
namespace {

constexpr std::string_view kEnvPrefix = "CITYOPS_";

// "KAFKA_BOOTSTRAP" -> "kafka-bootstrap".
std::string NameFromEnv(std::string_view env_suffix) {
  std::string name;
  name.reserve(env_suffix.size());
  for (char c : env_suffix) {
    name.push_back(c == '_' ? '-' : absl::ascii_tolower(static_cast<unsigned char>(c)));
  }
  return name;
}

bool IsValidName(std::string_view name) {
  if (name.empty() || name.front() == '-') return false;
  for (char c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (!absl::ascii_isalnum(u) && c != '-') return false;
  }
  return true;
}

// Flags may be spelt with underscores or capitals: --kafka_bootstrap, --Kafka-Bootstrap.
std::string NormaliseFlagName(std::string_view flag) {
  std::string name;
  name.reserve(flag.size());
  for (char c : flag) {
    name.push_back(c == '_' ? '-' : absl::ascii_tolower(static_cast<unsigned char>(c)));
  }
  return name;
}

std::string Describe(std::string_view name) {
  const std::string n(name);
  return "setting '" + n + "' (" + Config::EnvName(name) + " or --" + n + ")";
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && absl::ascii_isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && absl::ascii_isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  return text;
}

// Removes suffix from text if it ends with it.
bool ConsumeSuffix(std::string_view* text, std::string_view suffix) {
  if (!text->ends_with(suffix)) return false;
  text->remove_suffix(suffix.size());
  return true;
}

}  // namespace

std::string Config::EnvName(std::string_view name) {
  std::string env(kEnvPrefix);
  for (char c : name) {
    env.push_back(c == '-' ? '_' : absl::ascii_toupper(static_cast<unsigned char>(c)));
  }
  return env;
}

absl::StatusOr<Config> Config::Load(int argc, const char* const* argv, const char* const* envp) {
  Config config;
  const char* const* env = envp != nullptr ? envp : environ;
  for (; env != nullptr && *env != nullptr; ++env) {
    std::string_view entry(*env);
    if (!entry.starts_with(kEnvPrefix)) continue;
    const auto eq = entry.find('=');
    if (eq == std::string_view::npos) continue;
    const std::string_view key = entry.substr(kEnvPrefix.size(), eq - kEnvPrefix.size());
    if (key.empty()) continue;
    config.values_[NameFromEnv(key)] = std::string(entry.substr(eq + 1));
  }
  // Flags override the environment.
  for (int i = 1; i < argc; ++i) {
    std::string_view arg(argv[i]);
    if (!arg.starts_with("--")) {
      return absl::InvalidArgumentError(
          absl::StrCat("unexpected argument '", argv[i], "': settings are given as --name=value"));
    }
    arg.remove_prefix(2);
    std::string name;
    std::string value;
    const auto eq = arg.find('=');
    if (eq != std::string_view::npos) {
      name = NormaliseFlagName(arg.substr(0, eq));
      value = std::string(arg.substr(eq + 1));
    } else {
      name = NormaliseFlagName(arg);
      if (i + 1 >= argc || std::string_view(argv[i + 1]).starts_with("--")) {
        return absl::InvalidArgumentError(absl::StrCat("flag --", name, " needs a value"));
      }
      value = argv[++i];
    }
    if (!IsValidName(name)) {
      return absl::InvalidArgumentError(absl::StrCat("malformed flag '", argv[i], "'"));
    }
    config.values_[name] = std::move(value);
  }
  return config;
}

Config Config::FromMap(std::map<std::string, std::string, std::less<>> values) {
  Config config;
  config.values_ = std::move(values);
  return config;
}

bool Config::Has(std::string_view name) const { return values_.find(name) != values_.end(); }

std::string Config::GetString(std::string_view name, std::string_view fallback) const {
  const auto it = values_.find(name);
  return it == values_.end() ? std::string(fallback) : it->second;
}

absl::StatusOr<std::string> Config::GetRequired(std::string_view name) const {
  const auto it = values_.find(name);
  if (it == values_.end() || it->second.empty()) {
    return absl::NotFoundError(absl::StrCat("missing ", Describe(name)));
  }
  return it->second;
}

absl::StatusOr<int64_t> Config::GetInt(std::string_view name, int64_t fallback) const {
  const auto it = values_.find(name);
  if (it == values_.end()) return fallback;
  int64_t value = 0;
  if (!absl::SimpleAtoi(it->second, &value)) {
    return absl::InvalidArgumentError(absl::StrCat(Describe(name), " is not an integer: '", it->second, "'"));
  }
  return value;
}

absl::StatusOr<double> Config::GetDouble(std::string_view name, double fallback) const {
  const auto it = values_.find(name);
  if (it == values_.end()) return fallback;
  double value = 0;
  if (!absl::SimpleAtod(it->second, &value) || !std::isfinite(value)) {
    return absl::InvalidArgumentError(absl::StrCat(Describe(name), " is not a number: '", it->second, "'"));
  }
  return value;
}

absl::StatusOr<bool> Config::GetBool(std::string_view name, bool fallback) const {
  const auto it = values_.find(name);
  if (it == values_.end()) return fallback;
  const std::string v = absl::AsciiStrToLower(std::string(Trim(it->second)));
  if (v == "true" || v == "1" || v == "yes") return true;
  if (v == "false" || v == "0" || v == "no") return false;
  return absl::InvalidArgumentError(
      absl::StrCat(Describe(name), " is not a boolean (true/false/1/0/yes/no): '", it->second, "'"));
}

absl::StatusOr<std::chrono::milliseconds> Config::GetDuration(std::string_view name,
                                                              std::chrono::milliseconds fallback) const {
  const auto it = values_.find(name);
  if (it == values_.end()) return fallback;
  std::string_view text = Trim(it->second);
  const auto bad = [&] {
    return absl::InvalidArgumentError(
        absl::StrCat(Describe(name), " is not a duration (250ms, 2s, 5m, 1h or milliseconds): '", it->second, "'"));
  };
  double unit_ms = 1;
  if (ConsumeSuffix(&text, "ms")) {
    unit_ms = 1;
  } else if (ConsumeSuffix(&text, "s")) {
    unit_ms = 1000;
  } else if (ConsumeSuffix(&text, "m")) {
    unit_ms = 60'000;
  } else if (ConsumeSuffix(&text, "h")) {
    unit_ms = 3'600'000;
  }
  if (text.empty() || !(absl::ascii_isdigit(static_cast<unsigned char>(text.front())) || text.front() == '.')) {
    return bad();
  }
  double number = 0;
  if (!absl::SimpleAtod(std::string(text), &number) || !std::isfinite(number) || number < 0) return bad();
  const double ms = number * unit_ms;
  if (ms > 1e15) return bad();
  return std::chrono::milliseconds(static_cast<int64_t>(std::llround(ms)));
}

}  // namespace cityops::common
