#include "domain/crisis.h"

#include <catch2/catch.hpp>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "domain/rules.h"

namespace cityops::incidents::crisis {
namespace {

namespace tv1 = cityops::telemetry::v1;
namespace dv1 = cityops::dispatch::v1;

// A small valid file; the error cases edit one line of it (line numbers in
// the comments).
const std::string kBase = R"({
  "playbooks": [
    {
      "id": "snow",
      "name": "Snow",
      "trigger": {"fault_types": ["ICE_ON_ROAD"], "min_districts": 2, "min_incidents": 3},
      "actions": [
        {"kind": "raise_priority", "fault_types": ["ICE_ON_ROAD"], "call_categories": ["roads"], "at_least": "CRITICAL"},
        {"kind": "lighting_override", "level": 100}
      ]
    },
    {
      "id": "flood",
      "name": "Flood",
      "trigger": {"fault_types": ["WATER_LEVEL_HIGH"]},
      "actions": [
        {"kind": "preposition_crews", "skill": "roads", "per_district": 2},
        {"kind": "standby_crews", "skill": "roads", "max_crews": 3}
      ]
    }
  ]
})";

std::string Edited(const std::string& from, const std::string& to) {
  std::string text = kBase;
  const auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  text.replace(at, from.size(), to);
  return text;
}

// The error message of loading `text` as "t.json" (which must fail).
std::string ErrorOf(const std::string& text) {
  auto loaded = Playbooks::FromJson(text, "t.json");
  REQUIRE_FALSE(loaded.ok());
  CHECK(loaded.status().code() == absl::StatusCode::kInvalidArgument);
  return std::string(loaded.status().message());
}

Playbooks Shipped() {
  auto loaded = Playbooks::FromJson(DefaultPlaybooksJson(), "playbooks.json");
  if (!loaded.ok()) FAIL(std::string(loaded.status().message()));
  return *loaded;
}

Playbook Base(const std::string& id) {
  auto loaded = Playbooks::FromJson(kBase, "t.json");
  REQUIRE(loaded.ok());
  const Playbook* p = loaded->Find(id);
  REQUIRE(p != nullptr);
  return *p;
}

std::vector<std::string> Ids(const std::vector<PlannedAction>& actions) {
  std::vector<std::string> ids;
  ids.reserve(actions.size());
  for (const auto& a : actions) ids.push_back(a.id);
  return ids;
}

TEST_CASE("Crisis: the shipped playbooks load, snow and flood as the issue asks", "[crisis]") {
  const Playbooks playbooks = Shipped();
  const Playbook* snow = playbooks.Find("snow");
  const Playbook* flood = playbooks.Find("flood");
  REQUIRE(snow != nullptr);
  REQUIRE(flood != nullptr);
  CHECK(playbooks.Find("fire") == nullptr);

  CHECK(snow->trigger.fault_types == std::set<tv1::FaultType>{tv1::FAULT_TYPE_ICE_ON_ROAD});
  CHECK(snow->trigger.min_districts == 3);
  CHECK(snow->trigger.min_incidents == 3);
  REQUIRE(snow->raises.size() == 1);
  CHECK(snow->raises[0].at_least == v1::PRIORITY_CRITICAL);
  CHECK(snow->raises[0].call_categories.contains("roads"));
  REQUIRE(snow->lighting.has_value());
  CHECK(snow->lighting->road_class == "main");
  CHECK(snow->lighting->level == 100);
  REQUIRE(snow->crews.size() == 2);
  CHECK(snow->crews[0].mode == CrewAction::Mode::kPreposition);
  CHECK(snow->crews[0].skill == "roads");
  CHECK(snow->crews[0].per_district == 1);
  CHECK(snow->crews[1].mode == CrewAction::Mode::kStandby);
  CHECK(snow->crews[1].max_crews == 4);
  CHECK(snow->override_expiry == std::chrono::hours(72));

  CHECK(flood->trigger.fault_types == std::set<tv1::FaultType>{tv1::FAULT_TYPE_WATER_LEVEL_HIGH});
  CHECK(flood->trigger.min_districts == 1);
  CHECK(flood->trigger.min_incidents == 2);
  REQUIRE(flood->raises.size() == 1);
  CHECK(flood->raises[0].fault_types.contains(tv1::FAULT_TYPE_WATER_LEVEL_HIGH));
  REQUIRE(flood->crews.size() == 2);
  CHECK(flood->crews[1].max_crews == 2);
}

