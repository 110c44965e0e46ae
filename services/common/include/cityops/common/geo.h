#pragma once

#include <algorithm>
#include <cmath>

// Plain geometry on WGS84 coordinates, shared by the services that compare
// places (linking calls to incidents, choosing the nearest crew).
namespace cityops::common {

inline constexpr double kEarthRadiusMeters = 6371008.8;  // mean radius

// Great-circle distance in metres (haversine), exact enough for a city.
inline double DistanceMeters(double lat1, double lon1, double lat2, double lon2) {
  constexpr double kRad = 3.14159265358979323846 / 180.0;
  const double dlat = (lat2 - lat1) * kRad;
  const double dlon = (lon2 - lon1) * kRad;
  const double a = std::sin(dlat / 2) * std::sin(dlat / 2) +
                   std::cos(lat1 * kRad) * std::cos(lat2 * kRad) * std::sin(dlon / 2) * std::sin(dlon / 2);
  return 2 * kEarthRadiusMeters * std::asin(std::sqrt(std::min(1.0, a)));
}

}  // namespace cityops::common
