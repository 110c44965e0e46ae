#include "city.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <map>
#include <unordered_map>

#include "absl/strings/str_cat.h"
#include "cityops/common/geo.h"
#include "random.h"

namespace cityops::sim {

namespace v1 = telemetry::v1;

namespace {

// Locations are kept to 6 decimals (about 10 cm); an asset's district is the
// one whose polygon holds its rounded location. A location that misses its
// district (a root that rounding put across an edge, a child drawn outside
// its parent's district) is drawn again, up to this many times.
constexpr int kPlaceTries = 32;
// Children stand within this many degrees (about 200 m) of their parent.
constexpr double kChildSpreadDeg = 0.002;

double Round6(double value) { return std::round(value * 1e6) / 1e6; }

std::string MakeId(const char* prefix, int number, int width) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%s-%0*d", prefix, width, number);
  return buf;
}

struct Point {
  double lat, lon;
};

// Mixed into the seed for the buildings' types and names and the roads'
// names, so that they do not move the assets' locations.
constexpr uint64_t kNamesSalt = 0x6a09e667f3bcc909ULL;

// The Ouche through Dijon, upstream (west, by the Lac Kir) to downstream
// (east, towards Longvic: the map ends short of it), passing south of the centre by the Port du
// Canal and the Parc de la Colombière. Approximate: a handful of points
// within a few hundred metres of the river's course, not its real geometry.
constexpr std::array<Point, 8> kOuche = {{
    {47.3330, 4.9950},
    {47.3290, 5.0060},
    {47.3220, 5.0170},
    {47.3160, 5.0270},
    {47.3100, 5.0380},
    {47.3050, 5.0480},
    {47.2990, 5.0600},
    {47.2990, 5.0700},
}};
// The Suzon, from the north (Val Suzon side) south towards the centre, where
// it runs underground to the Ouche. As approximate.
constexpr std::array<Point, 5> kSuzon = {{
    {47.3560, 5.0280},
    {47.3450, 5.0330},
    {47.3350, 5.0370},
    {47.3250, 5.0380},
    {47.3130, 5.0350},
}};
// From this many flood sensors up, a fifth of them watch the Suzon (their ids
// after the Ouche's); fewer all watch the Ouche.
constexpr int kSuzonFromSensors = 10;
// A sensor stands on the bank: up to this far from the river's line.
constexpr double kBankM = 15;
constexpr double kPi = 3.14159265358979323846;

// Name endings for the buildings (shuffled per type; a type with more
// buildings than endings numbers the next round: "... des Tilleuls 2").
constexpr std::array<std::string_view, 46> kNameEndings = {
    "des Tilleuls",   "des Marronniers", "des Lilas",      "des Coquelicots", "des Peupliers",   "des Acacias",
    "des Glycines",   "des Érables",     "des Bleuets",    "des Vignes",      "des Vergers",     "du Moulin",
    "du Lavoir",      "du Parc",         "de la Source",   "de la Combe",     "du Clos Fleuri",  "des Prés",
    "de la Fontaine", "des Roses",       "des Mésanges",   "des Hirondelles", "du Bief",         "des Coteaux",
    "du Val d'Ouche", "de la Colline",   "du Petit Bois",  "des Chênes",      "des Saules",      "des Charmilles",
    "des Cerisiers",  "des Pommiers",    "des Jonquilles", "des Violettes",   "des Alouettes",   "du Canal",
    "de la Prairie",  "des Cassissiers", "du Pressoir",    "des Tanneurs",    "des Lavandières", "du Rempart",
    "de la Tour",     "des Vendanges",   "du Vieux Pont",  "des Platanes",
};

// Invented main roads, one per snow sensor (numbered after a full round).
constexpr std::array<std::string_view, 30> kMainRoads = {
    "Boulevard des Tanneurs", "Avenue des Vendanges", "Boulevard du Vieux Pont",
    "Avenue de la Combe",     "Rue du Faubourg Sud",  "Boulevard des Coteaux",
    "Avenue du Val d'Ouche",  "Route de la Colline",  "Boulevard des Cassissiers",
    "Avenue des Platanes",    "Rue des Moulins",      "Boulevard de la Prairie",
    "Avenue du Pressoir",     "Route des Vergers",    "Boulevard du Canal",
    "Avenue des Charmilles",  "Rue de la Tour",       "Boulevard des Lavandières",
    "Avenue du Rempart",      "Route des Saules",     "Boulevard des Chênes",
    "Avenue des Alouettes",   "Rue du Clos Fleuri",   "Boulevard de la Source",
    "Avenue des Hirondelles", "Route du Petit Bois",  "Boulevard des Érables",
    "Avenue des Mésanges",    "Rue des Cerisiers",    "Boulevard du Lavoir",
};

// Mixed into the seed for the cabinets' streets and road classes, drawn last
// from their own stream so that nothing else of the city moves.
constexpr uint64_t kStreetsSalt = 0x3c6ef372fe94f82bULL;
// The share of a district's cabinets on main roads (rounded; at least one
// from two cabinets up; a lone cabinet is on a main road with this chance).
constexpr double kMainRoadShare = 0.25;
// A district's next local-road cabinet opens a new street with this chance
// (else it stands on one of the district's streets so far); same for a
// main-road cabinet and a main road other than the district's so far.
constexpr double kNewLocalStreetChance = 0.4;
constexpr double kNewMainRoadChance = 0.3;

// Invented local streets: each kind with each ending, shuffled per seed
// (numbered after a full round). Names also in kMainRoads are skipped.
constexpr std::array<std::string_view, 6> kLocalStreetKinds = {"Rue",    "Impasse", "Allée",
                                                               "Chemin", "Passage", "Square"};
constexpr std::array<std::string_view, 40> kLocalStreetEndings = {
    "des Jardins",       "du Presbytère",    "des Écoles",         "de la Forge",
    "du Verger",         "des Tisserands",   "des Meuniers",       "de la Croix Blanche",
    "du Puits",          "des Noisetiers",   "des Sorbiers",       "des Pâquerettes",
    "du Four",           "de l'Étang",       "des Bergeronnettes", "du Colombier",
    "des Aubépines",     "de la Garenne",    "des Troènes",        "du Pré Vert",
    "des Tonneliers",    "de la Grange",     "des Myosotis",       "du Cellier",
    "des Mirabelles",    "de la Chènevière", "des Genêts",         "du Clos Joli",
    "des Chardonnerets", "de la Maladière",  "des Vignerons",      "du Lavoir Neuf",
    "des Capucines",     "de la Citadelle",  "des Rossignols",     "du Petit Pont",
    "des Amandiers",     "de la Poterne",    "des Tourterelles",   "du Champ Fleuri",
};

template <size_t N>
double PolylineLengthM(const std::array<Point, N>& line) {
  double total = 0;
  for (size_t i = 1; i < N; ++i)
    total += common::DistanceMeters(line[i - 1].lat, line[i - 1].lon, line[i].lat, line[i].lon);
  return total;
}

// The point `metres` along the polyline from its first point (clamped to it).
template <size_t N>
Point AlongPolyline(const std::array<Point, N>& line, double metres) {
  for (size_t i = 1; i < N; ++i) {
    const double seg = common::DistanceMeters(line[i - 1].lat, line[i - 1].lon, line[i].lat, line[i].lon);
    if (metres <= seg || i == N - 1) {
      const double f = seg > 0 ? std::clamp(metres / seg, 0.0, 1.0) : 0.0;
      return {line[i - 1].lat + (line[i].lat - line[i - 1].lat) * f,
              line[i - 1].lon + (line[i].lon - line[i - 1].lon) * f};
    }
    metres -= seg;
  }
  return line.front();
}

std::string Km(double metres) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1f", metres / 1000);
  return buf;
}

