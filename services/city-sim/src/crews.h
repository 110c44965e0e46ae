#pragma once

// The city's crews, one per crew vehicle, with skills in Dijon's mix. Pure.

#include <string>
#include <string_view>
#include <vector>

#include "city.h"

namespace cityops::sim {

struct CrewPlan {
  std::string id;
  std::string name;
  // Its trade(s) first, "general" last.
  std::vector<std::string> skills;
  std::string vehicle_id;
  double lat = 0;  // home base: where the vehicle is generated
  double lon = 0;
};

struct CrewSkillShare {
  std::string_view skill;
  int per_dijon;  // crews of Dijon's 205
  int at_least;   // crews having it, at any scale of at least kMinCrewScale
};

// Dijon's mix per 205 crews: roads 40, refuse 35, street lighting 30, green
// spaces 30, traffic signals 20, municipal police 20, building security 15,
// network/fibre 10, fleet 5. Every skill has at least one crew, building
// security and street lighting two (a critical alarm can take one from a
// low-priority job while the other stays free).
const std::vector<CrewSkillShare>& CrewSkillMix();

// The smallest scale at which the minimums are promised (10 crews).
inline constexpr double kMinCrewScale = 0.05;

// One crew per crew vehicle, in the vehicles' order ("crew-veh-001").
// Skills: the mix apportioned over the crews (largest remainder), then the
// minimums of CrewSkillMix() taken from the skills with the most crews to
// spare; when there are fewer crews than the minimums add up to (10 crews
// for 11), crews of the largest trades take a second trade. The trades are
// spread evenly along the vehicles' order. Every crew is also "general".
// Deterministic: the same city, the same crews.
std::vector<CrewPlan> PlanCrews(const City& city);

}  // namespace cityops::sim