TEST_CASE("Crisis: the shipped playbooks' categories are resident-call categories of the rules", "[crisis]") {
  auto rules = Rules::FromJson(DefaultRulesJson());
  REQUIRE(rules.ok());
  for (const Playbook& p : Shipped().list) {
    for (const PriorityRaise& raise : p.raises) {
      for (const std::string& category : raise.call_categories) {
        INFO(p.id << ": " << category);
        CHECK(rules->Category(category).category == category);
      }
    }
  }
}

TEST_CASE("Crisis: a playbook in words", "[crisis]") {
  const Playbook snow = *Shipped().Find("snow");
  CHECK(snow.TriggerText() == "At least 3 open incidents of ICE_ON_ROAD in at least 3 districts");
  const auto texts = snow.ActionTexts();
  REQUIRE(texts.size() == 5);
  CHECK(texts[0] ==
        "Raise ICE_ON_ROAD incidents and resident calls of category roads to at least CRITICAL in the affected "
        "districts");
  CHECK(texts[1].find("Main roads of each affected district at 100%") == 0);
  CHECK(texts[2] == "1 roads crew sent to wait at each affected district's staging point");
  CHECK(texts[3] == "Up to 4 off-duty roads crews called in");
  CHECK(texts[4] == "A crisis incident (HIGH) groups the incidents of the affected districts");
  const v1::Playbook proto = snow.ToProto();
  CHECK(proto.id() == "snow");
  CHECK(proto.name() == "Snow and ice");
  CHECK_FALSE(proto.description().empty());
  CHECK(proto.trigger() == snow.TriggerText());
  CHECK(proto.actions_size() == 5);
}

TEST_CASE("Crisis: the small file loads with its defaults", "[crisis]") {
  const Playbook flood = Base("flood");
  CHECK(flood.trigger.min_districts == 1);
  CHECK(flood.trigger.min_incidents == 1);
  CHECK(flood.incident_priority == v1::PRIORITY_HIGH);
  CHECK(flood.override_expiry == std::chrono::hours(72));
  CHECK_FALSE(flood.lighting.has_value());
  CHECK(Base("snow").lighting->road_class == "main");
}

