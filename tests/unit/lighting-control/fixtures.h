#pragma once

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

#include "domain/city_index.h"
#include "domain/civil_time.h"
#include "domain/lighting_config.h"
#include "domain/model.h"
#include "domain/planner.h"
#include "domain/schedule.h"

// Plain data for the lighting tests: instants in UTC and in Dijon's local
// time, constant profiles (one step: the same level day and night, so a
// test does not depend on the hour), Dijon's standard profile, and small cities.
namespace cityops::lighting::testing {

using namespace std::chrono_literals;

inline const LocalTimeRule kParis{};  // UTC+1, EU summer time

inline TimePoint Utc(int y, int mo, int d, int h = 0, int mi = 0, int s = 0) {
  return UtcMidnight({y, mo, d}) + std::chrono::hours(h) + std::chrono::minutes(mi) + std::chrono::seconds(s);
}
// Dijon's wall clock.
inline TimePoint Local(int y, int mo, int d, int h, int mi = 0) { return LocalToUtc({y, mo, d}, h * 60 + mi, kParis); }

inline ScheduleClock DijonClock() { return ScheduleClock(AstroClock(), kParis); }

inline DimmingProfile Flat(int level) {
  return {"flat" + std::to_string(level), "always " + std::to_string(level), {{Anchor::kSunset, 0, 0, level}}};
}

// 100% from sunset, 50% from 22:30, 100% from 05:30, off from sunrise.
inline DimmingProfile Standard() {
  return {"standard",
          "dimmed at night",
          {{Anchor::kSunset, 0, 0, 100},
           {Anchor::kClock, 22 * 60 + 30, 0, 50},
           {Anchor::kClock, 5 * 60 + 30, 0, 100},
           {Anchor::kSunrise, 0, 0, 0}}};
}

inline std::vector<DimmingProfile> TestProfiles() {
  return {Standard(), Flat(10), Flat(20), Flat(40), Flat(60), Flat(70), Flat(80)};
}

inline LightPoint Lp(std::string id, std::string cabinet, int district, std::string street) {
  return {std::move(id), std::move(cabinet), district, std::move(street), 50.0, 150.0};
}

// District 1: cab-1 (p1, p2 on Rue A; p3, p4 on Rue B), cab-2 (p5, p6 on Rue B;
// p7, p8 on Rue C). District 2: cab-3 (p9..p12 on Rue D). District 3: cab-4
// (p13..p16, no street).
inline std::vector<LightPoint> SmallCityPoints() {
  return {Lp("p1", "cab-1", 1, "Rue A"),  Lp("p2", "cab-1", 1, "Rue A"),  Lp("p3", "cab-1", 1, "Rue B"),
          Lp("p4", "cab-1", 1, "Rue B"),  Lp("p5", "cab-2", 1, "Rue B"),  Lp("p6", "cab-2", 1, "Rue B"),
          Lp("p7", "cab-2", 1, "Rue C"),  Lp("p8", "cab-2", 1, "Rue C"),  Lp("p9", "cab-3", 2, "Rue D"),
          Lp("p10", "cab-3", 2, "Rue D"), Lp("p11", "cab-3", 2, "Rue D"), Lp("p12", "cab-3", 2, "Rue D"),
          Lp("p13", "cab-4", 3, ""),      Lp("p14", "cab-4", 3, ""),      Lp("p15", "cab-4", 3, ""),
          Lp("p16", "cab-4", 3, "")};
}

// `districts` x `cabinets` cabinets of `per_cabinet` points; each cabinet's
// points on 3 streets, the last shared with the next cabinet of its district.
inline std::vector<LightPoint> GridCityPoints(int districts, int cabinets, int per_cabinet) {
  std::vector<LightPoint> points;
  for (int d = 1; d <= districts; ++d) {
    for (int c = 0; c < cabinets; ++c) {
      const std::string cabinet = "cab-" + std::to_string(d) + "-" + std::to_string(c);
      for (int i = 0; i < per_cabinet; ++i) {
        const int street = c * 2 + (i * 3 / per_cabinet);  // streets 2c, 2c+1, 2c+2 (shared)
        points.push_back(Lp(cabinet + "-" + std::to_string(i), cabinet, d,
                            "street-" + std::to_string(d) + "-" + std::to_string(street)));
      }
    }
  }
  return points;
}

inline LightPoint Road(std::string id, std::string cabinet, int district, std::string street, std::string road_class) {
  LightPoint p = Lp(std::move(id), std::move(cabinet), district, std::move(street));
  p.road_class = std::move(road_class);
  return p;
}

// Districts 1..3, each with a main-road cabinet main-D (points mD-0..mD-3 on
// Boulevard D; in district 3, mD-2 and mD-3 are on Avenue 3 instead) and a
// local one loc-D (lD-0..lD-3 on Rue D). District 1 also has mix-1, one main
// point (m1-mix, Boulevard 1) and one local (l1-mix, Rue 1). District 4: cab-x
// (x-0, x-1), no road class.
inline std::vector<LightPoint> RoadCityPoints() {
  std::vector<LightPoint> points;
  for (int d = 1; d <= 3; ++d) {
    const std::string n = std::to_string(d);
    for (int i = 0; i < 4; ++i) {
      const std::string street = d == 3 && i >= 2 ? "Avenue 3" : "Boulevard " + n;
      points.push_back(Road("m" + n + "-" + std::to_string(i), "main-" + n, d, street, "main"));
      points.push_back(Road("l" + n + "-" + std::to_string(i), "loc-" + n, d, "Rue " + n, "local"));
    }
  }
  points.push_back(Road("m1-mix", "mix-1", 1, "Boulevard 1", "main"));
  points.push_back(Road("l1-mix", "mix-1", 1, "Rue 1", "local"));
  points.push_back(Road("x-0", "cab-x", 4, "", ""));
  points.push_back(Road("x-1", "cab-x", 4, "", ""));
  return points;
}

inline CityIndex Index(std::vector<LightPoint> points) {
  auto city = CityIndex::Build(std::move(points));
  if (!city.ok()) throw std::runtime_error(std::string(city.status().message()));
  return *std::move(city);
}

inline Planner MakePlanner(const CityIndex& city, const std::string& default_profile = "standard") {
  auto planner = Planner::Create(city, DijonClock(), TestProfiles(), default_profile);
  if (!planner.ok()) throw std::runtime_error(std::string(planner.status().message()));
  return *std::move(planner);
}

inline Override MakeOverride(std::string id, Scope scope, int level, OverrideSource source, TimePoint start,
                             TimePoint expiry) {
  Override o;
  o.id = std::move(id);
  o.scope = std::move(scope);
  o.level = level;
  o.reason = "test";
  o.start = start;
  o.expiry = expiry;
  o.source = source;
  o.created_by = "tester";
  return o;
}

}  // namespace cityops::lighting::testing
