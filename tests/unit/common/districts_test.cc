#include "cityops/common/districts.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

using cityops::common::District;
using cityops::common::DistrictMap;
using cityops::common::LatLon;

namespace {

// Points as (lon, lat) pairs, exactly as they are in the file.
using Vertex = std::pair<double, double>;
using Edge = std::pair<Vertex, Vertex>;

Vertex V(const LatLon& p) { return {p.lon, p.lat}; }

double Cross(Vertex o, Vertex a, Vertex b) {
  return (a.first - o.first) * (b.second - o.second) - (a.second - o.second) * (b.first - o.first);
}

double SignedArea(const std::vector<LatLon>& ring) {
  double s = 0;
  for (size_t i = 0; i + 1 < ring.size(); ++i) s += ring[i].lon * ring[i + 1].lat - ring[i + 1].lon * ring[i].lat;
  return s / 2;
}

// Distance from p to the segment a-b, in degrees.
double DistanceToSegment(Vertex p, Vertex a, Vertex b) {
  const double dx = b.first - a.first;
  const double dy = b.second - a.second;
  const double t = std::clamp(((p.first - a.first) * dx + (p.second - a.second) * dy) / (dx * dx + dy * dy), 0.0, 1.0);
  return std::hypot(p.first - (a.first + t * dx), p.second - (a.second + t * dy));
}

// The directed edges of every outer ring, with the district they belong to.
std::map<Edge, int> EdgesOf(const DistrictMap& map) {
  std::map<Edge, int> edges;
  for (const District& d : map.districts()) {
    const auto& ring = d.rings.front();
    for (size_t i = 0; i + 1 < ring.size(); ++i) edges[{V(ring[i]), V(ring[i + 1])}] = d.id;
  }
  return edges;
}

// The city's outline: the edges that no two districts share, chained into
// one ring (empty if they do not make exactly one closed ring).
std::vector<Vertex> Outline(const DistrictMap& map) {
  const auto edges = EdgesOf(map);
  std::map<Vertex, Vertex> next;
  for (const auto& [edge, id] : edges) {
    if (edges.count({edge.second, edge.first}) == 0) {
      if (!next.emplace(edge.first, edge.second).second) return {};  // two ways out of a vertex
    }
  }
  if (next.empty()) return {};
  std::vector<Vertex> ring{next.begin()->first};
  while (true) {
    const auto it = next.find(ring.back());
    if (it == next.end()) return {};
    if (it->second == ring.front()) break;
    ring.push_back(it->second);
    if (ring.size() > next.size()) return {};
  }
  if (ring.size() != next.size()) return {};  // another ring of unshared edges: a gap
  return ring;
}

bool InsideRing(const std::vector<Vertex>& ring, double lat, double lon) {
  bool inside = false;
  for (size_t i = 0; i < ring.size(); ++i) {
    const Vertex a = ring[i];
    const Vertex b = ring[(i + 1) % ring.size()];
    if ((a.second > lat) != (b.second > lat) &&
        lon < a.first + (lat - a.second) * (b.first - a.first) / (b.second - a.second)) {
      inside = !inside;
    }
  }
  return inside;
}

int CountContaining(const DistrictMap& map, double lat, double lon) {
  int n = 0;
  for (const District& d : map.districts()) n += map.Contains(d.id, lat, lon) ? 1 : 0;
  return n;
}

std::string ErrorOf(std::string_view text) {
  auto map = DistrictMap::FromGeoJson(text);
  if (map.ok()) return "accepted";
  CHECK(map.status().code() == absl::StatusCode::kInvalidArgument);
  return std::string(map.status().message());
}

// A FeatureCollection of the given features.
std::string Collection(const std::string& features) {
  return R"({"type": "FeatureCollection", "features": [)" + features + "]}";
}

std::string Feature(int id, const std::string& coordinates, const std::string& name = "A") {
  return R"({"type": "Feature", "properties": {"id": )" + std::to_string(id) + R"(, "name": ")" + name +
         R"("}, "geometry": {"type": "Polygon", "coordinates": )" + coordinates + "}}";
}

