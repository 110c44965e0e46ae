#include "cityops/common/districts.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "cityops/common/json_reader.h"

namespace cityops::common {

namespace {

using nlohmann::json;

constexpr const char* kDocument = "districts";

// Does the ray from (lat, lon) towards the east cross the edge a-b? Half-open
// in latitude (an end exactly on the ray counts as south of it), and a point
// exactly on the edge is not crossed (it counts as east of the edge). The edge
// is taken from its southern end whichever way the ring runs, so that two
// districts sharing it compute the same crossing to the last bit.
bool CrossesEastward(LatLon a, LatLon b, double lat, double lon) {
  if ((a.lat > lat) == (b.lat > lat)) return false;
  if (b.lat < a.lat) std::swap(a, b);
  const double at = a.lon + (lat - a.lat) * (b.lon - a.lon) / (b.lat - a.lat);
  return lon < at;
}

// Shoelace over a closed ring, in degrees (lon as x, lat as y), relative to
// the ring's first point: signed area (positive counter-clockwise) and the
// first moments, for the centroid.
struct RingArea {
  double area = 0;
  double lat_moment = 0;  // sum of area * centroid lat offset
  double lon_moment = 0;
};

RingArea AreaOf(const std::vector<LatLon>& ring) {
  RingArea out;
  const LatLon origin = ring.front();
  for (size_t i = 0; i + 1 < ring.size(); ++i) {
    const double x0 = ring[i].lon - origin.lon;
    const double y0 = ring[i].lat - origin.lat;
    const double x1 = ring[i + 1].lon - origin.lon;
    const double y1 = ring[i + 1].lat - origin.lat;
    const double cross = x0 * y1 - x1 * y0;
    out.area += cross / 2;
    out.lon_moment += (x0 + x1) * cross / 6;
    out.lat_moment += (y0 + y1) * cross / 6;
  }
  // Moments back to absolute coordinates.
  out.lon_moment += out.area * origin.lon;
  out.lat_moment += out.area * origin.lat;
  return out;
}

// A ring: an array of at least 4 positions [lon, lat(, altitude)], closed.
absl::StatusOr<std::vector<LatLon>> ParseRing(const json& node, const std::string& path) {
  const JsonReader at(node, kDocument, path);
  if (!node.is_array()) return at.Error("", "a ring must be an array of positions");
  if (node.size() < 4) return at.Error("", absl::StrCat("a ring needs at least 4 positions, has ", node.size()));
  std::vector<LatLon> ring;
  ring.reserve(node.size());
  for (size_t i = 0; i < node.size(); ++i) {
    const json& position = node[i];
    const JsonReader pos(position, kDocument, absl::StrCat(path, "[", i, "]"));
    if (!position.is_array() || position.size() < 2 || position.size() > 3) {
      return pos.Error("", "a position must be [lon, lat] or [lon, lat, altitude]");
    }
    for (const auto& coordinate : position) {
      if (!coordinate.is_number()) return pos.Error("", "coordinates must be numbers");
    }
    const double lon = position[0].get<double>();
    const double lat = position[1].get<double>();
    if (!std::isfinite(lon) || lon < -180 || lon > 180) return pos.Error("", "longitude must be within -180..180");
    if (!std::isfinite(lat) || lat < -90 || lat > 90) return pos.Error("", "latitude must be within -90..90");
    ring.push_back({lat, lon});
  }
  if (ring.front().lat != ring.back().lat || ring.front().lon != ring.back().lon) {
    return at.Error("", "ring not closed (its last position must repeat its first)");
  }
  return ring;
}

absl::StatusOr<District> ParseFeature(const JsonReader& feature, int count) {
  auto type = feature.String("type", true);
  if (!type.ok()) return type.status();
  if (*type != "Feature") return feature.Error("type", absl::StrCat("must be \"Feature\", not \"", *type, "\""));

  District district;
  auto properties = feature.Object("properties");
  if (!properties.ok()) return properties.status();
  auto id = properties->Integer("id", 1, count);
  if (!id.ok()) return id.status();
  district.id = static_cast<int>(*id);
  auto name = properties->NonEmptyString("name");
  if (!name.ok()) return name.status();
  district.name = std::move(*name);

  auto geometry = feature.Object("geometry");
  if (!geometry.ok()) return geometry.status();
  auto geometry_type = geometry->String("type", true);
  if (!geometry_type.ok()) return geometry_type.status();
  if (*geometry_type != "Polygon") {
    return geometry->Error("type", absl::StrCat("must be \"Polygon\", not \"", *geometry_type, "\""));
  }
  const json* coordinates = geometry->Find("coordinates");
  const std::string coordinates_path = absl::StrCat(geometry->path(), ".coordinates");
  if (coordinates == nullptr || !coordinates->is_array() || coordinates->empty()) {
    return geometry->Error("coordinates", "missing or not a non-empty array of rings");
  }
  for (size_t r = 0; r < coordinates->size(); ++r) {
    auto ring = ParseRing((*coordinates)[r], absl::StrCat(coordinates_path, "[", r, "]"));
    if (!ring.ok()) return ring.status();
    district.rings.push_back(std::move(*ring));
  }

  // Bounding box of the outer ring (holes lie inside it).
  const auto& outer = district.rings.front();
  district.bbox = {outer.front().lat, outer.front().lon, outer.front().lat, outer.front().lon};
  for (const LatLon& p : outer) {
    district.bbox.min_lat = std::min(district.bbox.min_lat, p.lat);
    district.bbox.max_lat = std::max(district.bbox.max_lat, p.lat);
    district.bbox.min_lon = std::min(district.bbox.min_lon, p.lon);
    district.bbox.max_lon = std::max(district.bbox.max_lon, p.lon);
  }

  // Area centroid: the outer ring's area minus the holes', whatever their winding.
  double area = 0;
  double lat_moment = 0;
  double lon_moment = 0;
  for (size_t r = 0; r < district.rings.size(); ++r) {
    const RingArea ring = AreaOf(district.rings[r]);
    const double sign = ((ring.area < 0) != (r > 0)) ? -1.0 : 1.0;
    area += sign * ring.area;
    lat_moment += sign * ring.lat_moment;
    lon_moment += sign * ring.lon_moment;
  }
  if (!(area > 0)) {
    return JsonReader(*coordinates, kDocument, coordinates_path).Error("", "the polygon encloses no area");
  }
  district.centroid = {lat_moment / area, lon_moment / area};
  return district;
}

}  // namespace

absl::StatusOr<DistrictMap> DistrictMap::FromGeoJson(std::string_view text) {
  auto doc = JsonReader::Parse(text, kDocument);
  if (!doc.ok()) return doc.status();
  const JsonReader root(*doc, kDocument);
  if (!doc->is_object()) return root.Error("", "must be a GeoJSON FeatureCollection object");
  auto type = root.String("type", true);
  if (!type.ok()) return type.status();
  if (*type != "FeatureCollection") {
    return root.Error("type", absl::StrCat("must be \"FeatureCollection\", not \"", *type, "\""));
  }
  const json* features = root.Find("features");
  if (features == nullptr || !features->is_array()) return root.Error("features", "missing or not an array");
  if (features->empty()) return root.Error("features", "no district");

  const int count = static_cast<int>(features->size());
  std::vector<District> districts(features->size());
  std::map<int, std::string> seen;  // id -> the feature that has it
  for (size_t i = 0; i < features->size(); ++i) {
    const JsonReader feature((*features)[i], kDocument, absl::StrCat("features[", i, "]"));
    if (!(*features)[i].is_object()) return feature.Error("", "must be a Feature object");
    auto district = ParseFeature(feature, count);
    if (!district.ok()) return district.status();
    const auto [it, inserted] = seen.emplace(district->id, feature.path());
    if (!inserted) {
      return feature.Error("properties.id", absl::StrCat("duplicate id ", district->id, " (also ", it->second, ")"));
    }
    districts[static_cast<size_t>(district->id - 1)] = std::move(*district);
  }
  // N features, ids within 1..N, none twice: every id 1..N is there.
  return DistrictMap(std::move(districts));
}

absl::StatusOr<DistrictMap> DistrictMap::FromFile(const std::string& path) {
  return LoadJsonFile(path, [](std::string_view text) { return FromGeoJson(text); });
}

const DistrictMap& DistrictMap::Dijon() {
  static const DistrictMap* const kDijon = [] {
    auto map = FromGeoJson(DijonDistrictsGeoJson());
    if (!map.ok()) {
      // The shipped file is checked by the unit tests: this is a build gone wrong.
      std::fprintf(stderr, "the shipped districts.geojson is invalid: %s\n", map.status().ToString().c_str());
      std::abort();
    }
    return new DistrictMap(std::move(*map));
  }();
  return *kDijon;
}

bool DistrictMap::Inside(const District& district, double lat, double lon) {
  if (!district.bbox.Contains(lat, lon)) return false;
  bool inside = false;
  for (const auto& ring : district.rings) {
    for (size_t i = 0; i + 1 < ring.size(); ++i) {
      if (CrossesEastward(ring[i], ring[i + 1], lat, lon)) inside = !inside;
    }
  }
  return inside;
}

int DistrictMap::Locate(double lat, double lon) const {
  for (const District& district : districts_) {
    if (Inside(district, lat, lon)) return district.id;
  }
  return 0;
}

bool DistrictMap::Contains(int id, double lat, double lon) const {
  const District* district = Find(id);
  return district != nullptr && Inside(*district, lat, lon);
}

const District* DistrictMap::Find(int id) const {
  if (id < 1 || static_cast<size_t>(id) > districts_.size()) return nullptr;
  return &districts_[static_cast<size_t>(id - 1)];
}

LatLon DistrictMap::PointIn(int id, double u, double v) const {
  // The additive recurrence of the plastic number (the R2 sequence), which
  // spreads successive points evenly over the box.
  constexpr double kStepU = 0.7548776662466927;
  constexpr double kStepV = 0.5698402909980532;
  double next_u = u;
  double next_v = v;
  bool u_turn = true;  // RandomPointIn draws u, then v
  return RandomPointIn(id, [&] {
    double& next = u_turn ? next_u : next_v;
    const double value = next - std::floor(next);
    next = value + (u_turn ? kStepU : kStepV);
    u_turn = !u_turn;
    return value;
  });
}

LatLon DistrictMap::Fallback(const District& district) {
  if (Inside(district, district.centroid.lat, district.centroid.lon)) return district.centroid;
  // The middle of the widest stretch inside the district on the east-west
  // line through the centroid (or through the middle of the box).
  for (const double lat : {district.centroid.lat, (district.bbox.min_lat + district.bbox.max_lat) / 2}) {
    std::vector<double> crossings;
    for (const auto& ring : district.rings) {
      for (size_t i = 0; i + 1 < ring.size(); ++i) {
        LatLon a = ring[i];
        LatLon b = ring[i + 1];
        if ((a.lat > lat) == (b.lat > lat)) continue;
        if (b.lat < a.lat) std::swap(a, b);
        crossings.push_back(a.lon + (lat - a.lat) * (b.lon - a.lon) / (b.lat - a.lat));
      }
    }
    std::sort(crossings.begin(), crossings.end());
    double best_width = 0;
    LatLon best{};
    for (size_t i = 0; i + 1 < crossings.size(); i += 2) {
      const double width = crossings[i + 1] - crossings[i];
      const LatLon mid{lat, (crossings[i] + crossings[i + 1]) / 2};
      if (width > best_width && Inside(district, mid.lat, mid.lon)) {
        best_width = width;
        best = mid;
      }
    }
    if (best_width > 0) return best;
  }
  return district.rings.front().front();  // degenerate: a vertex
}

}  // namespace cityops::common