Point Rounded(double lat, double lon) { return {Round6(lat), Round6(lon)}; }

class Generator {
 public:
  explicit Generator(const CityParams& params) : params_(params), map_(params.Districts()), rng_(params.seed) {}

  City Run() {
    const CityCounts counts = CityCounts::Dijon(params_.scale);
    // Roots first, then the children, so that registration in order always
    // finds the parent.
    std::vector<CityAsset> roots;
    std::vector<CityAsset> children;

    // Control cabinets with 30..60 light points each, until the count is reached.
    int remaining = counts.light_points;
    int cabinet_no = 0;
    int light_no = 0;
    while (remaining > 0) {
      int group = remaining;
      if (remaining > kMaxLightPointsPerCabinet) {
        group = static_cast<int>(rng_.UniformInt(kMinLightPointsPerCabinet, kMaxLightPointsPerCabinet));
        // Never leave fewer than a cabinet's minimum for the last one.
        if (remaining - group < kMinLightPointsPerCabinet) group = remaining - kMinLightPointsPerCabinet;
      }
      remaining -= group;
      CityAsset cabinet = Root(MakeId("cab", ++cabinet_no, 4), v1::ASSET_KIND_CONTROL_CABINET, kCabinetIntervalS);
      for (int i = 0; i < group; ++i) {
        CityAsset light = Child(MakeId("lp", ++light_no, 6), v1::ASSET_KIND_LIGHT_POINT, kLightPointIntervalS, cabinet);
        light.rated_watts = static_cast<double>(rng_.UniformInt(40, 60));
        light.baseline_watts = static_cast<double>(rng_.UniformInt(150, 250));
        children.push_back(std::move(light));
      }
      roots.push_back(std::move(cabinet));
    }

    // Access-point sites, with the cameras shared out evenly among them.
    std::vector<CityAsset> sites;
    for (int i = 1; i <= counts.access_point_sites; ++i) {
      sites.push_back(Root(MakeId("aps", i, 2), v1::ASSET_KIND_ACCESS_POINT_SITE, kAccessPointSiteIntervalS));
    }
    const int per_site = counts.cameras / counts.access_point_sites;
    const int extra = counts.cameras % counts.access_point_sites;
    int camera_no = 0;
    for (int s = 0; s < counts.access_point_sites; ++s) {
      const int n = per_site + (s < extra ? 1 : 0);
      for (int i = 0; i < n; ++i) {
        children.push_back(Child(MakeId("cam", ++camera_no, 3), v1::ASSET_KIND_CAMERA, kCameraIntervalS, sites[s]));
      }
    }
    for (auto& site : sites) roots.push_back(std::move(site));

    AddRoots(roots, "tc", 3, counts.traffic_controllers, v1::ASSET_KIND_TRAFFIC_CONTROLLER,
             kTrafficControllerIntervalS);
    const size_t first_building = roots.size();
    AddRoots(roots, "bap", 3, counts.building_alarm_panels, v1::ASSET_KIND_BUILDING_ALARM_PANEL, kAlarmPanelIntervalS);
    NameBuildings(roots, first_building);
    AddFloodSensors(roots, counts.flood_sensors);
    AddSnowSensors(roots, counts.snow_sensors);
    AddRoots(roots, "veh", 3, counts.crew_vehicles, v1::ASSET_KIND_CREW_VEHICLE, kVehicleIntervalS);
    AddRoots(roots, "bus", 3, counts.buses, v1::ASSET_KIND_BUS, kVehicleIntervalS);

    std::vector<CityAsset> all = std::move(roots);
    all.reserve(all.size() + children.size());
    for (auto& child : children) all.push_back(std::move(child));
    NameStreets(all);
    return City(params_, std::move(all));
  }