const std::string kUnitSquare = "[[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]";

}  // namespace

TEST_CASE("Districts: the shipped map has 24 districts, ids 1..24 in order, named", "[districts]") {
  const DistrictMap& map = DistrictMap::Dijon();
  REQUIRE(map.size() == 24);
  std::set<std::string> names;
  for (size_t i = 0; i < map.districts().size(); ++i) {
    const District& d = map.districts()[i];
    INFO(d.id << " " << d.name);
    CHECK(d.id == static_cast<int>(i) + 1);
    CHECK(map.Find(d.id) == &d);
    CHECK(names.insert(d.name).second);
    REQUIRE(d.rings.size() == 1);
    CHECK(d.rings.front().size() >= 4);
    // Counter-clockwise outer rings, as GeoJSON wants.
    CHECK(SignedArea(d.rings.front()) > 0);
    // The districts are convex: the centroid is inside its own district.
    CHECK(map.Locate(d.centroid.lat, d.centroid.lon) == d.id);
    CHECK(d.bbox.Contains(d.centroid.lat, d.centroid.lon));
  }
  CHECK(map.Find(1)->name == "Centre-Ville");
  CHECK(map.Find(0) == nullptr);
  CHECK(map.Find(25) == nullptr);
}

TEST_CASE("Districts: Dijon's centre is in district 1, far points in none", "[districts]") {
  const DistrictMap& map = DistrictMap::Dijon();
  CHECK(map.Locate(47.322, 5.041) == 1);
  CHECK(map.Contains(1, 47.322, 5.041));
  CHECK_FALSE(map.Contains(2, 47.322, 5.041));
  CHECK_FALSE(map.Contains(99, 47.322, 5.041));
  CHECK(map.Locate(48.8566, 2.3522) == 0);  // Paris
  CHECK(map.Locate(0, 0) == 0);
  CHECK(map.Locate(47.322, 5.20) == 0);  // east of the city
  CHECK(map.Locate(47.25, 5.041) == 0);  // south of it
}

TEST_CASE("Districts: the shipped districts tile the city outline, no gap, no overlap", "[districts]") {
  const DistrictMap& map = DistrictMap::Dijon();
  const std::vector<Vertex> outline = Outline(map);
  // The unshared edges make a single closed ring: no hole between districts.
  REQUIRE(outline.size() >= 20);

  // The outline is convex (up to the rounding of the points where districts
  // meet it) and lies within the simulator's former grid, around the centre.
  std::vector<LatLon> outline_ring;
  double min_lat = 90, max_lat = -90, min_lon = 180, max_lon = -180;
  for (size_t i = 0; i < outline.size(); ++i) {
    const Vertex a = outline[i];
    const Vertex b = outline[(i + 1) % outline.size()];
    const Vertex c = outline[(i + 2) % outline.size()];
    // b is not more than 1e-6 degree inside the line a-c.
    CHECK(Cross(a, b, c) / std::hypot(c.first - a.first, c.second - a.second) > -1e-6);
    min_lat = std::min(min_lat, a.second);
    max_lat = std::max(max_lat, a.second);
    min_lon = std::min(min_lon, a.first);
    max_lon = std::max(max_lon, a.first);
    outline_ring.push_back({a.second, a.first});
  }
  outline_ring.push_back(outline_ring.front());
  CHECK(min_lat >= 47.29);
  CHECK(max_lat <= 47.36);
  CHECK(min_lon >= 4.99);
  CHECK(max_lon <= 5.09);
  CHECK(max_lat - min_lat > 0.05);
  CHECK(max_lon - min_lon > 0.08);
  CHECK(InsideRing(outline, 47.322, 5.041));

  // The districts' areas add up to the outline's.
  double total = 0;
  for (const District& d : map.districts()) total += SignedArea(d.rings.front());
  CHECK(total == Approx(SignedArea(outline_ring)).epsilon(1e-12));

  // A fine grid over the outline's box (and a margin): inside the outline,
  // exactly one district contains each point; outside, none.
  constexpr int kSteps = 300;
  int inside = 0;
  int outside = 0;
  for (int i = 0; i <= kSteps; ++i) {
    for (int j = 0; j <= kSteps; ++j) {
      const double lat = min_lat - 0.002 + (max_lat - min_lat + 0.004) * i / kSteps;
      const double lon = min_lon - 0.002 + (max_lon - min_lon + 0.004) * j / kSteps;
      bool near_outline = false;
      for (size_t k = 0; k < outline.size(); ++k) {
        near_outline =
            near_outline || DistanceToSegment({lon, lat}, outline[k], outline[(k + 1) % outline.size()]) < 1e-9;
      }
      if (near_outline) continue;
      const int count = CountContaining(map, lat, lon);
      const int located = map.Locate(lat, lon);
      if (InsideRing(outline, lat, lon)) {
        ++inside;
        if (count != 1) FAIL_CHECK(lat << "," << lon << " is in " << count << " districts");
        if (located < 1 || !map.Contains(located, lat, lon)) FAIL_CHECK(lat << "," << lon << " located in " << located);
      } else {
        ++outside;
        if (count != 0 || located != 0) FAIL_CHECK(lat << "," << lon << " outside the city but in " << located);
      }
    }
  }
  CHECK(inside > 50000);
  CHECK(outside > 10000);
}

