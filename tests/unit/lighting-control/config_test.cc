#include "domain/lighting_config.h"

#include <catch2/catch.hpp>

#include "fixtures.h"

namespace cityops::lighting {
namespace {

using namespace testing;

TEST_CASE("The shipped config loads: Dijon, Europe/Paris, three profiles, the thresholds", "[config]") {
  const auto config = LightingConfig::FromJson(DefaultLightingConfigJson());
  REQUIRE(config.ok());
  CHECK(config->position.lat_deg == Approx(47.322));
  CHECK(config->position.lon_deg == Approx(5.041));
  CHECK(config->sun_altitude_deg == Approx(-0.833));
  CHECK(config->local_time.standard_offset == std::chrono::minutes(60));
  CHECK(config->local_time.eu_summer_time);
  REQUIRE(config->profiles.size() == 3);
  CHECK(config->default_profile == "standard");
  CHECK(config->profiles[0].steps == Standard().steps);
  CHECK(config->profiles[1].steps[0].offset_min == 10);
  CHECK(config->confirmation.tolerance_pct == Approx(2));
  CHECK(config->confirmation.timeout == std::chrono::seconds(120));
  CHECK(config->energy.gap_limit == std::chrono::seconds(900));
  // A planner starts from it.
  const CityIndex city = Index(SmallCityPoints());
  CHECK(Planner::Create(city, config->Clock(), config->profiles, config->default_profile).ok());
}

// The shipped file with one edit.
std::string Edited(const std::string& from, const std::string& to) {
  std::string text(DefaultLightingConfigJson());
  const auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

void RequireRefused(const std::string& text, const std::string& field) {
  const auto config = LightingConfig::FromJson(text);
  REQUIRE_FALSE(config.ok());
  INFO(config.status().ToString());
  CHECK(config.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(std::string(config.status().message()), Catch::Contains(field));
}

TEST_CASE("A broken config is refused, naming the field", "[config][validation]") {
  RequireRefused(Edited(R"({"at": "22:30", "level": 50})", R"({"at": "22:30", "level": 150})"),
                 "profiles[0].steps[1].level");
  RequireRefused(Edited(R"({"at": "22:30", "level": 50})", R"({"at": "22:30", "level": 50.5})"),
                 "profiles[0].steps[1].level");
  RequireRefused(Edited(R"({"at": "22:30", "level": 50})", R"({"at": "noon", "level": 50})"),
                 "profiles[0].steps[1].at");
  RequireRefused(Edited(R"({"at": "22:30", "level": 50})", R"({"at": "22:30", "level": 50, "fade": 3})"),
                 "profiles[0].steps[1].fade");
  RequireRefused(Edited(R"("default_profile": "standard")", R"("default_profile": "dark")"), "default_profile");
  RequireRefused(Edited(R"("id": "residential")", R"("id": "standard")"), "profiles[1].id");
  RequireRefused(Edited(R"("lat": 47.322)", R"("lat": 147.322)"), "position.lat");
  RequireRefused(Edited(R"("timeout_s": 120)", R"("timeout_s": 0)"), "confirmation.timeout_s");
  RequireRefused(Edited(R"("gap_limit_s": 900)", R"("gap_limit_s": "15 min")"), "energy.gap_limit_s");
  RequireRefused(Edited(R"("eu_summer_time": true)", R"("eu_summer_time": "yes")"), "local_time.eu_summer_time");
  RequireRefused(Edited(R"("offset_min": 10, )", R"("offset_min": 1000, )"), "profiles[1].steps[0].offset_min");
  RequireRefused(R"({"position": )", "not valid JSON");
  RequireRefused(R"({"position": {"lat": 47, "lon": 5}})", "local_time");
}

}  // namespace
}  // namespace cityops::lighting
