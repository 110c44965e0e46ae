#include "scenario.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <set>
#include <string>

#include "cityops/common/geo.h"
#include "crews.h"
#include "scenario_file.h"

namespace cityops::sim {
namespace {

namespace v1 = telemetry::v1;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

City MakeCity(double scale, uint64_t seed = 1) {
  CityParams params;
  params.seed = seed;
  params.scale = scale;
  return GenerateCity(params);
}

const City& Dijon() {
  static const City city = MakeCity(1);
  return city;
}

const City& Small() {
  static const City city = MakeCity(0.1);
  return city;
}

std::string ShippedDir() { return FindScenarioDir("", DefaultScenarioDirs("")); }

Scenario Plan(const City& city, const std::string& name, double speed = 1, const std::string& fault_asset = {}) {
  auto spec = LoadScenario(name, ShippedDir());
  INFO(spec.status().ToString());
  REQUIRE(spec.ok());
  PlanParams params;
  params.speed = speed;
  params.seed = city.params().seed;
  params.fault_asset = fault_asset;
  auto scenario = MakeScenario(city, *spec, params);
  INFO(scenario.status().ToString());
  REQUIRE(scenario.ok());
  return *scenario;
}

// The error of parsing `text` (which must fail).
std::string ErrorOf(const std::string& text) {
  auto spec = ParseScenario(text, "test.json");
  REQUIRE_FALSE(spec.ok());
  CHECK(spec.status().code() == absl::StatusCode::kInvalidArgument);
  return std::string(spec.status().message());
}

const char* const kMinimal = R"({
  "name": "t",
  "description": "a test",
  "duration": "10m",
  "targets": {
    "cab": {"kind": "CONTROL_CABINET"}
  },
  "steps": [
    {"at": "30s", "action": "fault", "target": "cab", "fault": "POWER_LOSS", "duration": "3m"}
  ]
})";

std::string Replace(std::string text, const std::string& from, const std::string& to) {
  const size_t at = text.find(from);
  REQUIRE(at != std::string::npos);
  text.replace(at, from.size(), to);
  return text;
}

}  // namespace

TEST_CASE("Scenario durations: units and sums", "[scenario]") {
  CHECK(ParseScenarioDuration("30s") == seconds(30));
  CHECK(ParseScenarioDuration("5m") == minutes(5));
  CHECK(ParseScenarioDuration("1h30m") == minutes(90));
  CHECK(ParseScenarioDuration("250ms") == milliseconds(250));
  CHECK(ParseScenarioDuration("1.5s") == milliseconds(1500));
  CHECK_FALSE(ParseScenarioDuration(""));
  CHECK_FALSE(ParseScenarioDuration("30"));
  CHECK_FALSE(ParseScenarioDuration("-5s"));
  CHECK_FALSE(ParseScenarioDuration("5 m"));
  CHECK_FALSE(ParseScenarioDuration("soon"));
}

TEST_CASE("Scenario file: a minimal file parses into its spec", "[scenario]") {
  auto spec = ParseScenario(kMinimal, "test.json");
  REQUIRE(spec.ok());
  CHECK(spec->name == "t");
  CHECK(spec->duration == minutes(10));
  REQUIRE(spec->targets.size() == 1);
  CHECK(spec->targets[0].kind == v1::ASSET_KIND_CONTROL_CABINET);
  CHECK(spec->targets[0].line == 6);
  REQUIRE(spec->steps.size() == 1);
  CHECK(spec->steps[0].at == seconds(30));
  CHECK(spec->steps[0].fault.type == v1::FAULT_TYPE_POWER_LOSS);
  CHECK(spec->steps[0].fault.duration == minutes(3));
  CHECK_FALSE(spec->steps[0].fault.until_repaired);
}

