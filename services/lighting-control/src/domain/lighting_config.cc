#include "domain/lighting_config.h"

#include <cmath>
#include <set>

#include "absl/strings/str_cat.h"
#include "cityops/common/json_reader.h"
#include "cityops/common/local_time.h"
#include "cityops/common/status.h"

namespace cityops::lighting {
namespace {

using common::JsonReader;

constexpr const char* kDocument = "lighting config";

// A whole number within [min, max] as an int.
absl::StatusOr<int> WholeNumber(const JsonReader& r, const char* field, int min, int max,
                                std::optional<int> fallback = std::nullopt) {
  int64_t value = 0;
  CITYOPS_ASSIGN_OR_RETURN(value, r.Integer(field, min, max, fallback));
  return static_cast<int>(value);
}

absl::StatusOr<DimmingProfile> ProfileFrom(const JsonReader& r) {
  CITYOPS_RETURN_IF_ERROR(r.Only({"id", "name", "steps"}));
  DimmingProfile profile;
  CITYOPS_ASSIGN_OR_RETURN(profile.id, r.NonEmptyString("id"));
  CITYOPS_ASSIGN_OR_RETURN(profile.name, r.String("name", false));
  std::vector<JsonReader> steps;
  CITYOPS_ASSIGN_OR_RETURN(steps, r.Array("steps"));
  if (steps.empty()) return r.Error("steps", "a profile needs at least one step");
  if (steps.size() > kMaxProfileSteps) return r.Error("steps", absl::StrCat("at most ", kMaxProfileSteps, " steps"));
  for (const JsonReader& s : steps) {
    CITYOPS_RETURN_IF_ERROR(s.Only({"at", "offset_min", "level"}));
    std::string at;
    CITYOPS_ASSIGN_OR_RETURN(at, s.NonEmptyString("at"));
    auto step = ParseAnchor(at, "at");
    if (!step.ok())
      return s.Error("at", absl::StrCat("\"", at, "\" is neither sunset, sunrise nor a clock time HH:MM"));
    CITYOPS_ASSIGN_OR_RETURN(step->offset_min, WholeNumber(s, "offset_min", -kMaxStepOffsetMin, kMaxStepOffsetMin, 0));
    CITYOPS_ASSIGN_OR_RETURN(step->level, WholeNumber(s, "level", 0, 100));
    profile.steps.push_back(*step);
  }
  if (auto valid = ValidateProfile(profile); !valid.ok()) {
    return r.Error("", absl::StrCat("profile ", profile.id, ": ", valid.message()));
  }
  return profile;
}

}  // namespace

absl::StatusOr<LightingConfig> LightingConfig::FromJson(std::string_view text) {
  nlohmann::json doc;
  CITYOPS_ASSIGN_OR_RETURN(doc, JsonReader::Parse(text, kDocument));
  const JsonReader root(doc, kDocument);
  CITYOPS_RETURN_IF_ERROR(
      root.Only({"about", "position", "local_time", "profiles", "default_profile", "confirmation", "energy"}));
  LightingConfig config;
  JsonReader section = root;

  CITYOPS_ASSIGN_OR_RETURN(section, root.Object("position"));
  CITYOPS_RETURN_IF_ERROR(section.Only({"lat", "lon", "sun_altitude_deg"}));
  CITYOPS_ASSIGN_OR_RETURN(config.position.lat_deg, section.Number("lat", -90, 90));
  CITYOPS_ASSIGN_OR_RETURN(config.position.lon_deg, section.Number("lon", -180, 180));
  CITYOPS_ASSIGN_OR_RETURN(config.sun_altitude_deg,
                           section.Number("sun_altitude_deg", -18, 5, kStandardSunAltitudeDeg));

  CITYOPS_ASSIGN_OR_RETURN(section, root.Object("local_time"));
  CITYOPS_ASSIGN_OR_RETURN(config.local_time, common::LocalTimeRuleFromJson(section));

  std::vector<JsonReader> profiles;
  CITYOPS_ASSIGN_OR_RETURN(profiles, root.Array("profiles"));
  if (profiles.empty()) return root.Error("profiles", "at least one profile is needed");
  std::set<std::string> ids;
  for (const JsonReader& p : profiles) {
    DimmingProfile profile;
    CITYOPS_ASSIGN_OR_RETURN(profile, ProfileFrom(p));
    if (!ids.insert(profile.id).second)
      return p.Error("id", absl::StrCat("profile \"", profile.id, "\" appears twice"));
    config.profiles.push_back(std::move(profile));
  }
  CITYOPS_ASSIGN_OR_RETURN(config.default_profile, root.NonEmptyString("default_profile"));
  if (ids.count(config.default_profile) == 0) {
    return root.Error("default_profile", absl::StrCat("\"", config.default_profile, "\" is not among the profiles"));
  }

  CITYOPS_ASSIGN_OR_RETURN(section, root.Object("confirmation"));
  CITYOPS_RETURN_IF_ERROR(section.Only({"tolerance_pct", "timeout_s"}));
  CITYOPS_ASSIGN_OR_RETURN(config.confirmation.tolerance_pct, section.Number("tolerance_pct", 0, 20));
  int timeout = 0;
  CITYOPS_ASSIGN_OR_RETURN(timeout, WholeNumber(section, "timeout_s", 5, 3600));
  config.confirmation.timeout = std::chrono::seconds(timeout);

  CITYOPS_ASSIGN_OR_RETURN(section, root.Object("energy"));
  CITYOPS_RETURN_IF_ERROR(section.Only({"gap_limit_s"}));
  int gap = 0;
  CITYOPS_ASSIGN_OR_RETURN(gap, WholeNumber(section, "gap_limit_s", 60, 86400));
  config.energy.gap_limit = std::chrono::seconds(gap);
  return config;
}

absl::StatusOr<LightingConfig> LightingConfig::LoadFile(const std::string& path) {
  return common::LoadJsonFile(path, &LightingConfig::FromJson);
}

}  // namespace cityops::lighting