TEST_CASE("Crisis: each mistake in a playbook file names its line and field", "[crisis]") {
  SECTION("unknown action") {
    CHECK(ErrorOf(Edited(R"("kind": "standby_crews")", R"("kind": "flash")")) ==
          "t.json:18: playbooks[1].actions[1].kind: unknown action \"flash\" "
          "(raise_priority, lighting_override, preposition_crews, standby_crews)");
  }
  SECTION("unknown field") {
    CHECK(ErrorOf(Edited(R"("name": "Flood",)", R"("name": "Flood", "colour": "red",)")) ==
          "t.json:14: playbooks[1].colour: unknown field");
  }
  SECTION("unknown field of an action") {
    CHECK(ErrorOf(Edited(R"("per_district": 2)", R"("per_district": 2, "max_crews": 1)")) ==
          "t.json:17: playbooks[1].actions[0].max_crews: unknown field");
  }
  SECTION("unknown fault type") {
    CHECK(ErrorOf(Edited(R"(["WATER_LEVEL_HIGH"])", R"(["WATER_LEVEL"])")) ==
          "t.json:15: playbooks[1].trigger.fault_types[0]: unknown fault type \"WATER_LEVEL\"");
  }
  SECTION("unknown priority") {
    CHECK(ErrorOf(Edited(R"("at_least": "CRITICAL")", R"("at_least": "SEVERE")")) ==
          "t.json:8: playbooks[0].actions[0].at_least: unknown priority \"SEVERE\" (LOW, NORMAL, HIGH or CRITICAL)");
  }
  SECTION("a second playbook with the same id") {
    CHECK(ErrorOf(Edited(R"("id": "flood")", R"("id": "snow")")) ==
          "t.json:13: playbooks[1].id: a second playbook \"snow\"");
  }
  SECTION("a bad id") {
    CHECK(ErrorOf(Edited(R"("id": "snow")", R"("id": "Snow night")")) ==
          "t.json:4: playbooks[0].id: \"Snow night\" is not an id ([a-z0-9_-], 1 to 32)");
  }
  SECTION("a number out of range") {
    CHECK(ErrorOf(Edited(R"("level": 100)", R"("level": 150)")) ==
          "t.json:9: playbooks[0].actions[1].level: must be within 0..100");
    CHECK(ErrorOf(Edited(R"("max_crews": 3)", R"("max_crews": 0)")) ==
          "t.json:18: playbooks[1].actions[1].max_crews: must be within 1..100");
    CHECK(ErrorOf(Edited(R"("per_district": 2)", R"("per_district": 1.5)")) ==
          "t.json:17: playbooks[1].actions[0].per_district: must be a whole number");
  }
  SECTION("a trigger with no fault type") {
    CHECK(ErrorOf(Edited(R"(["WATER_LEVEL_HIGH"])", "[]")) ==
          "t.json:15: playbooks[1].trigger.fault_types: must name at least one fault type");
  }
  SECTION("fewer incidents than districts") {
    CHECK(ErrorOf(Edited(R"("min_incidents": 3)", R"("min_incidents": 1)")) ==
          "t.json:6: playbooks[0].trigger.min_incidents: must be at least min_districts (2): each district counts "
          "one incident at least");
  }
  SECTION("two lighting actions") {
    CHECK(
        ErrorOf(Edited(
            R"({"kind": "raise_priority", "fault_types": ["ICE_ON_ROAD"], "call_categories": ["roads"], "at_least": "CRITICAL"})",
            R"({"kind": "lighting_override", "level": 50})")) ==
        "t.json:9: playbooks[0].actions[1].kind: a playbook has one lighting_override at most");
  }
  SECTION("the same crew action twice") {
    CHECK(ErrorOf(Edited(R"("kind": "standby_crews", "skill": "roads", "max_crews": 3)",
                         R"("kind": "preposition_crews", "skill": "roads", "per_district": 3)")) ==
          "t.json:18: playbooks[1].actions[1].skill: a second preposition_crews action for \"roads\"");
  }
  SECTION("a raise that raises nothing") {
    CHECK(ErrorOf(Edited(R"("fault_types": ["ICE_ON_ROAD"], "call_categories": ["roads"], )", "")) ==
          "t.json:8: playbooks[0].actions[0]: raise_priority needs fault_types or call_categories (or both)");
  }
  SECTION("a bad call category and a missing skill") {
    CHECK(ErrorOf(Edited(R"(["roads"])", R"(["roads", "Roads"])")) ==
          "t.json:8: playbooks[0].actions[0].call_categories[1]: \"Roads\" is not a call category ([a-z0-9_], 1 to "
          "32)");
    CHECK(ErrorOf(Edited(R"("skill": "roads", "per_district")", R"("per_district")")) ==
          "t.json:17: playbooks[1].actions[0].skill: missing");
  }
  SECTION("a playbook with no actions") {
    std::string text = kBase;
    const auto from = text.find(R"("actions": [)", text.find("flood"));
    const auto to = text.find(']', text.find("max_crews"));
    text.replace(from, to + 1 - from, R"("actions": [])");
    CHECK(ErrorOf(text) == "t.json:16: playbooks[1].actions: a playbook needs at least one action");
  }
  SECTION("no playbooks list") {
    CHECK(ErrorOf(R"({"about": "x"})") == "t.json:1: playbooks: missing or not an array");
  }
  SECTION("not JSON") {
    const std::string message = ErrorOf(Edited(R"("per_district": 2},)", R"("per_district": 2})"));
    CHECK(message.find("t.json:18: not valid JSON (") == 0);
  }
}

