#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "domain/astro_clock.h"
#include "domain/civil_time.h"
#include "domain/confirmation.h"
#include "domain/energy.h"
#include "domain/model.h"
#include "domain/schedule.h"

// Lighting control's defaults, from a JSON file (shipped in
// config/lighting.json and built into the binary; a file can replace them).
namespace cityops::lighting {

struct LightingConfig {
  GeoPosition position;
  double sun_altitude_deg = kStandardSunAltitudeDeg;
  LocalTimeRule local_time;
  std::vector<DimmingProfile> profiles;
  std::string default_profile;
  ConfirmationSettings confirmation;
  EnergySettings energy;

  AstroClock Astro() const { return AstroClock(position, sun_altitude_deg); }
  ScheduleClock Clock() const { return ScheduleClock(Astro(), local_time); }

  // INVALID_ARGUMENT naming the field at fault ("lighting config: profiles[1].steps[0].level: ...").
  static absl::StatusOr<LightingConfig> FromJson(std::string_view json);
  static absl::StatusOr<LightingConfig> LoadFile(const std::string& path);
};

std::string_view DefaultLightingConfigJson();

}  // namespace cityops::lighting
