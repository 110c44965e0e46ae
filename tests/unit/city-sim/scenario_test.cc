#include "scenario.h"

#include <catch2/catch.hpp>

#include <set>

namespace cityops::sim {
namespace {

namespace v1 = telemetry::v1;

City SmallCity(uint64_t seed) {
  CityParams params;
  params.seed = seed;
  params.scale = 0.05;
  return GenerateCity(params);
}

}  // namespace

TEST_CASE("Scenario none: no step", "[scenario]") {
  const City city = SmallCity(1);
  auto scenario = MakeScenario(city, {});
  REQUIRE(scenario.ok());
  CHECK(scenario->steps.empty());
}

TEST_CASE("Scenario cabinet-power-loss: loss then return of one cabinet with its light points", "[scenario]") {
  const City city = SmallCity(1);
  ScenarioParams params;
  params.name = kScenarioCabinetPowerLoss;
  params.fault_after = std::chrono::seconds(30);
  params.fault_duration = std::chrono::minutes(3);
  auto scenario = MakeScenario(city, params);
  REQUIRE(scenario.ok());
  REQUIRE(scenario->steps.size() == 2);
  const ScenarioStep& loss = scenario->steps[0];
  const ScenarioStep& back = scenario->steps[1];
  CHECK(loss.at == std::chrono::seconds(30));
  CHECK(back.at == std::chrono::seconds(210));
  CHECK(loss.fault == v1::FAULT_TYPE_POWER_LOSS);
  CHECK(back.fault == v1::FAULT_TYPE_POWER_LOSS);
  CHECK_FALSE(loss.cleared);
  CHECK(back.cleared);
  CHECK(loss.asset_id == back.asset_id);
  const int64_t cabinet = city.IndexOf(loss.asset_id);
  REQUIRE(cabinet >= 0);
  CHECK(city.at(static_cast<size_t>(cabinet)).kind == v1::ASSET_KIND_CONTROL_CABINET);

  // The cabinet and exactly its light points go quiet.
  const std::set<size_t> affected(loss.affected.begin(), loss.affected.end());
  CHECK(affected.size() == loss.affected.size());
  CHECK(affected.count(static_cast<size_t>(cabinet)) == 1);
  const auto& lights = city.ChildrenOf(loss.asset_id);
  CHECK(affected.size() == lights.size() + 1);
  for (const size_t i : lights) CHECK(affected.count(i) == 1);
  CHECK(back.affected == loss.affected);
}

TEST_CASE("Scenario cabinet-power-loss: the target follows the seed / or the flag", "[scenario]") {
  ScenarioParams params;
  params.name = kScenarioCabinetPowerLoss;
  const City one = SmallCity(1);
  auto a = MakeScenario(one, params);
  auto b = MakeScenario(one, params);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(a->steps[0].asset_id == b->steps[0].asset_id);

  params.target = "cab-0002";
  auto chosen = MakeScenario(one, params);
  REQUIRE(chosen.ok());
  CHECK(chosen->steps[0].asset_id == "cab-0002");

  params.target = "lp-000001";
  CHECK(MakeScenario(one, params).status().code() == absl::StatusCode::kInvalidArgument);
  params.target = "cab-9999";
  CHECK(MakeScenario(one, params).status().code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("Scenario: unknown name and negative times are rejected", "[scenario]") {
  const City city = SmallCity(1);
  ScenarioParams params;
  params.name = "meteor-strike";
  const auto unknown = MakeScenario(city, params);
  CHECK(unknown.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(std::string(unknown.status().message()).find("cabinet-power-loss") != std::string::npos);
  params.name = kScenarioCabinetPowerLoss;
  params.fault_after = std::chrono::milliseconds(-1);
  CHECK(MakeScenario(city, params).status().code() == absl::StatusCode::kInvalidArgument);
}

}  // namespace cityops::sim