TEST_CASE("Crisis: a file read from disk names itself by its path", "[crisis]") {
  const std::string path =
      (std::filesystem::temp_directory_path() / ("crisis_test_" + std::to_string(::getpid()) + ".json")).string();
  {
    std::ofstream out(path);
    out << Edited(R"("kind": "standby_crews")", R"("kind": "flash")");
  }
  auto bad = Playbooks::LoadFile(path);
  {
    std::ofstream out(path);
    out << kBase;
  }
  auto good = Playbooks::LoadFile(path);
  std::filesystem::remove(path);
  REQUIRE_FALSE(bad.ok());
  CHECK(std::string(bad.status().message()).find(path + ":18: playbooks[1].actions[1].kind: unknown action") == 0);
  REQUIRE(good.ok());
  CHECK(good->list.size() == 2);
}

TEST_CASE("Crisis: a file that is missing is NOT_FOUND", "[crisis]") {
  auto loaded = Playbooks::LoadFile("/nonexistent/playbooks.json");
  REQUIRE_FALSE(loaded.ok());
  CHECK(loaded.status().code() == absl::StatusCode::kNotFound);
}

OpenIncident Ice(const std::string& id, int district) {
  return {id, district, tv1::FAULT_TYPE_ICE_ON_ROAD, "snow-" + id};
}
OpenIncident Water(const std::string& id, int district) {
  return {id, district, tv1::FAULT_TYPE_WATER_LEVEL_HIGH, "flood-" + id};
}

TEST_CASE("Crisis: a trigger proposes at its thresholds, not below", "[crisis]") {
  const Playbooks playbooks = Shipped();  // snow: 3 districts, 3 incidents; flood: 1 district, 2 incidents
  SECTION("below: two districts") {
    CHECK(EvaluateTriggers(playbooks, {Ice("a", 3), Ice("b", 3), Ice("c", 5)}).empty());
  }
  SECTION("at: three districts, three incidents") {
    const auto proposals = EvaluateTriggers(playbooks, {Ice("a", 12), Ice("b", 3), Ice("c", 5)});
    REQUIRE(proposals.size() == 1);
    CHECK(proposals[0].playbook == "snow");
    CHECK(proposals[0].districts == std::vector<int>{3, 5, 12});
    CHECK(proposals[0].reason == "3 open incidents of ICE_ON_ROAD in 3 districts (3, 5, 12)");
  }
  SECTION("district 0 (unknown) does not count") {
    CHECK(EvaluateTriggers(playbooks, {Ice("a", 3), Ice("b", 5), Ice("c", 0), Ice("d", 0)}).empty());
    const auto proposals = EvaluateTriggers(playbooks, {Ice("a", 3), Ice("b", 5), Ice("c", 0), Ice("d", 9)});
    REQUIRE(proposals.size() == 1);
    CHECK(proposals[0].districts == std::vector<int>{3, 5, 9});
  }
  SECTION("other fault types do not count, nor one incident listed twice") {
    CHECK(
        EvaluateTriggers(playbooks, {Ice("a", 3), Ice("b", 5), {"c", 7, tv1::FAULT_TYPE_LAMP_FAILURE, "lp"}}).empty());
    CHECK(EvaluateTriggers(playbooks, {Water("a", 3), Water("a", 3)}).empty());
  }
  SECTION("flood: two incidents in one district") {
    CHECK(EvaluateTriggers(playbooks, {Water("a", 4)}).empty());
    const auto proposals = EvaluateTriggers(playbooks, {Water("a", 4), Water("b", 4)});
    REQUIRE(proposals.size() == 1);
    CHECK(proposals[0].playbook == "flood");
    CHECK(proposals[0].districts == std::vector<int>{4});
    CHECK(proposals[0].reason == "2 open incidents of WATER_LEVEL_HIGH in 1 district (4)");
  }
  SECTION("two playbooks at once, in the file's order") {
    const auto proposals = EvaluateTriggers(
        playbooks, {Water("w1", 8), Ice("a", 1), Ice("b", 2), Water("w2", 9), Ice("c", 2), Ice("d", 20)});
    REQUIRE(proposals.size() == 2);
    CHECK(proposals[0].playbook == "snow");
    CHECK(proposals[0].districts == std::vector<int>{1, 2, 20});
    CHECK(proposals[0].reason == "4 open incidents of ICE_ON_ROAD in 3 districts (1, 2, 20)");
    CHECK(proposals[1].playbook == "flood");
    CHECK(proposals[1].districts == std::vector<int>{8, 9});
  }
}