 private:
  CityAsset Place(std::string id, v1::AssetKind kind, int interval_s, Point p) {
    CityAsset asset;
    asset.id = std::move(id);
    asset.kind = kind;
    asset.lat = p.lat;
    asset.lon = p.lon;
    asset.district = map_.Locate(asset.lat, asset.lon);
    asset.reporting_interval_s = interval_s;
    return asset;
  }

  // Anywhere in a random district (each district as likely: the small central
  // ones are the denser).
  CityAsset Root(std::string id, v1::AssetKind kind, int interval_s) {
    const int district = static_cast<int>(rng_.UniformInt(1, static_cast<int64_t>(map_.size())));
    return RootIn(std::move(id), kind, interval_s, district);
  }

  // Anywhere in `district`.
  CityAsset RootIn(std::string id, v1::AssetKind kind, int interval_s, int district) {
    for (int i = 0; i < kPlaceTries; ++i) {
      const common::LatLon p = map_.RandomPointIn(district, [this] { return rng_.Unit(); });
      const Point rounded = Rounded(p.lat, p.lon);
      if (map_.Locate(rounded.lat, rounded.lon) == district) return Place(std::move(id), kind, interval_s, rounded);
    }
    const common::LatLon p = map_.PointIn(district, 0.5, 0.5);
    return Place(std::move(id), kind, interval_s, Rounded(p.lat, p.lon));
  }

