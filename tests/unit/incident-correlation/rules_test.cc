#include "domain/rules.h"

#include <catch2/catch.hpp>

#include <fstream>
#include <string>

#include "fixtures.h"

namespace cityops::incidents {
namespace {

std::string Shipped() { return std::string(DefaultRulesJson()); }

// The shipped rules with one piece of text replaced.
std::string Edited(const std::string& from, const std::string& to) {
  std::string text = Shipped();
  const auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  text.replace(at, from.size(), to);
  return text;
}

TEST_CASE("The shipped rules load, with the thresholds of the file", "[rules]") {
  auto rules = Rules::FromJson(DefaultRulesJson());
  REQUIRE(rules.ok());
  CHECK(rules->min_children == 3);
  CHECK(rules->min_fraction == 0.5);
  CHECK(rules->topology_window == std::chrono::seconds(120));
  CHECK(rules->link_distance_m == 150);
  CHECK(rules->link_window == std::chrono::hours(24));
  REQUIRE(rules->parents.size() == 2);
  CHECK(rules->ParentRuleForChild(telemetry::v1::ASSET_KIND_LIGHT_POINT)->parent_kind ==
        telemetry::v1::ASSET_KIND_CONTROL_CABINET);
  CHECK(rules->ParentRuleForChild(telemetry::v1::ASSET_KIND_CAMERA)->parent_kind ==
        telemetry::v1::ASSET_KIND_ACCESS_POINT_SITE);
  CHECK(rules->ParentRuleForChild(telemetry::v1::ASSET_KIND_BUS) == nullptr);
}

TEST_CASE("The file's thresholds are the ones used, not constants in the code", "[rules]") {
  auto rules = Rules::FromJson(Edited("\"min_children\": 3", "\"min_children\": 7"));
  REQUIRE(rules.ok());
  CHECK(rules->min_children == 7);
  rules = Rules::FromJson(Edited("\"link_distance_m\": 150", "\"link_distance_m\": 60"));
  REQUIRE(rules.ok());
  CHECK(rules->link_distance_m == 60);
}

TEST_CASE("Assessment takes an exact fault type before the kind's default, then the global default", "[rules]") {
  auto rules = Rules::FromJson(DefaultRulesJson());
  REQUIRE(rules.ok());
  CHECK(rules->Assess(telemetry::v1::ASSET_KIND_BUILDING_ALARM_PANEL, telemetry::v1::FAULT_TYPE_FIRE_ALARM).priority ==
        v1::PRIORITY_CRITICAL);
  CHECK(rules->Assess(telemetry::v1::ASSET_KIND_BUILDING_ALARM_PANEL, telemetry::v1::FAULT_TYPE_TAMPER).priority ==
        v1::PRIORITY_NORMAL);
  CHECK(rules->Assess(telemetry::v1::ASSET_KIND_UNSPECIFIED, telemetry::v1::FAULT_TYPE_TAMPER).skill == "general");
}

TEST_CASE("An unknown category falls back to the declared catch-all", "[rules]") {
  auto rules = Rules::FromJson(DefaultRulesJson());
  REQUIRE(rules.ok());
  CHECK(rules->Category("street_lighting").kinds.count(telemetry::v1::ASSET_KIND_LIGHT_POINT) == 1);
  CHECK(rules->Category("graffiti").category == "other");
}

TEST_CASE("A rules file with a mistake is refused, naming where", "[rules]") {
  struct Case {
    std::string from, to, expected;
  };
  const Case cases[] = {
      {"\"min_children\": 3", "\"min_childs\": 3", "topology.min_childs: unknown field"},
      {"\"min_fraction\": 0.5", "\"min_fraction\": 1.5", "topology.min_fraction: must be within 0..1"},
      {"\"parent_kind\": \"CONTROL_CABINET\"", "\"parent_kind\": \"CABINET\"",
       "topology.parents[0].parent_kind: unknown asset kind \"CABINET\""},
      {"\"fault_type\": \"FIRE_ALARM\", \"priority\": \"CRITICAL\"",
       "\"fault_type\": \"FIRE\", \"priority\": \"CRITICAL\"", "priorities[0].fault_type: unknown fault type \"FIRE\""},
      {"\"priority\": \"CRITICAL\", \"skill\": \"building_security\"}",
       "\"priority\": \"URGENT\", \"skill\": \"building_security\"}", "priorities[0].priority: unknown priority"},
      {"\"unknown_category\": \"other\"", "\"unknown_category\": \"misc\"",
       "resident_calls.unknown_category: \"misc\" is not a declared category"},
      {"\"resolve_hold_s\": 30,", "", "deduplication.resolve_hold_s: missing"},
  };
  for (const auto& c : cases) {
    INFO(c.from << " -> " << c.to);
    auto rules = Rules::FromJson(Edited(c.from, c.to));
    REQUIRE_FALSE(rules.ok());
    CHECK(rules.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK_THAT(std::string(rules.status().message()), Catch::Contains(c.expected));
  }
  CHECK_FALSE(Rules::FromJson("{not json").ok());
}

TEST_CASE("A missing rules file is NOT_FOUND naming the path", "[rules]") {
  auto rules = Rules::LoadFile("/nonexistent/rules.json");
  REQUIRE_FALSE(rules.ok());
  CHECK(rules.status().code() == absl::StatusCode::kNotFound);
  CHECK_THAT(std::string(rules.status().message()), Catch::Contains("/nonexistent/rules.json"));
}

TEST_CASE("Topology keeps children counts through updates, moves and retirements", "[topology]") {
  Topology t;
  t.Upsert({"cab", telemetry::v1::ASSET_KIND_CONTROL_CABINET, "", 1, 47.3, 5.0, 1});
  t.Upsert({"a", telemetry::v1::ASSET_KIND_LIGHT_POINT, "cab", 1, 47.3, 5.0, 1});
  t.Upsert({"b", telemetry::v1::ASSET_KIND_LIGHT_POINT, "cab", 1, 47.3, 5.0, 1});
  CHECK(t.ChildCount("cab") == 2);
  // A replayed older version changes nothing.
  CHECK_FALSE(t.Upsert({"b", telemetry::v1::ASSET_KIND_LIGHT_POINT, "other", 1, 47.3, 5.0, 1}));
  CHECK(t.ChildCount("cab") == 2);
  // A newer version moves it to another parent.
  CHECK(t.Upsert({"b", telemetry::v1::ASSET_KIND_LIGHT_POINT, "cab-9", 1, 47.3, 5.0, 2}));
  CHECK(t.ChildCount("cab") == 1);
  CHECK(t.ChildCount("cab-9") == 1);
  CHECK(t.Retire("a", 2));
  CHECK(t.ChildCount("cab") == 0);
  CHECK(t.Find("a") == nullptr);
  // The registration replayed after the retirement does not revive it.
  CHECK_FALSE(t.Upsert({"a", telemetry::v1::ASSET_KIND_LIGHT_POINT, "cab", 1, 47.3, 5.0, 1}));
  CHECK(t.Find("a") == nullptr);
}

}  // namespace
}  // namespace cityops::incidents
