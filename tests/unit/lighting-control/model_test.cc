#include "domain/model.h"

#include <catch2/catch.hpp>

#include "fixtures.h"

namespace cityops::lighting {
namespace {

using namespace testing;

// The status is INVALID_ARGUMENT and its message names `field`.
void RequireInvalid(const absl::Status& s, const std::string& field, const std::string& also = {}) {
  INFO(s.ToString());
  REQUIRE(s.code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(std::string(s.message()), Catch::Contains(field));
  if (!also.empty()) CHECK_THAT(std::string(s.message()), Catch::Contains(also));
}

const TimePoint kNow = Utc(2025, 11, 20, 18);

Override Valid() { return MakeOverride("ov-1", Scope::District(3), 80, OverrideSource::kOperator, kNow, kNow + 2h); }

TEST_CASE("A well-formed override passes", "[model][validation]") {
  CHECK(ValidateOverride(Valid(), kNow).ok());
  Override later = Valid();
  later.start = kNow + 1h;  // may start later
  CHECK(ValidateOverride(later, kNow).ok());
}

TEST_CASE("An override's level must be within 0..100", "[model][validation]") {
  Override o = Valid();
  o.level = 101;
  RequireInvalid(ValidateOverride(o, kNow), "override.level", "0..100");
  o.level = -1;
  RequireInvalid(ValidateOverride(o, kNow), "override.level");
  o.level = 0;
  CHECK(ValidateOverride(o, kNow).ok());
  o.level = 100;
  CHECK(ValidateOverride(o, kNow).ok());
}

TEST_CASE("An override needs an expiry, in the future and after its start", "[model][validation]") {
  Override o = Valid();
  o.expiry.reset();
  RequireInvalid(ValidateOverride(o, kNow), "override.expiry", "required");
  o.expiry = kNow - 1s;
  RequireInvalid(ValidateOverride(o, kNow), "override.expiry", "past");
  o.expiry = kNow;
  RequireInvalid(ValidateOverride(o, kNow), "override.expiry", "past");
  o.start = kNow + 3h;
  o.expiry = kNow + 2h;
  RequireInvalid(ValidateOverride(o, kNow), "override.expiry", "after the start");
}

TEST_CASE("An override needs an id, a reason and a well-formed scope", "[model][validation]") {
  Override o = Valid();
  o.id.clear();
  RequireInvalid(ValidateOverride(o, kNow), "override.id");
  o = Valid();
  o.reason.clear();
  RequireInvalid(ValidateOverride(o, kNow), "override.reason");
  o = Valid();
  o.scope = Scope::Cabinet("");
  RequireInvalid(ValidateOverride(o, kNow), "override.scope");
  o.scope = Scope::District(0);
  RequireInvalid(ValidateOverride(o, kNow), "override.scope");
}

TEST_CASE("Scopes and sources parse from their names", "[model]") {
  CHECK(*ParseScope("district", "7", "scope") == Scope::District(7));
  CHECK(*ParseScope("city", "", "scope") == Scope::City());
  CHECK(*ParseScope("street", "Rue de la Liberté", "scope") == Scope::Street("Rue de la Liberté"));
  RequireInvalid(ParseScope("district", "seven", "group").status(), "group");
  RequireInvalid(ParseScope("planet", "x", "group").status(), "group", "unknown scope kind");
  RequireInvalid(ParseScope("cabinet", "", "group").status(), "group");
  CHECK(ScopeName(Scope::District(7)) == "district 7");
  CHECK(ScopeName(Scope::Cabinet("cab-9")) == "cabinet cab-9");
  CHECK(*ParseOverrideSource("crisis", "source") == OverrideSource::kCrisis);
  RequireInvalid(ParseOverrideSource("mayor", "override.source").status(), "override.source");
}

TEST_CASE("Profile steps parse and are checked", "[model][validation]") {
  CHECK(ParseAnchor("sunset", "at")->anchor == Anchor::kSunset);
  CHECK(ParseAnchor("sunrise", "at")->anchor == Anchor::kSunrise);
  const auto clock = ParseAnchor("22:30", "at");
  REQUIRE(clock.ok());
  CHECK(clock->anchor == Anchor::kClock);
  CHECK(clock->clock_minute == 22 * 60 + 30);
  CHECK(AnchorName(*clock) == "22:30");
  RequireInvalid(ParseAnchor("noon", "steps[0].at").status(), "steps[0].at");

  CHECK(ValidateProfile(Standard()).ok());
  DimmingProfile p = Standard();
  p.steps[1].level = 120;
  RequireInvalid(ValidateProfile(p), "profile.steps[1].level");
  p = Standard();
  p.steps[0].offset_min = 400;
  RequireInvalid(ValidateProfile(p), "profile.steps[0].offset_min");
  p.steps.clear();
  RequireInvalid(ValidateProfile(p), "profile.steps");
  p = Standard();
  p.id.clear();
  RequireInvalid(ValidateProfile(p), "profile.id");
}

CalendarException Exception(std::string id, Scope scope, CivilDate first, CivilDate last) {
  return {std::move(id), std::move(scope), first, last, "flat70", "festival"};
}

TEST_CASE("Overlapping calendar exceptions on the same scope are refused", "[model][validation][exceptions]") {
  const auto christmas = Exception("xmas", Scope::City(), {2025, 12, 24}, {2025, 12, 26});
  const auto new_year = Exception("new-year", Scope::City(), {2025, 12, 31}, {2026, 1, 1});
  CHECK(ValidateExceptions({christmas, new_year}).ok());
  // Touching is fine, sharing a date is not (ranges include both ends).
  CHECK(ValidateExceptions({christmas, Exception("27th", Scope::City(), {2025, 12, 27}, {2025, 12, 27})}).ok());
  const auto status =
      ValidateExceptions({christmas, new_year, Exception("late", Scope::City(), {2025, 12, 26}, {2025, 12, 28})});
  RequireInvalid(status, "exception.first", "overlaps");
  CHECK_THAT(std::string(status.message()), Catch::Contains("xmas"));
  CHECK_THAT(std::string(status.message()), Catch::Contains("late"));
  // The same dates on other scopes do not overlap.
  CHECK(ValidateExceptions({christmas, Exception("d3", Scope::District(3), {2025, 12, 24}, {2025, 12, 26}),
                            Exception("c1", Scope::Cabinet("cab-1"), {2025, 12, 25}, {2025, 12, 25})})
            .ok());
  RequireInvalid(ValidateExceptions({christmas, christmas}), "exception.id", "twice");
}

TEST_CASE("A calendar exception is on a group, over a valid range, with a profile", "[model][validation][exceptions]") {
  RequireInvalid(ValidateException(Exception("x", Scope::Point("p1"), {2025, 12, 24}, {2025, 12, 24})),
                 "exception.scope");
  RequireInvalid(ValidateException(Exception("x", Scope::City(), {2025, 12, 24}, {2025, 12, 23})), "exception.last");
  RequireInvalid(ValidateException(Exception("x", Scope::City(), {2025, 2, 30}, {2025, 3, 1})), "exception.first");
  auto e = Exception("x", Scope::City(), {2025, 12, 24}, {2025, 12, 24});
  e.profile_id.clear();
  RequireInvalid(ValidateException(e), "exception.profile_id");
  CHECK(Exception("x", Scope::City(), {2025, 12, 24}, {2025, 12, 26}).Covers({2025, 12, 26}));
  CHECK_FALSE(Exception("x", Scope::City(), {2025, 12, 24}, {2025, 12, 26}).Covers({2025, 12, 27}));
}

TEST_CASE("A road-class scope: a road class name and a district, or 0 for the whole city", "[model][road_class]") {
  CHECK(ValidateScope(Scope::RoadClass("main", 3), "scope").ok());
  CHECK(ValidateScope(Scope::RoadClass("main"), "scope").ok());
  CHECK(ValidateScope(Scope::RoadClass("ring_road-2"), "scope").ok());
  RequireInvalid(ValidateScope(Scope::RoadClass("", 3), "override.scope"), "override.scope", "road class");
  RequireInvalid(ValidateScope(Scope::RoadClass("main", -2), "override.scope"), "override.scope", "district -2");
  RequireInvalid(ValidateScope(Scope::RoadClass("Main", 3), "override.scope"), "override.scope", "a-z");
  RequireInvalid(ValidateScope(Scope::RoadClass("main;drop", 3), "override.scope"), "override.scope");
  RequireInvalid(ValidateScope(Scope::RoadClass(std::string(33, 'a'), 3), "override.scope"), "override.scope");
  Override o = Valid();
  o.scope = Scope::RoadClass("", 3);
  RequireInvalid(ValidateOverride(o, kNow), "override.scope");

  CHECK(*ParseScope("road_class", "main:3", "scope") == Scope::RoadClass("main", 3));
  CHECK(*ParseScope("road_class", "main", "scope") == Scope::RoadClass("main", 0));
  RequireInvalid(ParseScope("road_class", "main:three", "scope").status(), "scope", "not a number");
  RequireInvalid(ParseScope("road_class", ":3", "scope").status(), "scope");
  CHECK(ScopeName(Scope::RoadClass("main", 3)) == "main roads of district 3");
  CHECK(ScopeName(Scope::RoadClass("main")) == "main roads of the city");
  CHECK(std::string(ScopeKindName(ScopeKind::kRoadClass)) == "road_class");
  CHECK(Scope::RoadClass("main", 3).is_group());
  CHECK_FALSE(Scope::RoadClass("main", 3) == Scope::RoadClass("main", 4));
}

TEST_CASE("Exceptions on the same road class overlap only in the same district", "[model][road_class][exceptions]") {
  const CalendarException d3{"a", Scope::RoadClass("main", 3), {2025, 12, 24}, {2025, 12, 26}, "p", ""};
  const CalendarException d4{"b", Scope::RoadClass("main", 4), {2025, 12, 25}, {2025, 12, 25}, "p", ""};
  const CalendarException d3_again{"c", Scope::RoadClass("main", 3), {2025, 12, 26}, {2025, 12, 27}, "p", ""};
  CHECK(ValidateExceptions({d3, d4}).ok());
  RequireInvalid(ValidateExceptions({d3, d3_again}), "exception.first", "main roads of district 3");
}

}  // namespace
}  // namespace cityops::lighting
