#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "domain/civil_time.h"

// Lighting control's plain data: light points, groups, dimming profiles,
// calendar exceptions and overrides, and the checks that refuse bad ones.
namespace cityops::lighting {

struct LightPoint {
  std::string id;
  std::string cabinet_id;
  int district = 0;             // 1..
  std::string street;           // may be empty
  double rated_w = 0;           // the LED lamp at 100%
  double baseline_w = 0;        // the pre-retrofit lamp, always at full power
  std::string road_class = {};  // "main", "local"...; may be empty
};

// What a group, an exception or an override applies to. How narrow a scope
// is goes by ScopeBreadth, not by the kind's number.
enum class ScopeKind : uint8_t { kPoint = 0, kCabinet = 1, kStreet = 2, kDistrict = 3, kCity = 4, kRoadClass = 5 };

struct Scope {
  ScopeKind kind = ScopeKind::kCity;
  std::string id;    // the point, cabinet, street or road class; empty for a district or the city
  int district = 0;  // for kDistrict (>= 1); for kRoadClass, the district (>= 1) or 0 for the whole city

  static Scope City() { return {}; }
  static Scope District(int district) { return {ScopeKind::kDistrict, {}, district}; }
  static Scope Cabinet(std::string id) { return {ScopeKind::kCabinet, std::move(id), 0}; }
  static Scope Street(std::string name) { return {ScopeKind::kStreet, std::move(name), 0}; }
  static Scope Point(std::string id) { return {ScopeKind::kPoint, std::move(id), 0}; }
  // The points of a road class ("main") in one district, or in the whole city (district 0).
  static Scope RoadClass(std::string road_class, int district = 0) {
    return {ScopeKind::kRoadClass, std::move(road_class), district};
  }

  bool operator==(const Scope&) const = default;
  // A group: anything but a single point.
  bool is_group() const { return kind != ScopeKind::kPoint; }
};

// How wide a scope is, narrowest first: point 0, cabinet 1, street 2, a road
// class in a district 3, district 4, a road class in the whole city 5, city 6.
// Among overrides of one source, and among exceptions, the narrowest wins.
int ScopeBreadth(const Scope& scope);

// "city", "district 7", "cabinet CAB-0001", "street Rue de la Liberté", "point LP-1",
// "main roads of district 3", "main roads of the city".
std::string ScopeName(const Scope& scope);
const char* ScopeKindName(ScopeKind kind);
// From a kind name ("point", "cabinet", "street", "district", "city",
// "road_class") and an id (the district's number for a district, nothing for
// the city; for a road class, "main" for the whole city or "main:3" for
// district 3).
absl::StatusOr<Scope> ParseScope(const std::string& kind, const std::string& id, const std::string& field);
// The scope is well formed (an id where one is needed, a district number >= 1;
// a road class is 1..32 of [a-z0-9_-] with a district >= 0).
absl::Status ValidateScope(const Scope& scope, const std::string& field);
inline constexpr size_t kMaxRoadClassLength = 32;

// ------------------------------------------------------------------ dimming profiles

enum class Anchor : uint8_t { kSunset, kSunrise, kClock };

// A step starts at its anchor plus an offset and holds its level until the
// next step starts.
struct ProfileStep {
  Anchor anchor = Anchor::kSunset;
  int clock_minute = 0;  // local minutes since midnight, for kClock
  int offset_min = 0;    // -360..360
  int level = 0;         // 0..100

  bool operator==(const ProfileStep&) const = default;
};

// Ordered steps over one night, e.g. 100% from sunset, 50% from 22:30, 100%
// from 05:30, 0% from sunrise. How a night is laid out (schedule.h): the
// night of date D runs from local noon of D to local noon of D+1; a clock time
// from 12:00 falls on D, one before 12:00 on D+1; sunset is D's, sunrise
// D+1's. Steps keep their order: a step whose instant comes before the
// previous step's starts with it (and so replaces it).
struct DimmingProfile {
  std::string id;
  std::string name;
  std::vector<ProfileStep> steps;
};

inline constexpr size_t kMaxProfileSteps = 24;
inline constexpr int kMaxStepOffsetMin = 360;

// "sunset", "sunrise" or "HH:MM" for a step's anchor.
absl::StatusOr<ProfileStep> ParseAnchor(const std::string& text, const std::string& field);
std::string AnchorName(const ProfileStep& step);
absl::Status ValidateProfile(const DimmingProfile& profile);

// ------------------------------------------------------------------ calendar exceptions

// Another profile on a group for a date or a range of dates (both included):
// festivals, the winter holidays. A date is a night (see DimmingProfile): an
// exception on 24 December runs from local noon on the 24th to local noon on
// the 25th.
struct CalendarException {
  std::string id;
  Scope scope;  // a group
  CivilDate first;
  CivilDate last;
  std::string profile_id;
  std::string reason;

  bool Covers(const CivilDate& night) const { return first <= night && night <= last; }
};

absl::Status ValidateException(const CalendarException& exception);
// Each is valid, ids are unique, and no two on the same scope share a date.
absl::Status ValidateExceptions(const std::vector<CalendarException>& exceptions);

// ------------------------------------------------------------------ overrides

// Higher wins.
enum class OverrideSource : uint8_t { kSchedule = 1, kOperator = 2, kCrisis = 3 };
const char* OverrideSourceName(OverrideSource source);
absl::StatusOr<OverrideSource> ParseOverrideSource(const std::string& name, const std::string& field);

// A level forced on a scope from `start` until `expiry` (excluded).
struct Override {
  std::string id;
  Scope scope;
  int level = 0;
  std::string reason;
  TimePoint start{};
  std::optional<TimePoint> expiry;
  OverrideSource source = OverrideSource::kOperator;
  std::string created_by;

  bool ActiveAt(TimePoint t) const { return start <= t && expiry && t < *expiry; }
};

// A new override: id, level 0..100, a reason, an expiry after both `now` and
// its start. INVALID_ARGUMENT naming the field.
absl::Status ValidateOverride(const Override& override_, TimePoint now);

}  // namespace cityops::lighting
