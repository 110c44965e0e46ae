#pragma once

// The city's districts as polygons, and which district a point is in.
// Shared by the simulator (placing assets), the services (locating a call or
// an asset) and the console (drawing them). Plain data, no protobuf.

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace cityops::common {

struct LatLon {
  double lat = 0;
  double lon = 0;
};

struct LatLonBox {
  double min_lat = 0;
  double min_lon = 0;
  double max_lat = 0;
  double max_lon = 0;

  // Bounds included.
  bool Contains(double lat, double lon) const {
    return lat >= min_lat && lat <= max_lat && lon >= min_lon && lon <= max_lon;
  }
};

struct District {
  int id = 0;
  std::string name;
  // Outer ring first, holes after; each ring closed (its last point repeats
  // its first), as in GeoJSON.
  std::vector<std::vector<LatLon>> rings;
  LatLonBox bbox;
  // The area centroid (not necessarily inside a concave district).
  LatLon centroid;
};

// The districts of a city, numbered 1..N. A point is in a district when it is
// inside its outer ring and outside its holes (even-odd rule). A point on an
// edge counts as if moved an infinitesimal step east (then north, on an
// east-west edge): on an edge that two districts share vertex for vertex it
// belongs to exactly one of them (the one to its east, or north), the same
// arithmetic deciding from both sides, so Locate never hesitates between
// neighbours; on the city's outline it is inside only where the district lies
// to its east (or north).
class DistrictMap {
 public:
  // A GeoJSON FeatureCollection of Polygon features with properties
  // {"id": 1..N, "name": "..."} (N features, each id once). INVALID_ARGUMENT
  // naming the feature and the field otherwise: "districts:
  // features[3].geometry.coordinates[0]: ring not closed".
  static absl::StatusOr<DistrictMap> FromGeoJson(std::string_view text);
  // The same from a file; NOT_FOUND when missing, errors start with the path.
  static absl::StatusOr<DistrictMap> FromFile(const std::string& path);
  // The 24 districts shipped with the project (services/common/geodata/
  // districts.geojson, built into the binary).
  static const DistrictMap& Dijon();

  // The district (1..N) a point is in, 0 when outside every district (the
  // lowest id when districts overlap, which the shipped ones do not).
  int Locate(double lat, double lon) const;
  bool Contains(int id, double lat, double lon) const;
  // nullptr for an unknown id.
  const District* Find(int id) const;
  // Ordered by id: districts()[i].id == i + 1.
  const std::vector<District>& districts() const { return districts_; }
  size_t size() const { return districts_.size(); }

  // A point inside district `id` from two numbers u, v in [0, 1): the point
  // at (u, v) of the district's bounding box when inside, else the next of a
  // fixed sequence from (u, v), up to kPointTries; then the centroid when it
  // is inside, else a point inside found on the line through it. Uniform u, v
  // give (nearly) uniform points. {0, 0} for an unknown id.
  LatLon PointIn(int id, double u, double v) const;
  // The same by rejection sampling with `unit()` (a double in [0, 1), e.g.
  // from the caller's seeded generator): uniform inside the district.
  template <typename Unit>
  LatLon RandomPointIn(int id, Unit&& unit) const {
    const District* district = Find(id);
    if (district == nullptr) return {};
    for (int i = 0; i < kPointTries; ++i) {
      const double u = unit();
      const double v = unit();
      const LatLon p = InBox(district->bbox, u, v);
      if (Inside(*district, p.lat, p.lon)) return p;
    }
    return Fallback(*district);
  }

  static constexpr int kPointTries = 64;

 private:
  explicit DistrictMap(std::vector<District> districts) : districts_(std::move(districts)) {}

  static LatLon InBox(const LatLonBox& box, double u, double v) {
    return {box.min_lat + v * (box.max_lat - box.min_lat), box.min_lon + u * (box.max_lon - box.min_lon)};
  }
  static bool Inside(const District& district, double lat, double lon);
  static LatLon Fallback(const District& district);

  std::vector<District> districts_;
};

// The text of services/common/geodata/districts.geojson (generated at
// configure time), e.g. for a console that draws the districts.
std::string_view DijonDistrictsGeoJson();

}  // namespace cityops::common
