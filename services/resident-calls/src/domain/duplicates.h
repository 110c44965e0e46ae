#pragma once

#include <string_view>
#include <vector>

#include "cityops/calls/v1/resident_calls.pb.h"
#include "domain/calls_config.h"

// Duplicate suggestion at intake: the open requests of the same or a related
// category within the configured radius, nearest first. Pure.
namespace cityops::calls {

// A box that holds every point within `radius_m` of (lat, lon): the storage
// narrows its candidates with it before the exact distance is checked here.
struct SearchBox {
  double min_lat, max_lat, min_lon, max_lon;
};
SearchBox BoxAround(double lat, double lon, double radius_m);

// From `nearby` (any requests, typically those in BoxAround), the open ones of
// a related category within config.duplicate_radius_m, nearest first (same
// category first at equal distance).
std::vector<v1::DuplicateCandidate> FindDuplicates(const std::vector<v1::ResidentRequest>& nearby,
                                                   std::string_view category, double lat, double lon,
                                                   const CallsConfig& config);

}  // namespace cityops::calls
