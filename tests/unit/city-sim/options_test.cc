#include "options.h"

#include <catch2/catch.hpp>

namespace cityops::sim {
namespace {

absl::StatusOr<SimOptions> Load(std::map<std::string, std::string, std::less<>> values) {
  return LoadOptions(common::Config::FromMap(std::move(values)));
}

}  // namespace

TEST_CASE("Options: defaults", "[options]") {
  auto o = Load({});
  REQUIRE(o.ok());
  CHECK(o->city.seed == 1);
  CHECK(o->city.scale == 1.0);
  CHECK(o->speed == 1.0);
  CHECK(o->ingest_address == "127.0.0.1:50051");
  CHECK(o->scenario.name == "none");
  CHECK(o->scenario.dir.empty());
  CHECK(o->scenario.fault_asset.empty());
  CHECK_FALSE(o->scenario.list);
  CHECK(o->watch_faults);
  CHECK_FALSE(o->register_only);
  CHECK(o->duration.count() == 0);
  CHECK(o->calls_address == "127.0.0.1:50055");
  CHECK(o->calls_per_day == 600);
}

TEST_CASE("Options: resident calls, or none with an empty address", "[options]") {
  auto o = Load({{"calls-address", "10.0.0.5:6000"}, {"calls-per-day", "6000"}});
  REQUIRE(o.ok());
  CHECK(o->calls_address == "10.0.0.5:6000");
  CHECK(o->calls_per_day == 6000);
  auto off = Load({{"calls-address", ""}, {"calls-per-day", "0"}});
  REQUIRE(off.ok());
  CHECK(off->calls_address.empty());
  CHECK(off->calls_per_day == 0);
}

TEST_CASE("Options: given values", "[options]") {
  auto o = Load({{"seed", "42"},
                 {"scale", "2"},
                 {"speed", "10"},
                 {"scenario", "cabinet-power-loss"},
                 {"scenario-dir", "some/where"},
                 {"list-scenarios", "true"},
                 {"fault-asset", "cab-0007"},
                 {"watch-faults", "false"},
                 {"duration", "2m"}});
  REQUIRE(o.ok());
  CHECK(o->city.seed == 42);
  CHECK(o->city.scale == 2.0);
  CHECK(o->speed == 10.0);
  CHECK(o->scenario.name == "cabinet-power-loss");
  CHECK(o->scenario.dir == "some/where");
  CHECK(o->scenario.list);
  CHECK(o->scenario.fault_asset == "cab-0007");
  CHECK_FALSE(o->watch_faults);
  CHECK(o->duration == std::chrono::minutes(2));
}

TEST_CASE("Options: out-of-range values are rejected with the setting's name", "[options]") {
  const std::pair<const char*, const char*> bad[] = {
      {"scale", "0"},
      {"scale", "21"},
      {"scale", "lots"},
      {"speed", "0.5"},
      {"speed", "100000"},
      {"seed", "-1"},
      {"batch-max", "0"},
      {"batch-max", "10001"},
      {"duration", "-5s"},
      {"log-every", "0"},
      {"list-scenarios", "perhaps"},
      {"scenario", ""},
      {"calls-per-day", "-1"},
      {"calls-per-day", "100001"},
      {"calls-per-day", "many"},
  };
  for (const auto& [name, value] : bad) {
    INFO(name << "=" << value);
    auto o = Load({{name, value}});
    CHECK(o.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK(std::string(o.status().message()).find(name) != std::string::npos);
  }
}

}  // namespace cityops::sim
