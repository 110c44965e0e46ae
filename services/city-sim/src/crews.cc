#include "crews.h"

#include <utility>

namespace cityops::sim {

std::vector<CrewPlan> PlanCrews(const City& city) {
  // Per 205 crews (Dijon's fleet); the pattern repeats for larger cities.
  static const std::vector<std::pair<std::string, int>> kMix = {{"roads", 40},
                                                                {"refuse", 35},
                                                                {"street_lighting", 30},
                                                                {"green_spaces", 30},
                                                                {"traffic_signals", 20},
                                                                {"municipal_police", 20},
                                                                {"building_security", 15},
                                                                {"network_fibre", 10},
                                                                {"fleet", 5}};
  int total = 0;
  for (const auto& [skill, n] : kMix) total += n;
  std::vector<CrewPlan> crews;
  int index = 0;
  for (const auto& asset : city.assets()) {
    if (asset.kind != telemetry::v1::ASSET_KIND_CREW_VEHICLE) continue;
    // Spread the skills over the fleet: crew i takes the skill whose share of
    // the mix covers position (i * 37) mod total (37 is prime to 205).
    int position = (index * 37) % total;
    std::string skill;
    for (const auto& [name, n] : kMix) {
      if (position < n) {
        skill = name;
        break;
      }
      position -= n;
    }
    CrewPlan crew;
    crew.vehicle_id = asset.id;
    crew.id = "crew-" + asset.id;
    crew.name = "Crew " + std::to_string(index + 1) + " (" + skill + ")";
    crew.skills = {skill, "general"};
    crew.lat = asset.lat;
    crew.lon = asset.lon;
    crews.push_back(std::move(crew));
    ++index;
  }
  return crews;
}

}  // namespace cityops::sim