TEST_CASE("Crisis: the planned actions, their ids and counts", "[crisis]") {
  const Playbook snow = *Shipped().Find("snow");
  const auto actions = PlanActions(snow, {5, 3, 3});
  CHECK(Ids(actions) == std::vector<std::string>{"priority", "lighting:d3", "lighting:d5", "preposition:roads:d3:1",
                                                 "preposition:roads:d5:1", "standby:roads:1", "standby:roads:2",
                                                 "standby:roads:3", "standby:roads:4"});
  CHECK(actions[0].kind == v1::CRISIS_ACTION_KIND_RAISE_PRIORITY);
  CHECK(actions[0].district == 0);
  CHECK(actions[0].level == static_cast<int>(v1::PRIORITY_CRITICAL));
  CHECK(actions[0].description ==
        "ICE_ON_ROAD incidents and resident calls of category roads raised to at least CRITICAL in districts 3, 5");
  CHECK(actions[1].kind == v1::CRISIS_ACTION_KIND_LIGHTING_OVERRIDE);
  CHECK(actions[1].district == 3);
  CHECK(actions[1].level == 100);
  CHECK(actions[1].road_class == "main");
  CHECK(actions[1].description == "Main roads of district 3 at 100%");
  CHECK(actions[3].kind == v1::CRISIS_ACTION_KIND_PREPOSITION_CREW);
  CHECK(actions[3].district == 3);
  CHECK(actions[3].skill == "roads");
  CHECK(actions[5].kind == v1::CRISIS_ACTION_KIND_STANDBY_CREW);
  CHECK(actions[5].district == 0);
  CHECK(actions[5].skill == "roads");

  // Two crews per district, and the same ids for the same districts.
  const Playbook flood = Base("flood");
  CHECK(Ids(PlanActions(flood, {7})) == std::vector<std::string>{"preposition:roads:d7:1", "preposition:roads:d7:2",
                                                                 "standby:roads:1", "standby:roads:2",
                                                                 "standby:roads:3"});
  CHECK(Ids(PlanActions(snow, {3, 5})) == Ids(actions));
}

TEST_CASE("Crisis: a change of scope adds the new districts' actions and reverts the old ones'", "[crisis]") {
  const Playbook snow = *Shipped().Find("snow");
  const auto before = Ids(PlanActions(snow, {3, 5}));
  SECTION("grow") {
    const ActionDiff diff = DiffActions(before, PlanActions(snow, {3, 5, 9}));
    CHECK(Ids(diff.add) == std::vector<std::string>{"lighting:d9", "preposition:roads:d9:1"});
    CHECK(diff.revert.empty());
  }
  SECTION("shrink") {
    const ActionDiff diff = DiffActions(before, PlanActions(snow, {5}));
    CHECK(diff.add.empty());
    CHECK(diff.revert == std::vector<std::string>{"lighting:d3", "preposition:roads:d3:1"});
  }
  SECTION("move") {
    const ActionDiff diff = DiffActions(before, PlanActions(snow, {5, 6}));
    CHECK(Ids(diff.add) == std::vector<std::string>{"lighting:d6", "preposition:roads:d6:1"});
    CHECK(diff.revert == std::vector<std::string>{"lighting:d3", "preposition:roads:d3:1"});
  }
  SECTION("the same scope changes nothing; the end reverts everything") {
    const ActionDiff same = DiffActions(before, PlanActions(snow, {5, 3}));
    CHECK(same.add.empty());
    CHECK(same.revert.empty());
    const ActionDiff end = DiffActions(before, {});
    CHECK(end.revert == before);
  }
}

