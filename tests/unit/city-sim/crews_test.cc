#include "crews.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <map>
#include <set>

namespace cityops::sim {
namespace {

TEST_CASE("One crew per crew vehicle, with Dijon's mix of skills", "[crews]") {
  CityParams params;
  params.seed = 3;
  const City city = GenerateCity(params);
  const auto crews = PlanCrews(city);
  REQUIRE(crews.size() == city.CountOf(telemetry::v1::ASSET_KIND_CREW_VEHICLE));
  REQUIRE(crews.size() == 205);
  std::map<std::string, int> by_skill;
  std::set<std::string> ids;
  for (const auto& c : crews) {
    REQUIRE(c.skills.size() == 2);
    CHECK(c.skills[1] == "general");
    ++by_skill[c.skills[0]];
    CHECK(ids.insert(c.id).second);
    const auto index = city.IndexOf(c.vehicle_id);
    REQUIRE(index >= 0);
    CHECK(city.at(static_cast<size_t>(index)).lat == c.lat);
  }
  CHECK(by_skill == std::map<std::string, int>{{"building_security", 15},
                                               {"fleet", 5},
                                               {"green_spaces", 30},
                                               {"municipal_police", 20},
                                               {"network_fibre", 10},
                                               {"refuse", 35},
                                               {"roads", 40},
                                               {"street_lighting", 30},
                                               {"traffic_signals", 20}});
  // The same city, the same crews.
  const auto again = PlanCrews(GenerateCity(params));
  REQUIRE(again.size() == crews.size());
  for (size_t i = 0; i < crews.size(); ++i) CHECK(again[i].skills == crews[i].skills);
}

TEST_CASE("Every skill has crews at small scales, two for building security and street lighting", "[crews]") {
  for (const double scale : {0.05, 0.1, 1.0, 10.0}) {
    CAPTURE(scale);
    CityParams params;
    params.seed = 8;
    params.scale = scale;
    const City city = GenerateCity(params);
    const auto crews = PlanCrews(city);
    REQUIRE(crews.size() == city.CountOf(telemetry::v1::ASSET_KIND_CREW_VEHICLE));
    std::map<std::string, int> having;
    for (const auto& c : crews) {
      REQUIRE(c.skills.size() >= 2);
      CHECK(c.skills.back() == "general");
      for (const auto& skill : c.skills) ++having[skill];
      CHECK(c.name.find(c.skills[0]) != std::string::npos);
    }
    for (const auto& share : CrewSkillMix()) {
      CAPTURE(share.skill);
      CHECK(having[std::string(share.skill)] >= share.at_least);
      CHECK(having[std::string(share.skill)] >= 1);
    }
    CHECK(having["building_security"] >= 2);
    CHECK(having["street_lighting"] >= 2);
    // Close to the mix where there are enough crews for it: within one crew
    // plus the minimums' moves.
    const double n = static_cast<double>(crews.size());
    for (const auto& share : CrewSkillMix()) {
      CAPTURE(share.skill);
      CHECK(std::abs(having[std::string(share.skill)] - n * share.per_dijon / 205) <= 2);
    }
  }
  // e2e tests run at 0.1: 21 crews, each with one trade.
  CityParams params;
  params.scale = 0.1;
  const auto crews = PlanCrews(GenerateCity(params));
  CHECK(crews.size() == 21);
  for (const auto& c : crews) CHECK(c.skills.size() == 2);
  // At 0.05 (10 crews for minimums adding up to 11), one crew has two trades.
  params.scale = 0.05;
  const auto few = PlanCrews(GenerateCity(params));
  REQUIRE(few.size() == 10);
  int doubled = 0;
  for (const auto& c : few) doubled += c.skills.size() == 3 ? 1 : 0;
  CHECK(doubled == 1);
}

TEST_CASE("Trades are spread along the fleet, not in blocks", "[crews]") {
  CityParams params;
  params.seed = 2;
  const auto crews = PlanCrews(GenerateCity(params));
  REQUIRE(crews.size() == 205);
  // In any window of 41 crews (a fifth of the fleet), about a fifth of each trade.
  for (size_t start = 0; start + 41 <= crews.size(); start += 41) {
    std::map<std::string, int> window;
    for (size_t i = start; i < start + 41; ++i) ++window[crews[i].skills[0]];
    CHECK(window["roads"] >= 7);
    CHECK(window["roads"] <= 9);
    CHECK(window["fleet"] == 1);
  }
}

TEST_CASE("CrewTravelSeconds: at least 90 s even next door, at most 5 min", "[crews]") {
  CHECK(CrewTravelSeconds(0) == 90);
  CHECK(CrewTravelSeconds(12) == 90);
  CHECK(CrewTravelSeconds(-5) == 90);
  CHECK(CrewTravelSeconds(std::nan("")) == 90);
  CHECK(CrewTravelSeconds(150) == 150);
  CHECK(CrewTravelSeconds(300) == 300);
  CHECK(CrewTravelSeconds(2000) == 300);
}

TEST_CASE("CrewBoard: a crew takes an order, is preempted for a critical one, and old steps are dropped", "[crews]") {
  CrewBoard board;
  board.AddCrew("crew-a");
  board.AddCrew("crew-b");
  CHECK(board.Knows("crew-a"));
  CHECK_FALSE(board.Knows("crew-z"));
  // Not our crew.
  CHECK_FALSE(board.OnAssigned("crew-z", "WO-1").has_value());

  const auto low = board.OnAssigned("crew-a", "WO-1");
  REQUIRE(low.has_value());
  CHECK(low->preempted_from.empty());
  CHECK(board.Holds("crew-a", "WO-1", low->generation));
  CHECK(board.OrderOf("crew-a") == "WO-1");
  // The same event again changes nothing.
  CHECK_FALSE(board.OnAssigned("crew-a", "WO-1").has_value());
  CHECK(board.Holds("crew-a", "WO-1", low->generation));

  // Dispatch: PREEMPTED for WO-1 (no crew on it), then ASSIGNED WO-2 to crew-a.
  CHECK(board.OnPreempted("WO-1") == std::optional<std::string>("crew-a"));
  CHECK_FALSE(board.Holds("crew-a", "WO-1", low->generation));
  CHECK(board.OrderOf("crew-a").empty());
  const auto critical = board.OnAssigned("crew-a", "WO-2");
  REQUIRE(critical.has_value());
  CHECK(critical->preempted_from == "WO-1");
  CHECK(critical->generation != low->generation);
  CHECK(board.preempted() == 1);
  CHECK(board.Holds("crew-a", "WO-2", critical->generation));
  // A PREEMPTED for an order nobody holds any more: nothing.
  CHECK_FALSE(board.OnPreempted("WO-1").has_value());

  // WO-1 goes to crew-b from the queue: a plain assignment.
  const auto requeued = board.OnAssigned("crew-b", "WO-1");
  REQUIRE(requeued.has_value());
  CHECK(requeued->preempted_from.empty());

  // crew-a completes WO-2, then gets WO-1 back later (crew-b's was cancelled):
  // the steps scheduled for its first time on WO-1 stay dropped.
  board.OnCompleted("crew-a", "WO-2");
  CHECK(board.OrderOf("crew-a").empty());
  CHECK(board.OnCancelled("WO-1", "crew-b") == std::optional<std::string>("crew-b"));
  CHECK(board.OrderOf("crew-b").empty());
  const auto again = board.OnAssigned("crew-a", "WO-1");
  REQUIRE(again.has_value());
  CHECK(again->preempted_from.empty());
  CHECK_FALSE(board.Holds("crew-a", "WO-1", low->generation));
  CHECK(board.Holds("crew-a", "WO-1", again->generation));
  CHECK(board.preempted() == 1);
}

TEST_CASE("CrewBoard: an ASSIGNED while holding another order counts as a preemption (PREEMPTED missed)", "[crews]") {
  CrewBoard board;
  board.AddCrew("crew-a");
  REQUIRE(board.OnAssigned("crew-a", "WO-1").has_value());
  const auto taken = board.OnAssigned("crew-a", "WO-2");
  REQUIRE(taken.has_value());
  CHECK(taken->preempted_from == "WO-1");
  CHECK(board.preempted() == 1);
  // WO-1 is no longer crew-a's: its cancellation does not free crew-a.
  CHECK_FALSE(board.OnCancelled("WO-1", "crew-a").has_value());
  CHECK(board.OrderOf("crew-a") == "WO-2");
  // Cancelling the order it holds frees it; a later order is not a preemption.
  CHECK(board.OnCancelled("WO-2", "") == std::optional<std::string>("crew-a"));
  const auto next = board.OnAssigned("crew-a", "WO-3");
  REQUIRE(next.has_value());
  CHECK(next->preempted_from.empty());
  // Completing an order the crew does not hold changes nothing.
  board.OnCompleted("crew-a", "WO-1");
  CHECK(board.OrderOf("crew-a") == "WO-3");
}

}  // namespace
}  // namespace cityops::sim