TEST_CASE("Districts: a point on an edge two districts share, or on a corner, is in exactly one", "[districts]") {
  const DistrictMap& map = DistrictMap::Dijon();
  const auto edges = EdgesOf(map);
  const std::vector<Vertex> outline = Outline(map);
  const std::set<Vertex> on_outline(outline.begin(), outline.end());
  int shared = 0;
  for (const auto& [edge, id] : edges) {
    const auto twin = edges.find({edge.second, edge.first});
    if (twin == edges.end()) continue;
    ++shared;
    CHECK(twin->second != id);
    const auto [a, b] = edge;
    for (const double t : {0.0, 0.25, 0.5, 0.9}) {
      const double lon = a.first + t * (b.first - a.first);
      const double lat = a.second + t * (b.second - a.second);
      INFO("district " << id << " and " << twin->second << " at " << lat << "," << lon);
      // A corner on the city's outline is in one district or, on its east side, none.
      if (t == 0.0 && on_outline.count(a) > 0) {
        CHECK(CountContaining(map, lat, lon) <= 1);
        continue;
      }
      CHECK(CountContaining(map, lat, lon) == 1);
      const int located = map.Locate(lat, lon);
      CHECK((located == id || located == twin->second || t == 0.0));
      // Deterministic: the same answer every time.
      CHECK(map.Locate(lat, lon) == located);
    }
  }
  CHECK(shared > 50);
}

TEST_CASE("Districts: PointIn and RandomPointIn place points inside the district", "[districts]") {
  const DistrictMap& map = DistrictMap::Dijon();
  for (const District& d : map.districts()) {
    INFO(d.id);
    for (int i = 0; i < 50; ++i) {
      const double u = std::fmod(i * 0.37 + 0.01, 1.0);
      const double v = std::fmod(i * 0.61 + 0.02, 1.0);
      const LatLon p = map.PointIn(d.id, u, v);
      CHECK(map.Locate(p.lat, p.lon) == d.id);
      // Deterministic.
      const LatLon q = map.PointIn(d.id, u, v);
      CHECK((p.lat == q.lat && p.lon == q.lon));
    }
    uint64_t state = 12345;
    const auto unit = [&state] {
      state = state * 6364136223846793005ULL + 1442695040888963407ULL;
      return static_cast<double>(state >> 11) * 0x1.0p-53;
    };
    for (int i = 0; i < 50; ++i) {
      const LatLon p = map.RandomPointIn(d.id, unit);
      CHECK(map.Locate(p.lat, p.lon) == d.id);
    }
  }
  // An unknown district: the origin.
  const LatLon none = map.PointIn(0, 0.5, 0.5);
  CHECK((none.lat == 0 && none.lon == 0));
}