TEST_CASE("Crisis: the priority an incident gets while the crisis covers its district", "[crisis]") {
  const Playbook snow = *Shipped().Find("snow");
  // A matching fault type, from below.
  CHECK(RaisedPriority(snow, tv1::FAULT_TYPE_ICE_ON_ROAD, "", v1::PRIORITY_HIGH) == v1::PRIORITY_CRITICAL);
  // A matching resident-call category.
  CHECK(RaisedPriority(snow, tv1::FAULT_TYPE_UNSPECIFIED, "roads", v1::PRIORITY_NORMAL) == v1::PRIORITY_CRITICAL);
  // Already there.
  CHECK_FALSE(RaisedPriority(snow, tv1::FAULT_TYPE_ICE_ON_ROAD, "", v1::PRIORITY_CRITICAL).has_value());
  // Neither matches.
  CHECK_FALSE(RaisedPriority(snow, tv1::FAULT_TYPE_LAMP_FAILURE, "", v1::PRIORITY_LOW).has_value());
  CHECK_FALSE(RaisedPriority(snow, tv1::FAULT_TYPE_UNSPECIFIED, "green_spaces", v1::PRIORITY_LOW).has_value());
  CHECK_FALSE(RaisedPriority(snow, tv1::FAULT_TYPE_UNSPECIFIED, "", v1::PRIORITY_LOW).has_value());
  // The district is the caller's business: the function has none, and raises
  // any matching incident it is asked about.
  CHECK(RaisedPriority(snow, tv1::FAULT_TYPE_ICE_ON_ROAD, "roads", v1::PRIORITY_LOW) == v1::PRIORITY_CRITICAL);

  // With two raises, the highest that matches.
  Playbook two = snow;
  two.raises.push_back({{tv1::FAULT_TYPE_ICE_ON_ROAD, tv1::FAULT_TYPE_LAMP_FAILURE}, {}, v1::PRIORITY_HIGH});
  CHECK(RaisedPriority(two, tv1::FAULT_TYPE_ICE_ON_ROAD, "", v1::PRIORITY_LOW) == v1::PRIORITY_CRITICAL);
  CHECK(RaisedPriority(two, tv1::FAULT_TYPE_LAMP_FAILURE, "", v1::PRIORITY_LOW) == v1::PRIORITY_HIGH);
  CHECK(Ids(PlanActions(two, {1}))[1] == "priority:2");
}

CrewView Crew(const std::string& id, std::vector<std::string> skills, dv1::CrewStatus status,
              std::optional<common::LatLon> position, std::string staged_for = {}) {
  return {id, std::move(skills), status, position, std::move(staged_for)};
}

TEST_CASE("Crisis: crews to stage, nearest first, with the skill, available and free", "[crisis]") {
  const common::LatLon target{47.3220, 5.0415};
  const std::vector<CrewView> crews = {
      Crew("c-far", {"roads", "general"}, dv1::CREW_STATUS_AVAILABLE, common::LatLon{47.3500, 5.0800}),
      Crew("c-near", {"roads"}, dv1::CREW_STATUS_AVAILABLE, common::LatLon{47.3225, 5.0420}),
      Crew("c-mid", {"general", "roads"}, dv1::CREW_STATUS_AVAILABLE, common::LatLon{47.3300, 5.0500}),
      Crew("c-nowhere", {"roads"}, dv1::CREW_STATUS_AVAILABLE, std::nullopt),
      Crew("c-lamps", {"street_lighting"}, dv1::CREW_STATUS_AVAILABLE, common::LatLon{47.3220, 5.0415}),
      Crew("c-busy", {"roads"}, dv1::CREW_STATUS_EN_ROUTE, common::LatLon{47.3220, 5.0415}),
      Crew("c-off", {"roads"}, dv1::CREW_STATUS_OFF_DUTY, common::LatLon{47.3220, 5.0415}),
      Crew("c-held", {"roads"}, dv1::CREW_STATUS_AVAILABLE, common::LatLon{47.3220, 5.0415}, "CRI-00000001"),
  };
  CHECK(ChooseCrewsToStage(crews, "roads", target, 10, {}) ==
        std::vector<std::string>{"c-near", "c-mid", "c-far", "c-nowhere"});
  CHECK(ChooseCrewsToStage(crews, "roads", target, 2, {}) == std::vector<std::string>{"c-near", "c-mid"});
  CHECK(ChooseCrewsToStage(crews, "roads", target, 2, {"c-near"}) == std::vector<std::string>{"c-mid", "c-far"});
  CHECK(ChooseCrewsToStage(crews, "street_lighting", target, 3, {}) == std::vector<std::string>{"c-lamps"});
  CHECK(ChooseCrewsToStage(crews, "fleet", target, 3, {}).empty());
  CHECK(ChooseCrewsToStage(crews, "roads", target, 0, {}).empty());
}

