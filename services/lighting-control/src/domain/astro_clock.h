#pragma once

#include <optional>

#include "domain/civil_time.h"

// Sunrise and sunset for a place and a date, from the solar position
// algorithm of NOAA's solar calculator (after Meeus, "Astronomical
// Algorithms"): the sun's apparent longitude, declination and the equation of
// time from the Julian century, then the hour angle at which the sun's centre
// stands at the standard altitude (-0.833 degrees: 34' of refraction and 16'
// of the sun's radius). Each event is refined by recomputing the sun at the
// event's own instant. Accurate to well under a minute at mid latitudes.
namespace cityops::lighting {

struct GeoPosition {
  double lat_deg = 47.322;  // Dijon
  double lon_deg = 5.041;   // east positive
};

enum class SunDay {
  kRisesAndSets,
  kAlwaysUp,    // polar day: the sun never sets that day
  kAlwaysDown,  // polar night: the sun never rises that day
};

struct SunTimes {
  SunDay kind = SunDay::kRisesAndSets;
  // Both set only when kind is kRisesAndSets.
  std::optional<TimePoint> sunrise;
  std::optional<TimePoint> sunset;
  // The sun's highest point (always set).
  TimePoint solar_noon{};
};

inline constexpr double kStandardSunAltitudeDeg = -0.833;

class AstroClock {
 public:
  explicit AstroClock(GeoPosition position = {}, double sun_altitude_deg = kStandardSunAltitudeDeg)
      : position_(position), altitude_deg_(sun_altitude_deg) {}

  // The sunrise and sunset of the civil date at this place (the day centred
  // on the place's local solar noon), as UTC instants.
  SunTimes For(const CivilDate& date) const;

  const GeoPosition& position() const { return position_; }
  double sun_altitude_deg() const { return altitude_deg_; }

 private:
  GeoPosition position_;
  double altitude_deg_;
};

}  // namespace cityops::lighting