TEST_CASE("Districts: a hand-made map, a square with a hole and a second district filling it", "[districts]") {
  // District 1: the square 0..10 with a hole 4..6 (wound clockwise); district
  // 2: the hole, as its own polygon; district 3: a square east of 1, sharing
  // its edge lon = 10 for lat 0..10.
  const std::string text = Collection(Feature(1,
                                              "[[[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]],"
                                              " [[4, 4], [4, 6], [6, 6], [6, 4], [4, 4]]]",
                                              "Ring") +
                                      "," + Feature(2, "[[[4, 4], [6, 4], [6, 6], [4, 6], [4, 4]]]", "Hole") + "," +
                                      Feature(3, "[[[10, 0], [20, 0], [20, 10], [10, 10], [10, 0]]]", "East"));
  auto parsed = DistrictMap::FromGeoJson(text);
  REQUIRE(parsed.ok());
  const DistrictMap& map = *parsed;
  REQUIRE(map.size() == 3);
  const District& ring = *map.Find(1);
  CHECK(ring.name == "Ring");
  CHECK(ring.rings.size() == 2);
  CHECK(ring.bbox.min_lat == 0);
  CHECK(ring.bbox.max_lat == 10);
  CHECK(ring.bbox.min_lon == 0);
  CHECK(ring.bbox.max_lon == 10);
  // Symmetric: the centroid is the centre, which is in the hole.
  CHECK(ring.centroid.lat == Approx(5));
  CHECK(ring.centroid.lon == Approx(5));
  CHECK(map.Find(3)->centroid.lon == Approx(15));

  // (lat, lon) -> district.
  CHECK(map.Locate(1, 1) == 1);
  CHECK(map.Locate(5, 5) == 2);  // in the hole: the district filling it
  CHECK_FALSE(map.Contains(1, 5, 5));
  CHECK(map.Locate(5, 15) == 3);
  CHECK(map.Locate(-1, 5) == 0);
  CHECK(map.Locate(5, 25) == 0);
  CHECK(map.Locate(11, 5) == 0);

  // On shared edges: the district east of the point (north on an east-west edge).
  CHECK(map.Locate(5, 10) == 3);  // edge between 1 and 3
  CHECK(map.Locate(5, 4) == 2);   // west edge of the hole
  CHECK(map.Locate(5, 6) == 1);   // east edge of the hole
  CHECK(map.Locate(4, 5) == 2);   // south edge of the hole
  CHECK(map.Locate(6, 5) == 1);   // north edge of the hole
  CHECK(map.Locate(4, 4) == 2);   // corners of the hole
  CHECK(map.Locate(6, 6) == 1);
  CHECK(map.Locate(0, 10) == 3);  // corner on the outline
  // On the outline: inside only where the district is east (or north).
  CHECK(map.Locate(5, 0) == 1);
  CHECK(map.Locate(5, 20) == 0);
  CHECK(map.Locate(0, 5) == 1);
  CHECK(map.Locate(10, 5) == 0);

  // Every point of a fine grid is in exactly one district.
  for (int i = 1; i < 100; ++i) {
    for (int j = 1; j < 200; ++j) {
      const double lat = i * 0.1;
      const double lon = j * 0.1;
      if (CountContaining(map, lat, lon) != 1) FAIL_CHECK(lat << "," << lon);
    }
  }

  // Points placed in district 1 avoid the hole, even by the fallback.
  for (int i = 0; i < 100; ++i) {
    const LatLon p = map.PointIn(1, i / 100.0, std::fmod(i * 0.013, 1.0));
    CHECK(map.Locate(p.lat, p.lon) == 1);
  }
}