TEST_CASE("Crisis: crews to call in, off duty with the skill and free, by id", "[crisis]") {
  const std::vector<CrewView> crews = {
      Crew("c-9", {"roads"}, dv1::CREW_STATUS_OFF_DUTY, std::nullopt),
      Crew("c-2", {"roads"}, dv1::CREW_STATUS_OFF_DUTY, common::LatLon{47.3, 5.0}),
      Crew("c-5", {"roads"}, dv1::CREW_STATUS_OFF_DUTY, std::nullopt),
      Crew("c-1", {"roads"}, dv1::CREW_STATUS_AVAILABLE, std::nullopt),
      Crew("c-3", {"refuse"}, dv1::CREW_STATUS_OFF_DUTY, std::nullopt),
      Crew("c-4", {"roads"}, dv1::CREW_STATUS_OFF_DUTY, std::nullopt, "CRI-00000002"),
  };
  CHECK(ChooseCrewsToCallIn(crews, "roads", 10, {}) == std::vector<std::string>{"c-2", "c-5", "c-9"});
  CHECK(ChooseCrewsToCallIn(crews, "roads", 2, {}) == std::vector<std::string>{"c-2", "c-5"});
  CHECK(ChooseCrewsToCallIn(crews, "roads", 2, {"c-2"}) == std::vector<std::string>{"c-5", "c-9"});
  CHECK(ChooseCrewsToCallIn(crews, "refuse", 2, {}) == std::vector<std::string>{"c-3"});
}

TEST_CASE("Crisis: a crew from dispatch's answer", "[crisis]") {
  dv1::Crew crew;
  crew.set_id("crew-7");
  crew.add_skills("roads");
  crew.add_skills("general");
  crew.set_status(dv1::CREW_STATUS_AVAILABLE);
  CrewView view = FromProto(crew);
  CHECK(view.id == "crew-7");
  CHECK(view.skills == std::vector<std::string>{"roads", "general"});
  CHECK(view.status == dv1::CREW_STATUS_AVAILABLE);
  CHECK_FALSE(view.position.has_value());
  CHECK(view.staged_for.empty());
  crew.mutable_position()->set_lat(47.32);
  crew.mutable_position()->set_lon(5.04);
  crew.mutable_staging()->set_crisis_id("CRI-00000003");
  view = FromProto(crew);
  REQUIRE(view.position.has_value());
  CHECK(view.position->lat == 47.32);
  CHECK(view.position->lon == 5.04);
  CHECK(view.staged_for == "CRI-00000003");
}

TEST_CASE("Crisis: the staging point is inside its district, for each of Dijon's 24", "[crisis]") {
  const common::DistrictMap& map = common::DistrictMap::Dijon();
  REQUIRE(map.size() == 24);
  for (const common::District& d : map.districts()) {
    const common::LatLon p = StagingPoint(map, d.id);
    INFO("district " << d.id);
    CHECK(map.Locate(p.lat, p.lon) == d.id);
  }
  const common::LatLon none = StagingPoint(map, 99);
  CHECK(none.lat == 0);
  CHECK(none.lon == 0);
}

TEST_CASE("Crisis: action kinds by name", "[crisis]") {
  CHECK(ActionKindName(v1::CRISIS_ACTION_KIND_RAISE_PRIORITY) == "raise_priority");
  CHECK(ActionKindName(v1::CRISIS_ACTION_KIND_LIGHTING_OVERRIDE) == "lighting_override");
  CHECK(ActionKindName(v1::CRISIS_ACTION_KIND_PREPOSITION_CREW) == "preposition_crew");
  CHECK(ActionKindName(v1::CRISIS_ACTION_KIND_STANDBY_CREW) == "standby_crew");
}

}  // namespace
}  // namespace cityops::incidents::crisis
