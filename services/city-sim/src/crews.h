#pragma once

// The city's crews, one per crew vehicle, with skills in Dijon's mix. Pure.

#include <cstdint>
#include <map>
#include <optional>
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

// How long a crew takes to reach a work order, in simulated seconds: the
// order's ETA from dispatch, but at least kMinCrewTravelS (setting off and
// driving even next door: a crew sent on a low-priority job stays en route,
// and so preemptible, for a while) and at most kMaxCrewTravelS (so that a
// demonstration does not wait on a far crew). The crews' app divides it by
// --speed.
inline constexpr double kMinCrewTravelS = 90;
inline constexpr double kMaxCrewTravelS = 300;
// The work on site, in simulated seconds.
inline constexpr double kCrewWorkS = 120;
double CrewTravelSeconds(double eta_s);

// What each crew is doing, as the crews' app follows it from crew
// dispatch's assignment events (WatchAssignments). Pure, not thread-safe.
//
// Dispatch preempts a crew (a critical order takes a crew from a
// low-priority one) with two events in this order: PREEMPTED for the old
// order (sent back to the queue: its crew_id is cleared, so the board finds
// the crew by the order) and ASSIGNED for the new one to the same crew. The
// crew abandons the old order and drives to the new one. CANCELLED (the
// incident resolved) makes the crew drop its order. Each order a crew takes
// gets a new generation: the agent's timed steps (arrive, complete) carry
// it, and are dropped when the crew no longer holds that order at that
// generation (a step of an order the crew was taken from, even one given
// back to it later).
class CrewBoard {
 public:
  struct Taken {
    uint64_t generation = 0;
    // The order the crew was taken from for this one (empty: it was free).
    std::string preempted_from;
  };

  void AddCrew(const std::string& crew_id);
  bool Knows(const std::string& crew_id) const { return crews_.count(crew_id) != 0; }

  // ASSIGNED: `crew_id` takes `order_id`. Nothing for a crew not ours, or an
  // order it already holds (an event seen twice).
  std::optional<Taken> OnAssigned(const std::string& crew_id, const std::string& order_id);
  // PREEMPTED: the crew holding `order_id` drops it; returns that crew.
  std::optional<std::string> OnPreempted(const std::string& order_id);
  // CANCELLED: the crew holding `order_id` (or `crew_id` when it holds it)
  // drops it; returns that crew.
  std::optional<std::string> OnCancelled(const std::string& order_id, const std::string& crew_id);
  // The crew completed its order: it is free.
  void OnCompleted(const std::string& crew_id, const std::string& order_id);

  // Whether `crew_id` still holds `order_id` at `generation`.
  bool Holds(const std::string& crew_id, const std::string& order_id, uint64_t generation) const;
  // The order a crew holds (empty: free).
  std::string OrderOf(const std::string& crew_id) const;
  uint64_t preempted() const { return preempted_; }

 private:
  struct State {
    std::string order_id;
    uint64_t generation = 0;
    // Set by PREEMPTED until the crew's next ASSIGNED.
    std::string preempted_from;
  };
  std::string Drop(const std::string& crew_id);

  std::map<std::string, State> crews_;
  std::map<std::string, std::string> holder_;  // order -> crew
  uint64_t next_generation_ = 1;
  uint64_t preempted_ = 0;
};

}  // namespace cityops::sim
