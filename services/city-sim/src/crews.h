#pragma once

// The city's crews, one per crew vehicle, with skills in Dijon's mix. Pure.

#include <string>
#include <vector>

#include "city.h"

namespace cityops::sim {

struct CrewPlan {
  std::string id;
  std::string name;
  std::vector<std::string> skills;
  std::string vehicle_id;
  double lat = 0;  // home base: where the vehicle is generated
  double lon = 0;
};

// One crew per crew vehicle, in the vehicles' order; skills assigned by a
// fixed mix (per 205 crews: roads 40, refuse 35, street lighting 30, green
// spaces 30, traffic signals 20, municipal police 20, building security 15,
// network/fibre 10, fleet 5), every crew also "general".
std::vector<CrewPlan> PlanCrews(const City& city);

}  // namespace cityops::sim