  // Near its parent, in the parent's district (on the parent itself if no
  // draw lands there).
  CityAsset Child(std::string id, v1::AssetKind kind, int interval_s, const CityAsset& parent) {
    Point p{parent.lat, parent.lon};
    for (int i = 0; i < kPlaceTries; ++i) {
      const double lat = parent.lat + rng_.UniformReal(-kChildSpreadDeg, kChildSpreadDeg);
      const double lon = parent.lon + rng_.UniformReal(-kChildSpreadDeg, kChildSpreadDeg);
      const Point rounded = Rounded(lat, lon);
      if (map_.Locate(rounded.lat, rounded.lon) == parent.district) {
        p = rounded;
        break;
      }
    }
    CityAsset child = Place(std::move(id), kind, interval_s, p);
    child.parent_id = parent.id;
    return child;
  }

  void AddRoots(std::vector<CityAsset>& out, const char* prefix, int width, int count, v1::AssetKind kind,
                int interval_s) {
    for (int i = 1; i <= count; ++i) out.push_back(Root(MakeId(prefix, i, width), kind, interval_s));
  }

  // The buildings roots[first..] are: a type for each by kBuildingTypes'
  // shares (shuffled over the ids) and a name.
  void NameBuildings(std::vector<CityAsset>& roots, size_t first) {
    const int count = static_cast<int>(roots.size() - first);
    if (count <= 0) return;
    const std::vector<int> per_type = ApportionBuildings(count);
    std::vector<size_t> types;
    for (size_t t = 0; t < per_type.size(); ++t) types.insert(types.end(), static_cast<size_t>(per_type[t]), t);
    for (size_t i = types.size(); i > 1; --i) {
      std::swap(types[i - 1], types[static_cast<size_t>(names_rng_.UniformInt(0, static_cast<int64_t>(i) - 1))]);
    }
    // Each type draws its name endings from its own shuffle of the list.
    std::vector<std::vector<size_t>> endings(per_type.size());
    std::vector<size_t> used(per_type.size(), 0);
    std::map<int, int> town_halls_in;
    for (auto& order : endings) {
      order.resize(kNameEndings.size());
      for (size_t i = 0; i < order.size(); ++i) order[i] = i;
      for (size_t i = order.size(); i > 1; --i) {
        std::swap(order[i - 1], order[static_cast<size_t>(names_rng_.UniformInt(0, static_cast<int64_t>(i) - 1))]);
      }
    }
    for (size_t i = 0; i < types.size(); ++i) {
      CityAsset& building = roots[first + i];
      const BuildingType& type = kBuildingTypes[types[i]];
      std::string name;
      const std::string_view code = type.code;
      if (code == "town_hall") {
        name = std::string(type.prefix);
      } else if (code == "district_town_hall" && map_.Find(building.district) != nullptr) {
        // Named after its district ("... Tivoli 2" for a district's second).
        name = std::string(type.prefix) + " " + map_.Find(building.district)->name;
        const int n = town_halls_in[building.district]++;
        if (n > 0) absl::StrAppend(&name, " ", n + 1);
      } else {
        const size_t n = used[types[i]]++;
        name = std::string(type.prefix) + " " + std::string(kNameEndings[endings[types[i]][n % kNameEndings.size()]]);
        if (n >= kNameEndings.size()) absl::StrAppend(&name, " ", n / kNameEndings.size() + 1);
      }
      building.attributes[kAttrBuilding] = std::string(code);
      building.attributes[kAttrName] = std::move(name);
    }
  }