TEST_CASE("Scenario file: errors name the file, the line and the field", "[scenario]") {
  SECTION("not JSON") {
    const std::string e = ErrorOf("{\n  \"name\": \"t\",\n  oops\n}");
    CHECK(e.rfind("test.json:3: not valid JSON", 0) == 0);
  }
  SECTION("unknown top-level field") {
    const std::string e = ErrorOf(Replace(kMinimal, "\"duration\": \"10m\",", "\"duration\": \"10m\", \"colour\": 1,"));
    CHECK(e.rfind("test.json:4: colour: unknown field", 0) == 0);
  }
  SECTION("unknown step field") {
    const std::string e = ErrorOf(Replace(kMinimal, "\"duration\": \"3m\"}", "\"duration\": \"3m\", \"severity\": 2}"));
    CHECK(e.rfind("test.json:9: steps[0].severity: unknown field", 0) == 0);
  }
  SECTION("unknown action") {
    const std::string e = ErrorOf(Replace(kMinimal, "\"action\": \"fault\"", "\"action\": \"explode\""));
    CHECK(e.rfind("test.json:9: steps[0].action: unknown action 'explode'", 0) == 0);
  }
  SECTION("unknown fault type") {
    const std::string e = ErrorOf(Replace(kMinimal, "\"POWER_LOSS\"", "\"POWER_LOS\""));
    CHECK(e.rfind("test.json:9: steps[0].fault: unknown fault type 'POWER_LOS'", 0) == 0);
  }
  SECTION("a fault only the platform raises") {
    const std::string e = ErrorOf(Replace(kMinimal, "\"POWER_LOSS\"", "\"SILENT\""));
    CHECK(e.find("steps[0].fault: unknown fault type 'SILENT'") != std::string::npos);
  }
  SECTION("unknown kind") {
    const std::string e = ErrorOf(Replace(kMinimal, "CONTROL_CABINET", "CABINET"));
    CHECK(e.rfind("test.json:6: targets.cab.kind: unknown kind 'CABINET'", 0) == 0);
  }
  SECTION("bad duration") {
    const std::string e = ErrorOf(Replace(kMinimal, "\"duration\": \"3m\"", "\"duration\": \"3 minutes\""));
    CHECK(e.rfind("test.json:9: steps[0].duration: bad duration '3 minutes'", 0) == 0);
  }
  SECTION("zero duration of the scenario") {
    const std::string e = ErrorOf(Replace(kMinimal, "\"10m\"", "\"0s\""));
    CHECK(e.rfind("test.json:4: duration: must be more than zero", 0) == 0);
  }
  SECTION("step after the end") {
    const std::string e = ErrorOf(Replace(kMinimal, "\"at\": \"30s\"", "\"at\": \"11m\""));
    CHECK(e.rfind("test.json:9: steps[0].at: after the scenario's duration", 0) == 0);
  }
  SECTION("unknown target") {
    const std::string e = ErrorOf(Replace(kMinimal, "\"target\": \"cab\"", "\"target\": \"site\""));
    CHECK(e.rfind("test.json:9: steps[0].target: 'site' is not one of the targets", 0) == 0);
  }
  SECTION("missing field") {
    const std::string e = ErrorOf(Replace(kMinimal, "\"description\": \"a test\",", ""));
    CHECK(e.find("description: missing") != std::string::npos);
  }
  SECTION("until repaired needs max_duration") {
    const std::string e = ErrorOf(Replace(kMinimal, "\"duration\": \"3m\"}", "\"until\": \"repaired\"}"));
    CHECK(e.find("steps[0].max_duration: missing") != std::string::npos);
  }
  SECTION("children_after without children_fault") {
    const std::string e =
        ErrorOf(Replace(kMinimal, "\"duration\": \"3m\"}", "\"duration\": \"3m\", \"children_after\": \"5s\"}"));
    CHECK(e.rfind("test.json:9: steps[0].children_fault: missing", 0) == 0);
  }
  SECTION("a ramp whose mark it never crosses") {
    const std::string e = ErrorOf(
        Replace(kMinimal, "\"action\": \"fault\", \"target\": \"cab\", \"fault\": \"POWER_LOSS\", \"duration\": \"3m\"",
                "\"action\": \"ramp\", \"target\": \"cab\", \"metric\": \"voltage_v\", \"from\": 230, \"to\": 220, "
                "\"over\": \"1m\", \"mark\": {\"below\": 200, \"fault\": \"POWER_LOSS\"}"));
    CHECK(e.rfind("test.json:9: steps[0].mark: the ramp never crosses it", 0) == 0);
  }
  SECTION("unknown call category") {
    const std::string e = ErrorOf(
        Replace(kMinimal, "\"action\": \"fault\", \"target\": \"cab\", \"fault\": \"POWER_LOSS\", \"duration\": \"3m\"",
                "\"action\": \"call\", \"target\": \"cab\", \"category\": \"noise\""));
    CHECK(e.rfind("test.json:9: steps[0].category: unknown category 'noise'", 0) == 0);
  }
  SECTION("steps out of order") {
    const std::string e = ErrorOf(
        Replace(kMinimal, "\"duration\": \"3m\"}",
                "\"duration\": \"3m\"},\n    {\"at\": \"10s\", \"action\": \"fault\", \"target\": \"cab\", \"fault\": "
                "\"POWER_LOSS\", \"duration\": \"3m\"}"));
    CHECK(e.rfind("test.json:10: steps[1].at: steps must be in time order", 0) == 0);
  }
  SECTION("nearest needs near") {
    const std::string e = ErrorOf(
        Replace(kMinimal, "{\"kind\": \"CONTROL_CABINET\"}", "{\"kind\": \"CONTROL_CABINET\", \"pick\": \"nearest\"}"));
    CHECK(e.rfind("test.json:6: targets.cab.near: missing", 0) == 0);
  }
  SECTION("a crew skill on another kind") {
    const std::string e = ErrorOf(Replace(kMinimal, "{\"kind\": \"CONTROL_CABINET\"}",
                                          "{\"kind\": \"CONTROL_CABINET\", \"crew_skill\": \"roads\"}"));
    CHECK(e.rfind("test.json:6: targets.cab.crew_skill: only for kind CREW_VEHICLE", 0) == 0);
  }
  SECTION("the file's name") {
    auto spec = ParseScenario(kMinimal, "x.json", "other");
    REQUIRE_FALSE(spec.ok());
    CHECK(std::string(spec.status().message()).rfind("x.json:2: name: 't' differs from the file's name 'other'", 0) ==
          0);
  }
}