TEST_CASE("Districts: a thin district whose centroid is outside still gets points inside it", "[districts]") {
  // A thin V: its centroid lies in the empty middle, and most of its box is
  // outside it, so the fallback is often needed.
  auto parsed = DistrictMap::FromGeoJson(
      Collection(Feature(1, "[[[0, 10], [10, 0], [20, 10], [19.99, 10], [10, 0.01], [0.01, 10], [0, 10]]]")));
  REQUIRE(parsed.ok());
  const District& v = *parsed->Find(1);
  CHECK_FALSE(parsed->Contains(1, v.centroid.lat, v.centroid.lon));
  for (int i = 0; i < 200; ++i) {
    const LatLon p = parsed->PointIn(1, std::fmod(i * 0.618034, 1.0), std::fmod(i * 0.414214 + 0.5, 1.0));
    INFO(i << ": " << p.lat << "," << p.lon);
    CHECK(parsed->Contains(1, p.lat, p.lon));
  }
  const auto always_half = [] { return 0.5; };  // the centre of the box: outside
  const LatLon p = parsed->RandomPointIn(1, always_half);
  CHECK(parsed->Contains(1, p.lat, p.lon));
}

TEST_CASE("Districts: malformed GeoJSON is refused, naming the feature and the field", "[districts]") {
  CHECK(ErrorOf("{") == "districts: not valid JSON");
  CHECK(ErrorOf("[]") == "districts: (top): must be a GeoJSON FeatureCollection object");
  CHECK(ErrorOf(R"({"type": "Feature"})") == "districts: type: must be \"FeatureCollection\", not \"Feature\"");
  CHECK(ErrorOf(R"({"features": []})") == "districts: type: missing");
  CHECK(ErrorOf(R"({"type": "FeatureCollection"})") == "districts: features: missing or not an array");
  CHECK(ErrorOf(Collection("")) == "districts: features: no district");
  CHECK(ErrorOf(Collection("3")) == "districts: features[0]: must be a Feature object");
  CHECK(ErrorOf(Collection(R"({"type": "Point"})")) ==
        "districts: features[0].type: must be \"Feature\", not \"Point\"");

  // Ids.
  CHECK(ErrorOf(Collection(R"({"type": "Feature", "properties": {"name": "A"}, "geometry": null})")) ==
        "districts: features[0].properties.id: missing");
  CHECK(ErrorOf(Collection(Feature(1, kUnitSquare) + "," + Feature(3, kUnitSquare))) ==
        "districts: features[1].properties.id: must be within 1..2");
  CHECK(ErrorOf(Collection(Feature(0, kUnitSquare))) == "districts: features[0].properties.id: must be within 1..1");
  CHECK(ErrorOf(Collection(Feature(2, kUnitSquare) + "," + Feature(2, kUnitSquare))) ==
        "districts: features[1].properties.id: duplicate id 2 (also features[0])");
  CHECK(ErrorOf(Collection(R"({"type": "Feature", "properties": {"id": "1", "name": "A"}})")) ==
        "districts: features[0].properties.id: not a number");
  CHECK(ErrorOf(Collection(R"({"type": "Feature", "properties": {"id": 1.5, "name": "A"}},)" +
                           Feature(2, kUnitSquare))) == "districts: features[0].properties.id: must be a whole number");
  CHECK(ErrorOf(Collection(Feature(1, kUnitSquare, ""))) ==
        "districts: features[0].properties.name: must not be empty");
  CHECK(ErrorOf(Collection(R"({"type": "Feature", "geometry": {}})")) ==
        "districts: features[0].properties: missing or not an object");

  // Geometry.
  CHECK(ErrorOf(Collection(R"({"type": "Feature", "properties": {"id": 1, "name": "A"}})")) ==
        "districts: features[0].geometry: missing or not an object");
  CHECK(ErrorOf(Collection(R"({"type": "Feature", "properties": {"id": 1, "name": "A"},)"
                           R"( "geometry": {"type": "MultiPolygon", "coordinates": []}})")) ==
        "districts: features[0].geometry.type: must be \"Polygon\", not \"MultiPolygon\"");
  CHECK(ErrorOf(Collection(Feature(1, "[]"))) ==
        "districts: features[0].geometry.coordinates: missing or not a non-empty array of rings");
  CHECK(ErrorOf(Collection(Feature(1, "[[[0, 0], [1, 0], [0, 0]]]"))) ==
        "districts: features[0].geometry.coordinates[0]: a ring needs at least 4 positions, has 3");
  CHECK(ErrorOf(Collection(Feature(1, "[[[0, 0], [1, 0], [1, 1], [0, 1]]]"))) ==
        "districts: features[0].geometry.coordinates[0]: ring not closed (its last position must repeat its first)");
  CHECK(ErrorOf(Collection(Feature(1, "[[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]], 7]"))) ==
        "districts: features[0].geometry.coordinates[1]: a ring must be an array of positions");
  CHECK(ErrorOf(Collection(Feature(1, R"([[[0, 0], [1, "0"], [1, 1], [0, 1], [0, 0]]])"))) ==
        "districts: features[0].geometry.coordinates[0][1]: coordinates must be numbers");
  CHECK(ErrorOf(Collection(Feature(1, R"([[[0, 0], [1, null], [1, 1], [0, 1], [0, 0]]])"))) ==
        "districts: features[0].geometry.coordinates[0][1]: coordinates must be numbers");
  CHECK(ErrorOf(Collection(Feature(1, "[[[0, 0], [1], [1, 1], [0, 1], [0, 0]]]"))) ==
        "districts: features[0].geometry.coordinates[0][1]: a position must be [lon, lat] or [lon, lat, altitude]");
  CHECK(ErrorOf(Collection(Feature(1, "[[[0, 0], [1, 91], [1, 1], [0, 1], [0, 0]]]"))) ==
        "districts: features[0].geometry.coordinates[0][1]: latitude must be within -90..90");
  CHECK(ErrorOf(Collection(Feature(1, "[[[0, 0], [181, 0], [1, 1], [0, 1], [0, 0]]]"))) ==
        "districts: features[0].geometry.coordinates[0][1]: longitude must be within -180..180");
  CHECK(ErrorOf(Collection(Feature(1, "[[[0, 0], [1, 1], [2, 2], [0, 0]]]"))) ==
        "districts: features[0].geometry.coordinates: the polygon encloses no area");
  // The feature named in the message is the faulty one, not the first.
  CHECK(ErrorOf(Collection(Feature(1, kUnitSquare) + "," + Feature(2, "[[[0, 0], [1, 0], [1, 1], [0, 1]]]"))) ==
        "districts: features[1].geometry.coordinates[0]: ring not closed (its last position must repeat its first)");

  // Altitudes and foreign members are accepted.
  CHECK(ErrorOf(Collection(Feature(1, "[[[0, 0, 5], [1, 0, 5], [1, 1, 5], [0, 1, 5], [0, 0, 5]]]"))) == "accepted");
}

TEST_CASE("Districts: FromFile reads the shipped file, the same as the built-in map", "[districts]") {
  auto map = DistrictMap::FromFile(CITYOPS_SOURCE_DIR "/services/common/geodata/districts.geojson");
  REQUIRE(map.ok());
  const DistrictMap& dijon = DistrictMap::Dijon();
  REQUIRE(map->size() == dijon.size());
  for (size_t i = 0; i < dijon.size(); ++i) {
    const District& a = map->districts()[i];
    const District& b = dijon.districts()[i];
    CHECK(a.name == b.name);
    REQUIRE(a.rings.front().size() == b.rings.front().size());
    for (size_t k = 0; k < a.rings.front().size(); ++k) {
      CHECK(a.rings.front()[k].lat == b.rings.front()[k].lat);
      CHECK(a.rings.front()[k].lon == b.rings.front()[k].lon);
    }
  }
  auto missing = DistrictMap::FromFile("/nonexistent/districts.geojson");
  CHECK(missing.status().code() == absl::StatusCode::kNotFound);
}