  // How many buildings of each type (kBuildingTypes' order) for `count`.
  static std::vector<int> ApportionBuildings(int count) {
    constexpr size_t kTypes = std::size(kBuildingTypes);
    std::vector<int> out(kTypes, 0);
    int others = count;
    int weights = 0;
    for (const auto& t : kBuildingTypes) {
      if (t.code != "town_hall") weights += t.per_dijon;
    }
    if (count >= 2) {  // one town hall, whatever the scale
      for (size_t t = 0; t < kTypes; ++t) {
        if (kBuildingTypes[t].code == "town_hall") out[t] = 1;
      }
      --others;
    }
    // Largest remainder over the other types (ties: kBuildingTypes' order).
    std::vector<std::pair<double, size_t>> remainders;
    int given = 0;
    for (size_t t = 0; t < kTypes; ++t) {
      if (kBuildingTypes[t].code == "town_hall") continue;
      const double exact = static_cast<double>(others) * kBuildingTypes[t].per_dijon / weights;
      out[t] = static_cast<int>(std::floor(exact));
      given += out[t];
      remainders.emplace_back(exact - std::floor(exact), t);
    }
    std::stable_sort(remainders.begin(), remainders.end(),
                     [](const auto& a, const auto& b) { return a.first > b.first; });
    for (size_t i = 0; given < others; ++i, ++given) ++out[remainders[i % remainders.size()].second];
    // At least one school: the first school type takes one from the largest other.
    int schools = 0;
    for (size_t t = 0; t < kTypes; ++t) {
      if (kBuildingTypes[t].school) schools += out[t];
    }
    if (schools == 0) {
      size_t largest = 0;
      for (size_t t = 0; t < kTypes; ++t) {
        if (out[t] > out[largest]) largest = t;
      }
      --out[largest];
      ++out[0];
    }
    return out;
  }

  // Flood sensors along the rivers, ids upstream to downstream (the Ouche's
  // first, then the Suzon's), evenly spaced with some play; on a map that
  // does not cover the river, anywhere in a random district (still named
  // after their place along the river).
  void AddFloodSensors(std::vector<CityAsset>& out, int count) {
    const int suzon = count >= kSuzonFromSensors ? count / 5 : 0;
    int number = 0;
    AddRiverSensors(out, kOuche, kRiverOuche, count - suzon, number);
    AddRiverSensors(out, kSuzon, kRiverSuzon, suzon, number);
  }

  template <size_t N>
  void AddRiverSensors(std::vector<CityAsset>& out, const std::array<Point, N>& river, const char* name, int count,
                       int& number) {
    if (count <= 0) return;
    const double length = PolylineLengthM(river);
    const double spacing = length / count;
    for (int i = 0; i < count; ++i) {
      std::string id = MakeId("fs", ++number, 2);
      double along = (i + 0.5) * spacing;
      bool placed = false;
      CityAsset sensor;
      for (int t = 0; t < kPlaceTries && !placed; ++t) {
        along = std::clamp((i + 0.5 + rng_.UniformReal(-0.3, 0.3)) * spacing, 0.0, length);
        const Point on = AlongPolyline(river, along);
        // A few metres aside, on the bank.
        const double dlat = rng_.UniformReal(-kBankM, kBankM) / common::kEarthRadiusMeters * 180.0 / kPi;
        const double dlon = rng_.UniformReal(-kBankM, kBankM) /
                            (common::kEarthRadiusMeters * std::cos(on.lat * kPi / 180.0)) * 180.0 / kPi;
        const Point p = Rounded(on.lat + dlat, on.lon + dlon);
        if (map_.Locate(p.lat, p.lon) > 0) {
          sensor = Place(id, v1::ASSET_KIND_FLOOD_SENSOR, kSensorIntervalS, p);
          placed = true;
        }
      }
      if (!placed) {
        along = (i + 0.5) * spacing;
        sensor = Root(id, v1::ASSET_KIND_FLOOD_SENSOR, kSensorIntervalS);
      }
      sensor.attributes[kAttrRiver] = name;
      sensor.attributes[kAttrRiverKm] = Km(along);
      out.push_back(std::move(sensor));
    }
  }