TEST_CASE("Scenario file: a target the city lacks is refused with file, line and field", "[scenario]") {
  const std::string text = Replace(kMinimal, "{\"kind\": \"CONTROL_CABINET\"}",
                                   "{\"kind\": \"BUILDING_ALARM_PANEL\", \"where\": {\"building\": \"castle\"}}");
  auto spec = ParseScenario(text, "test.json");
  REQUIRE(spec.ok());
  auto scenario = MakeScenario(Small(), *spec, {});
  REQUIRE_FALSE(scenario.ok());
  CHECK(scenario.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(std::string(scenario.status().message())
            .rfind("test.json:6: targets.cab: the city has no BUILDING_ALARM_PANEL with building=castle", 0) == 0);
}

TEST_CASE("Scenario files: every shipped one loads against Dijon and a tenth of it", "[scenario]") {
  const std::string dir = ShippedDir();
  REQUIRE_FALSE(dir.empty());
  const auto listed = ListScenarios(dir);
  std::set<std::string> names;
  for (const auto& [name, description] : listed) {
    INFO(name << ": " << description);
    CHECK(description.find("does not load") == std::string::npos);
    names.insert(name);
  }
  CHECK(names == std::set<std::string>{"cabinet-power-loss", "calls-day", "fibre-cut", "river-flood",
                                       "school-fire-alarm", "snow-night"});
  for (const City* city : {&Dijon(), &Small()}) {
    for (const auto& name : names) {
      INFO(name << " at scale " << city->params().scale);
      for (const double speed : {1.0, 20.0, 500.0}) {
        const Scenario s = Plan(*city, name, speed);
        CHECK(s.name == name);
        CHECK(s.end.count() > 0);
        CHECK(std::is_sorted(s.steps.begin(), s.steps.end(),
                             [](const ScenarioStep& a, const ScenarioStep& b) { return a.at < b.at; }));
      }
    }
  }
}

TEST_CASE("Scenario none and unknown names", "[scenario]") {
  auto none = LoadScenario("none", ShippedDir());
  REQUIRE(none.ok());
  auto scenario = MakeScenario(Small(), *none, {});
  REQUIRE(scenario.ok());
  CHECK(scenario->steps.empty());
  CHECK(scenario->end.count() == 0);

  auto unknown = LoadScenario("volcano", ShippedDir());
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(std::string(unknown.status().message()).find("fibre-cut") != std::string::npos);
}

TEST_CASE("Scenario cabinet-power-loss: the cabinet and its light points report, go quiet, and come back",
          "[scenario]") {
  const City& city = Dijon();
  const Scenario s = Plan(city, "cabinet-power-loss");
  REQUIRE(s.steps.size() == 3);
  const ScenarioStep& loss = s.steps[0];
  const ScenarioStep& lamps = s.steps[1];
  const ScenarioStep& back = s.steps[2];
  // The light points report 30 s after the cabinet, so that its incident is open when they do.
  CHECK(lamps.children_only);
  CHECK(lamps.at == seconds(60));
  CHECK(lamps.fault_id == loss.fault_id);
  CHECK(lamps.affected.empty());
  CHECK(s.raise_step[loss.fault_id] == 0);
  CHECK(loss.at == seconds(30));
  CHECK_FALSE(loss.cleared);
  CHECK(back.cleared);
  CHECK(loss.until_repaired);
  CHECK(back.at == seconds(30) + minutes(20));  // the fallback when no crew repairs it
  CHECK(loss.fault == v1::FAULT_TYPE_POWER_LOSS);
  CHECK(loss.fault_id == back.fault_id);
  const int64_t cabinet = city.IndexOf(loss.asset_id);
  REQUIRE(cabinet >= 0);
  CHECK(city.at(static_cast<size_t>(cabinet)).kind == v1::ASSET_KIND_CONTROL_CABINET);
  const auto& lights = city.ChildrenOf(loss.asset_id);
  CHECK(loss.reporting_children == lights);
  CHECK(loss.children_fault == v1::FAULT_TYPE_POWER_LOSS);
  CHECK(loss.children_detail.find("segment controller") != std::string::npos);
  const std::set<size_t> affected(loss.affected.begin(), loss.affected.end());
  CHECK(affected.size() == lights.size() + 1);
  CHECK(affected.count(static_cast<size_t>(cabinet)) == 1);

  // Three residents call street_lighting near the cabinet (incident correlation links within 150 m).
  REQUIRE(s.calls.size() == 3);
  for (const auto& call : s.calls) {
    CHECK(call.category == "street_lighting");
    CHECK(call.about == loss.asset_id);
    CHECK(call.at > loss.at);
    const double d = common::DistanceMeters(call.lat, call.lon, city.at(static_cast<size_t>(cabinet)).lat,
                                            city.at(static_cast<size_t>(cabinet)).lon);
    CHECK(d >= 35);
    CHECK(d <= 125);
    CHECK(call.district > 0);
  }
  CHECK(s.end == minutes(10));

  // The same seed, the same cabinet; --fault-asset chooses another, of the right kind only.
  CHECK(Plan(city, "cabinet-power-loss").steps[0].asset_id == loss.asset_id);
  CHECK(Plan(city, "cabinet-power-loss", 1, "cab-0002").steps[0].asset_id == "cab-0002");
  auto spec = LoadScenario("cabinet-power-loss", ShippedDir());
  REQUIRE(spec.ok());
  PlanParams wrong;
  wrong.fault_asset = "lp-000001";
  CHECK(MakeScenario(city, *spec, wrong).status().code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("Scenario times are divided by the speed, but keep their real gaps", "[scenario]") {
  const Scenario s = Plan(Dijon(), "cabinet-power-loss", 20);
  // 30 s / 20 = 1.5 s, but at least 10 s after the start (min_wall_gap).
  CHECK(s.steps[0].at == seconds(10));
  // The light points: 30 s / 20 = 1.5 s after the cabinet, but at least 3 s.
  CHECK(s.steps[1].at == seconds(13));
  CHECK(s.steps[2].at == seconds(10) + minutes(1));  // 20 min / 20
  // The calls: 50 s / 20 = 2.5 s, but at least 5 s after the loss; then every 25 s / 20.
  REQUIRE(s.calls.size() == 3);
  CHECK(s.calls[0].at == seconds(15));
  CHECK(s.calls[1].at == seconds(15) + milliseconds(1250));
  CHECK(s.end == seconds(30));  // 10 min / 20
}

TEST_CASE("Scenario fibre-cut: a site and its cameras, one report each through the VMS", "[scenario]") {
  const City& city = Dijon();
  const Scenario s = Plan(city, "fibre-cut");
  REQUIRE(s.steps.size() == 3);
  CHECK(s.steps[1].children_only);
  const ScenarioStep& cut = s.steps[0];
  const int64_t site = city.IndexOf(cut.asset_id);
  REQUIRE(site >= 0);
  CHECK(city.at(static_cast<size_t>(site)).kind == v1::ASSET_KIND_ACCESS_POINT_SITE);
  CHECK(cut.fault == v1::FAULT_TYPE_COMMUNICATION_LOSS);
  CHECK(cut.children_fault == v1::FAULT_TYPE_COMMUNICATION_LOSS);
  CHECK(cut.reporting_children.size() >= 3);
  for (const size_t camera : cut.reporting_children) CHECK(city.at(camera).kind == v1::ASSET_KIND_CAMERA);
  CHECK(cut.until_repaired);
}

TEST_CASE("Scenario school-fire-alarm: every building-security crew gets a low job, then a school's alarm",
          "[scenario]") {
  for (const City* city : {&Dijon(), &Small()}) {
    const Scenario s = Plan(*city, "school-fire-alarm", 20);
    std::set<std::string> guards;
    for (const auto& crew : PlanCrews(*city)) {
      if (std::find(crew.skills.begin(), crew.skills.end(), "building_security") != crew.skills.end()) {
        guards.insert(crew.vehicle_id);
      }
    }
    REQUIRE_FALSE(guards.empty());
    REQUIRE(s.calls.size() == guards.size());
    for (const auto& call : s.calls) {
      CHECK(call.category == "other");
      CHECK(guards.count(call.about) == 1);
      // The job is nearer to its crew's base than to any other crew's: dispatch sends that crew.
      const CityAsset& own = city->at(static_cast<size_t>(city->IndexOf(call.about)));
      const double d_own = common::DistanceMeters(call.lat, call.lon, own.lat, own.lon);
      for (const auto& other : city->assets()) {
        if (other.kind != v1::ASSET_KIND_CREW_VEHICLE || other.id == own.id) continue;
        CHECK(d_own < common::DistanceMeters(call.lat, call.lon, other.lat, other.lon));
      }
    }
    REQUIRE(s.steps.size() == 2);
    const ScenarioStep& alarm = s.steps[0];
    CHECK(alarm.fault == v1::FAULT_TYPE_FIRE_ALARM);
    CHECK(alarm.until_repaired);
    CHECK(alarm.affected.empty());
    const int64_t panel = city->IndexOf(alarm.asset_id);
    REQUIRE(panel >= 0);
    CHECK(IsSchoolBuilding(city->at(static_cast<size_t>(panel)).attributes.at(kAttrBuilding)));
    // The alarm comes after the calls, at least 4 s of real time later.
    CHECK(alarm.at >= s.calls.back().at + seconds(4));
  }
}

TEST_CASE("Scenario river-flood: the Ouche's sensors rise upstream first and report past the mark", "[scenario]") {
  const City& city = Dijon();
  const Scenario s = Plan(city, "river-flood");
  REQUIRE(s.ramps.size() >= 2);
  double previous_km = -1;
  milliseconds previous_start{0};
  for (const auto& ramp : s.ramps) {
    const CityAsset& sensor = city.at(ramp.asset);
    CHECK(sensor.kind == v1::ASSET_KIND_FLOOD_SENSOR);
    CHECK(sensor.attributes.at(kAttrRiver) == "Ouche");
    const double km = std::stod(sensor.attributes.at(kAttrRiverKm));
    CHECK(km >= previous_km);
    CHECK(ramp.start >= previous_start);
    previous_km = km;
    previous_start = ramp.start;
    CHECK(ramp.metric == "water_level_cm");
    CHECK(ramp.fault == v1::FAULT_TYPE_WATER_LEVEL_HIGH);
  }
  CHECK(s.ramps.front().start == minutes(1));
  CHECK(s.ramps.back().start == minutes(9));  // the stagger: 8 min from the first to the last
  CHECK(s.calls.size() == 4);
  for (const auto& call : s.calls) CHECK(call.category == "roads");
}

TEST_CASE("Scenario ramps: values over time and the mark", "[scenario]") {
  PlannedRamp ramp;
  ramp.from = 35;
  ramp.to = 140;
  ramp.start = seconds(60);
  ramp.up_end = seconds(120);
  ramp.hold_end = seconds(180);
  ramp.end = seconds(240);
  ramp.mark = 110;
  ramp.above = true;
  CHECK_FALSE(ramp.ValueAt(seconds(59)));
  CHECK(*ramp.ValueAt(seconds(60)) == Approx(35));
  CHECK(*ramp.ValueAt(seconds(90)) == Approx(87.5));
  CHECK(*ramp.ValueAt(seconds(150)) == Approx(140));
  CHECK(*ramp.ValueAt(seconds(210)) == Approx(87.5));
  CHECK_FALSE(ramp.ValueAt(seconds(240)));
  CHECK(ramp.Past(110));
  CHECK_FALSE(ramp.Past(109.9));
  ramp.above = false;
  ramp.mark = 0;
  CHECK(ramp.Past(-0.5));
  CHECK_FALSE(ramp.Past(0.5));

  const Scenario snow = Plan(Dijon(), "snow-night");
  REQUIRE(snow.ramps.size() == 8);
  for (const auto& r : snow.ramps) {
    CHECK(r.metric == "road_temp_c");
    CHECK(r.fault == v1::FAULT_TYPE_ICE_ON_ROAD);
    CHECK_FALSE(r.above);
    // Never below ingest's normal range (-2 C), so that only the sensor's own fault is raised.
    CHECK(r.to > -2);
  }
}

TEST_CASE("Scenario calls-day: the daily flow, no fault", "[scenario]") {
  const Scenario s = Plan(Small(), "calls-day", 500);
  CHECK(s.steps.empty());
  REQUIRE(s.daily_calls);
  CHECK(s.daily_calls->per_day == 600);
  REQUIRE(s.daily_calls->hourly_profile.size() == 24);
  CHECK(s.daily_calls->hourly_profile[3] < s.daily_calls->hourly_profile[10]);
  CHECK(s.end == milliseconds(86'400'000 / 500));
  // Its telemetry is not sped up 500 times, only 20.
  CHECK(s.readings_speed == 20);
  CHECK(Plan(Small(), "calls-day", 4).readings_speed == 4);
  CHECK(Plan(Small(), "fibre-cut", 500).readings_speed == 500);
}

TEST_CASE("Scenario repairs: a completed work order clears the fault it was about", "[scenario]") {
  const City& city = Dijon();
  const Scenario s = Plan(city, "cabinet-power-loss");
  const ScenarioStep& loss = s.steps[0];
  const std::set<size_t> open = {loss.fault_id};
  const CityAsset& cabinet = city.at(static_cast<size_t>(city.IndexOf(loss.asset_id)));

  // By the incident's asset: the cabinet, or one of its light points.
  CHECK(FindRepaired(city, s, open, loss.asset_id, std::nullopt) == loss.fault_id);
  CHECK(FindRepaired(city, s, open, city.at(loss.reporting_children.front()).id, std::nullopt) == loss.fault_id);
  // Not when it is no longer open.
  CHECK_FALSE(FindRepaired(city, s, {}, loss.asset_id, std::nullopt));
  // By the order's place: within 200 m, not beyond.
  CHECK(FindRepaired(city, s, open, "", std::make_pair(cabinet.lat + 0.001, cabinet.lon)) == loss.fault_id);
  CHECK_FALSE(FindRepaired(city, s, open, "", std::make_pair(cabinet.lat + 0.003, cabinet.lon)));
  // Another asset far away: not this fault.
  CHECK_FALSE(FindRepaired(city, s, open, "cam-001", std::make_pair(cabinet.lat + 0.01, cabinet.lon)));
}

}  // namespace cityops::sim
