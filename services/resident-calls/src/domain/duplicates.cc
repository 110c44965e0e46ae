#include "domain/duplicates.h"

#include <algorithm>
#include <cmath>

#include "cityops/common/geo.h"
#include "domain/request_rules.h"

namespace cityops::calls {

SearchBox BoxAround(double lat, double lon, double radius_m) {
  constexpr double kPi = 3.14159265358979323846;
  // A little wider than exact, so that rounding never loses a candidate.
  const double dlat = radius_m * 1.01 / common::kEarthRadiusMeters * 180.0 / kPi;
  const double cos_lat = std::max(0.01, std::cos(std::min(89.0, std::abs(lat) + dlat) * kPi / 180.0));
  const double dlon = dlat / cos_lat;
  return {lat - dlat, lat + dlat, lon - dlon, lon + dlon};
}

std::vector<v1::DuplicateCandidate> FindDuplicates(const std::vector<v1::ResidentRequest>& nearby,
                                                   std::string_view category, double lat, double lon,
                                                   const CallsConfig& config) {
  std::vector<v1::DuplicateCandidate> out;
  for (const auto& request : nearby) {
    if (!IsOpen(request.status()) || !request.has_location()) continue;
    if (!config.Related(category, request.category())) continue;
    const double d = common::DistanceMeters(lat, lon, request.location().lat(), request.location().lon());
    if (d > config.duplicate_radius_m) continue;
    v1::DuplicateCandidate& c = out.emplace_back();
    *c.mutable_request() = request;
    c.set_distance_m(d);
    c.set_same_category(request.category() == category);
  }
  std::sort(out.begin(), out.end(), [](const v1::DuplicateCandidate& a, const v1::DuplicateCandidate& b) {
    if (a.distance_m() != b.distance_m()) return a.distance_m() < b.distance_m();
    if (a.same_category() != b.same_category()) return a.same_category();
    return a.request().id() < b.request().id();
  });
  return out;
}

}  // namespace cityops::calls
