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
  int district = 0;       // 1..
  std::string street;     // may be empty
  double rated_w = 0;     // the LED lamp at 100%
  double baseline_w = 0;  // the pre-retrofit lamp, always at full power
};

// What a group, an exception or an override applies to, narrowest first.
enum class ScopeKind : uint8_t { kPoint = 0, kCabinet = 1, kStreet = 2, kDistrict = 3, kCity = 4 };

struct Scope {
  ScopeKind kind = ScopeKind::kCity;
  std::string id;    // the point, cabinet or street; empty for a district or the city
  int district = 0;  // for kDistrict

  static Scope City() { return {}; }
  static Scope District(int district) { return {ScopeKind::kDistrict, {}, district}; }
  static Scope Cabinet(std::string id) { return {ScopeKind::kCabinet, std::move(id), 0}; }
  static Scope Street(std::string name) { return {ScopeKind::kStreet, std::move(name), 0}; }
  static Scope Point(std::string id) { return {ScopeKind::kPoint, std::move(id), 0}; }

  bool operator==(const Scope&) const = default;
  // A group: anything but a single point.
  bool is_group() const { return kind != ScopeKind::kPoint; }
};

// "city", "district 7", "cabinet CAB-0001", "street Rue de la Liberté", "point LP-1".
std::string ScopeName(const Scope& scope);
const char* ScopeKindName(ScopeKind kind);
// From a kind name ("point", "cabinet", "street", "district", "city") and an id
// (the district's number for a district, nothing for the city).
absl::StatusOr<Scope> ParseScope(const std::string& kind, const std::string& id, const std::string& field);
// The scope is well formed (an id where one is needed, a district number >= 1).
absl::Status ValidateScope(const Scope& scope, const std::string& field);

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