  // One snow sensor per district, in district order (other counts spread
  // evenly: sensor i of n in district i * D / n + 1), each on a main road.
  void AddSnowSensors(std::vector<CityAsset>& out, int count) {
    const auto districts = static_cast<int64_t>(map_.size());
    // The roads in an order of the seed's.
    std::vector<size_t> roads(kMainRoads.size());
    for (size_t i = 0; i < roads.size(); ++i) roads[i] = i;
    for (size_t i = roads.size(); i > 1; --i) {
      std::swap(roads[i - 1], roads[static_cast<size_t>(names_rng_.UniformInt(0, static_cast<int64_t>(i) - 1))]);
    }
    for (int i = 0; i < count; ++i) {
      const int district = static_cast<int>(static_cast<int64_t>(i) * districts / count + 1);
      CityAsset sensor = RootIn(MakeId("ss", i + 1, 2), v1::ASSET_KIND_SNOW_SENSOR, kSensorIntervalS, district);
      const auto n = static_cast<size_t>(i);
      std::string road(kMainRoads[roads[n % roads.size()]]);
      if (n >= roads.size()) absl::StrAppend(&road, " ", n / roads.size() + 1);
      sensor.attributes[kAttrRoad] = std::move(road);
      out.push_back(std::move(sensor));
    }
  }

  template <typename T>
  void Shuffle(std::vector<T>& items) {
    for (size_t i = items.size(); i > 1; --i) {
      std::swap(items[i - 1], items[static_cast<size_t>(streets_rng_.UniformInt(0, static_cast<int64_t>(i) - 1))]);
    }
  }

  // A street and a road class for every cabinet, copied to its light points
  // (see CityAsset::attributes). Only streets_rng_ is drawn from.
  void NameStreets(std::vector<CityAsset>& assets) {
    std::map<int, std::vector<size_t>> cabinets_in;  // by district, in id order
    std::map<int, std::vector<std::string>> snow_roads_in;
    for (size_t i = 0; i < assets.size(); ++i) {
      const CityAsset& a = assets[i];
      if (a.kind == v1::ASSET_KIND_CONTROL_CABINET) cabinets_in[a.district].push_back(i);
      if (a.kind == v1::ASSET_KIND_SNOW_SENSOR) snow_roads_in[a.district].push_back(a.attributes.at(kAttrRoad));
    }
    // The local street names in an order of the seed's.
    std::vector<std::string> local_names;
    for (auto kind : kLocalStreetKinds) {
      for (auto ending : kLocalStreetEndings) {
        std::string name = std::string(kind) + " " + std::string(ending);
        if (std::find(kMainRoads.begin(), kMainRoads.end(), name) == kMainRoads.end()) {
          local_names.push_back(std::move(name));
        }
      }
    }
    Shuffle(local_names);
    size_t next_local = 0;
    const auto new_local_name = [&] {
      const size_t n = next_local++;
      std::string name = local_names[n % local_names.size()];
      if (n >= local_names.size()) absl::StrAppend(&name, " ", n / local_names.size() + 1);
      return name;
    };
    const auto pick = [&](const std::vector<std::string>& among) {
      return among[static_cast<size_t>(streets_rng_.UniformInt(0, static_cast<int64_t>(among.size()) - 1))];
    };

    std::unordered_map<std::string, size_t> cabinet_at;
    for (auto& [district, cabinets] : cabinets_in) {
      const size_t n = cabinets.size();
      size_t mains = static_cast<size_t>(std::lround(static_cast<double>(n) * kMainRoadShare));
      if (n >= 2) mains = std::max<size_t>(mains, 1);
      if (n == 1) mains = streets_rng_.Unit() < kMainRoadShare ? 1 : 0;
      std::vector<size_t> order = cabinets;
      Shuffle(order);
      // Main roads: the district's snow sensors' first, then others of the list.
      std::vector<std::string> main_roads = snow_roads_in[district];
      std::vector<std::string> local_streets;
      for (size_t k = 0; k < n; ++k) {
        CityAsset& cabinet = assets[order[k]];
        std::string street;
        if (k < mains) {
          if (k < main_roads.size()) {
            street = main_roads[k];
          } else if (main_roads.empty() || streets_rng_.Unit() < kNewMainRoadChance) {
            street = std::string(kMainRoads[static_cast<size_t>(
                streets_rng_.UniformInt(0, static_cast<int64_t>(kMainRoads.size()) - 1))]);
            if (std::find(main_roads.begin(), main_roads.end(), street) == main_roads.end()) {
              main_roads.push_back(street);
            }
          } else {
            street = pick(main_roads);
          }
          cabinet.attributes[kAttrRoadClass] = kRoadClassMain;
        } else {
          if (local_streets.empty() || streets_rng_.Unit() < kNewLocalStreetChance) {
            local_streets.push_back(new_local_name());
            street = local_streets.back();
          } else {
            street = pick(local_streets);
          }
          cabinet.attributes[kAttrRoadClass] = kRoadClassLocal;
        }
        cabinet.attributes[kAttrStreet] = std::move(street);
        cabinet_at.emplace(cabinet.id, order[k]);
      }
    }
    for (CityAsset& a : assets) {
      if (a.kind != v1::ASSET_KIND_LIGHT_POINT) continue;
      const auto it = cabinet_at.find(a.parent_id);
      if (it == cabinet_at.end()) continue;
      const CityAsset& cabinet = assets[it->second];
      a.attributes[kAttrStreet] = cabinet.attributes.at(kAttrStreet);
      a.attributes[kAttrRoadClass] = cabinet.attributes.at(kAttrRoadClass);
    }
  }

