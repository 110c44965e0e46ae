#include "domain/astro_clock.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace cityops::lighting {
namespace {

constexpr double kDeg = std::numbers::pi / 180.0;
constexpr double kJulianDayOfUnixEpoch = 2440587.5;
constexpr double kJ2000 = 2451545.0;
constexpr int kRefinements = 3;

double Wrap360(double x) {
  const double r = std::fmod(x, 360.0);
  return r < 0 ? r + 360.0 : r;
}

// Where the sun stands at one instant, as needed for its rise and set.
struct Sun {
  double declination_deg;
  double equation_of_time_min;  // apparent minus mean solar time
};

// Minutes since 1970-01-01 00:00 UTC, as a double (the algorithm's unit).
double UnixMinutes(TimePoint t) { return std::chrono::duration<double, std::ratio<60>>(t.time_since_epoch()).count(); }
TimePoint FromUnixMinutes(double m) {
  return TimePoint(std::chrono::duration_cast<TimePoint::duration>(std::chrono::duration<double, std::ratio<60>>(m)));
}

Sun SunAt(double unix_minutes) {
  const double julian_day = unix_minutes / 1440.0 + kJulianDayOfUnixEpoch;
  const double t = (julian_day - kJ2000) / 36525.0;  // Julian centuries since J2000
  // Mean longitude and mean anomaly of the sun, eccentricity of Earth's orbit.
  const double mean_longitude = Wrap360(280.46646 + t * (36000.76983 + t * 0.0003032));
  const double mean_anomaly = 357.52911 + t * (35999.05029 - 0.0001537 * t);
  const double eccentricity = 0.016708634 - t * (0.000042037 + 0.0000001267 * t);
  const double m = mean_anomaly * kDeg;
  // Equation of the centre: true longitude = mean longitude + centre.
  const double centre = std::sin(m) * (1.914602 - t * (0.004817 + 0.000014 * t)) +
                        std::sin(2 * m) * (0.019993 - 0.000101 * t) + std::sin(3 * m) * 0.000289;
  const double true_longitude = mean_longitude + centre;
  // Apparent longitude: nutation and aberration.
  const double omega = (125.04 - 1934.136 * t) * kDeg;
  const double apparent_longitude = true_longitude - 0.00569 - 0.00478 * std::sin(omega);
  // Obliquity of the ecliptic, corrected.
  const double mean_obliquity = 23.0 + (26.0 + (21.448 - t * (46.815 + t * (0.00059 - t * 0.001813))) / 60.0) / 60.0;
  const double obliquity = (mean_obliquity + 0.00256 * std::cos(omega)) * kDeg;
  const double declination = std::asin(std::sin(obliquity) * std::sin(apparent_longitude * kDeg));
  // Equation of time (radians of hour angle, then minutes of time: 4 min per degree).
  const double y = std::tan(obliquity / 2) * std::tan(obliquity / 2);
  const double l0 = mean_longitude * kDeg;
  const double eot = y * std::sin(2 * l0) - 2 * eccentricity * std::sin(m) +
                     4 * eccentricity * y * std::sin(m) * std::cos(2 * l0) - 0.5 * y * y * std::sin(4 * l0) -
                     1.25 * eccentricity * eccentricity * std::sin(2 * m);
  return {declination / kDeg, 4.0 * eot / kDeg};
}

// cos of the hour angle at which the sun's centre is at `altitude` (outside
// -1..1 when it never gets there).
double CosHourAngle(double lat_deg, double declination_deg, double altitude_deg) {
  const double lat = lat_deg * kDeg, dec = declination_deg * kDeg;
  return (std::sin(altitude_deg * kDeg) - std::sin(lat) * std::sin(dec)) / (std::cos(lat) * std::cos(dec));
}

// Solar noon near `guess` (minutes since the epoch): when the sun crosses the
// meridian at longitude `lon`.
double SolarNoonNear(double day_start_minutes, double lon_deg, double guess) {
  const Sun sun = SunAt(guess);
  return day_start_minutes + 720.0 - 4.0 * lon_deg - sun.equation_of_time_min;
}

}  // namespace

SunTimes AstroClock::For(const CivilDate& date) const {
  const double day_start = UnixMinutes(UtcMidnight(date));
  const double lon = position_.lon_deg, lat = position_.lat_deg;
  // Local mean noon as the first guess, then the true solar noon.
  double noon = day_start + 720.0 - 4.0 * lon;
  noon = SolarNoonNear(day_start, lon, noon);
  noon = SolarNoonNear(day_start, lon, noon);

  SunTimes out;
  out.solar_noon = FromUnixMinutes(noon);
  const double cos_at_noon = CosHourAngle(lat, SunAt(noon).declination_deg, altitude_deg_);
  if (cos_at_noon > 1.0) {
    out.kind = SunDay::kAlwaysDown;
    return out;
  }
  if (cos_at_noon < -1.0) {
    out.kind = SunDay::kAlwaysUp;
    return out;
  }
  // Each event: start from noon -/+ the hour angle at noon, then recompute the
  // sun at the estimate (declination and equation of time move during the day).
  const auto event = [&](double sign) {
    double at = noon + sign * 4.0 * std::acos(cos_at_noon) / kDeg;
    for (int i = 0; i < kRefinements; ++i) {
      const Sun sun = SunAt(at);
      const double event_noon = day_start + 720.0 - 4.0 * lon - sun.equation_of_time_min;
      const double c = std::clamp(CosHourAngle(lat, sun.declination_deg, altitude_deg_), -1.0, 1.0);
      at = event_noon + sign * 4.0 * std::acos(c) / kDeg;
    }
    return FromUnixMinutes(at);
  };
  out.sunrise = event(-1.0);
  out.sunset = event(+1.0);
  return out;
}

}  // namespace cityops::lighting