  const CityParams& params_;
  const common::DistrictMap& map_;
  SimRng rng_;
  SimRng names_rng_{params_.seed ^ kNamesSalt};
  SimRng streets_rng_{params_.seed ^ kStreetsSalt};
};

}  // namespace

bool IsSchoolBuilding(std::string_view building) {
  for (const auto& t : kBuildingTypes) {
    if (t.code == building) return t.school;
  }
  return false;
}

std::vector<size_t> AssetsWhere(const City& city, v1::AssetKind kind, std::string_view key, std::string_view value) {
  std::vector<size_t> out;
  const std::string k(key);
  for (size_t i = 0; i < city.size(); ++i) {
    const CityAsset& a = city.at(i);
    if (a.kind != kind) continue;
    const auto it = a.attributes.find(k);
    if (it == a.attributes.end()) continue;
    if (value.empty() || it->second == value) out.push_back(i);
  }
  return out;
}

CityCounts CityCounts::Dijon(double scale) {
  const CityCounts base;
  const auto scaled = [scale](int n) { return std::max(1, static_cast<int>(std::lround(n * scale))); };
  CityCounts out;
  out.light_points = std::max(kMinLightPointsPerCabinet, scaled(base.light_points));
  out.access_point_sites = scaled(base.access_point_sites);
  out.cameras = scaled(base.cameras);
  out.traffic_controllers = scaled(base.traffic_controllers);
  out.building_alarm_panels = scaled(base.building_alarm_panels);
  out.flood_sensors = scaled(base.flood_sensors);
  out.snow_sensors = scaled(base.snow_sensors);
  out.crew_vehicles = scaled(base.crew_vehicles);
  out.buses = scaled(base.buses);
  return out;
}

City::City(CityParams params, std::vector<CityAsset> assets) : params_(params), assets_(std::move(assets)) {
  index_.reserve(assets_.size());
  for (size_t i = 0; i < assets_.size(); ++i) {
    index_.emplace(assets_[i].id, i);
    if (!assets_[i].parent_id.empty()) children_[assets_[i].parent_id].push_back(i);
  }
}

int64_t City::IndexOf(std::string_view id) const {
  const auto it = index_.find(std::string(id));
  return it == index_.end() ? -1 : static_cast<int64_t>(it->second);
}

const std::vector<size_t>& City::ChildrenOf(std::string_view id) const {
  static const std::vector<size_t> kNone;
  const auto it = children_.find(std::string(id));
  return it == children_.end() ? kNone : it->second;
}

size_t City::CountOf(v1::AssetKind kind) const {
  return static_cast<size_t>(
      std::count_if(assets_.begin(), assets_.end(), [kind](const CityAsset& a) { return a.kind == kind; }));
}

City GenerateCity(const CityParams& params) { return Generator(params).Run(); }

v1::Asset ToProto(const CityAsset& asset) {
  v1::Asset out;
  out.set_id(asset.id);
  out.set_kind(asset.kind);
  out.set_district(asset.district);
  out.mutable_location()->set_lat(asset.lat);
  out.mutable_location()->set_lon(asset.lon);
  out.set_parent_id(asset.parent_id);
  out.set_reporting_interval_s(asset.reporting_interval_s);
  out.set_rated_watts(asset.rated_watts);
  out.set_baseline_watts(asset.baseline_watts);
  for (const auto& [key, value] : asset.attributes) (*out.mutable_attributes())[key] = value;
  return out;
}

}  // namespace cityops::sim
