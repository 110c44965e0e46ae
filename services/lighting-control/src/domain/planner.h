#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "domain/city_index.h"
#include "domain/model.h"
#include "domain/schedule.h"

// How bright every light point should be, and the commands that get the
// field there.
//
// The level of a point at an instant: the active override that covers it with
// the highest source (crisis > operator > schedule), ties to the narrowest
// scope (ScopeBreadth: point, cabinet, street, road class in a district,
// district, road class in the whole city, city), then the latest start (then
// the greatest id); else the profile of the calendar exception on its night
// (the narrowest group's); else the profile assigned to its most specific
// group (same order); else the default profile.
//
// Planning the whole city walks cabinet sections, not points: which profile
// holds where is worked out once per night (or after a change) and a section
// whose points share it is filled with one memset; overrides write over
// districts and cabinets as ranges, over streets, road classes and points one
// by one.
//
// Not thread-safe: one owner (the service's single writer) calls it.
namespace cityops::lighting {

// A section's level when its points differ.
inline constexpr uint8_t kMixedLevel = 254;
// A point never commanded (CommandState).
inline constexpr uint8_t kNoLevel = 255;

struct CityLevels {
  std::vector<uint8_t> points;    // by PointIndex, 0..100
  std::vector<uint8_t> sections;  // by SectionIndex: every point's level, or kMixedLevel
};

class Planner {
 public:
  // The profiles (at least the default one) and the city, which must outlive the planner.
  static absl::StatusOr<Planner> Create(const CityIndex& city, ScheduleClock clock,
                                        const std::vector<DimmingProfile>& profiles,
                                        const std::string& default_profile_id);

  // ---- configuration: each checks first and changes nothing when it refuses.
  // A new profile, or new steps for an existing one.
  absl::Status UpsertProfile(const DimmingProfile& profile);
  absl::Status SetDefaultProfile(const std::string& profile_id);
  // The profile of a group (cabinet, street, road class, district, city); an empty id
  // removes the assignment. NOT_FOUND for an unknown group or profile.
  absl::Status AssignProfile(const Scope& group, const std::string& profile_id);
  // INVALID_ARGUMENT when it overlaps another on the same scope; NOT_FOUND for
  // an unknown group or profile; ALREADY_EXISTS for a known id.
  absl::Status AddException(const CalendarException& exception);
  absl::Status RemoveException(const std::string& id);
  // INVALID_ARGUMENT (ValidateOverride) or NOT_FOUND for a scope not in the city;
  // ALREADY_EXISTS for a known id.
  absl::Status AddOverride(const Override& override_, TimePoint now);
  absl::Status CancelOverride(const std::string& id);
  // Drops overrides expired at `now`; returns how many.
  size_t ForgetExpired(TimePoint now);

  const DimmingProfile* FindProfile(const std::string& id) const;
  const std::vector<DimmingProfile>& profiles() const { return profiles_; }
  const std::string& default_profile_id() const { return profiles_[default_profile_].id; }
  std::vector<Override> ActiveOverrides(TimePoint now) const;
  const std::vector<CalendarException>& exceptions() const { return exceptions_; }
  // Assigned profiles by group.
  std::vector<std::pair<Scope, std::string>> Assignments() const;

  // ---- levels
  // Why a point has its level at t (one point, the slow path).
  struct Decision {
    enum class Source { kOverride, kException, kGroupProfile, kDefaultProfile };
    int level = 0;
    Source source = Source::kDefaultProfile;
    std::string override_id;   // kOverride
    std::string exception_id;  // kException
    std::string profile_id;    // all but kOverride
    Scope group;               // kGroupProfile: the group whose profile it is
  };
  absl::StatusOr<Decision> Explain(const std::string& point_id, TimePoint t) const;
  Decision Explain(PointIndex point, TimePoint t) const;

  // Every point's level at t into `out` (its buffers are reused).
  void Plan(TimePoint t, CityLevels& out);

  const CityIndex& city() const { return *city_; }
  const ScheduleClock& clock() const { return clock_; }

 private:
  static constexpr uint16_t kNoProfile = UINT16_MAX;

  struct StoredException {
    CalendarException exception;
    uint16_t profile;
  };
  struct StoredOverride {
    Override override_;
    std::span<const SectionIndex> sections;  // kCabinet
    uint32_t target = 0;                     // point, street, road class or district slot
    std::optional<DistrictSlot> district;    // kRoadClass in one district
  };

  Planner(const CityIndex& city, ScheduleClock clock) : city_(&city), clock_(std::move(clock)) {}

  absl::StatusOr<uint16_t> ProfileIndex(const std::string& id) const;
  // The slot of an assignable group (cabinet number via its first section).
  static std::string GroupKey(const Scope& group);
  // Per point, the profile of the night (exception, assignment, default).
  void RebuildSchedule(const CivilDate& night);
  void RebuildSteps(const CivilDate& night);
  uint16_t ScheduleProfileOf(PointIndex p, const CivilDate& night, Decision* why) const;
  // A road class's slot among road_class_profile_: by district slot + 1, 0 for the whole city.
  size_t RoadClassSlot(RoadClassIndex r, std::optional<DistrictSlot> d) const {
    return r * (city_->district_count() + 1) + (d ? *d + 1 : 0);
  }
  // Weakest first: source, then wider scope, then earlier start, then id.
  static bool Weaker(const Override& a, const Override& b);
  void Apply(const StoredOverride& o, CityLevels& out);

  const CityIndex* city_;
  ScheduleClock clock_;
  std::vector<DimmingProfile> profiles_;
  std::unordered_map<std::string, uint16_t> profile_by_id_;
  uint16_t default_profile_ = 0;
  // Assigned profiles, by group (GroupKey) and as dense arrays.
  std::map<std::string, std::pair<Scope, uint16_t>> assignments_;
  std::vector<uint16_t> cabinet_profile_;     // by cabinet number
  std::vector<uint16_t> street_profile_;      // by StreetIndex
  std::vector<uint16_t> district_profile_;    // by DistrictSlot
  std::vector<uint16_t> road_class_profile_;  // by RoadClassSlot
  uint16_t city_profile_ = kNoProfile;
  std::vector<CalendarException> exceptions_;
  std::vector<uint16_t> exception_profiles_;  // parallel to exceptions_
  std::vector<StoredOverride> overrides_;

  // What changes invalidate: the per-point schedule and the resolved steps.
  uint64_t version_ = 1;
  uint64_t schedule_version_ = 0;
  int64_t schedule_night_ = INT64_MIN;
  uint64_t steps_version_ = 0;
  int64_t steps_night_ = INT64_MIN;
  std::vector<uint16_t> point_profile_;           // by PointIndex
  std::vector<uint16_t> section_profile_;         // by SectionIndex, kNoProfile when mixed
  std::vector<std::vector<ResolvedStep>> steps_;  // by profile: nights N-2..N+1
  std::vector<uint8_t> profile_level_;            // by profile, at the instant planned
  // Reused per Plan.
  std::vector<const StoredOverride*> active_;
  std::vector<SectionIndex> dirty_;
  std::vector<uint8_t> dirty_flag_;
};

// ------------------------------------------------------------------ commands

struct PointLevel {
  PointIndex point;
  uint8_t level;
};

// One message to one cabinet section: every point to one level, or a list of
// points and their levels.
struct SectionCommand {
  SectionIndex section;
  bool whole_section;
  uint8_t level;   // whole_section
  uint32_t first;  // otherwise: points[first, first + count) of the batch
  uint32_t count;
};

struct CommandBatch {
  std::vector<SectionCommand> commands;
  std::vector<PointLevel> points;

  void clear() {
    commands.clear();
    points.clear();
  }
  bool empty() const { return commands.empty(); }
  std::span<const PointLevel> PointsOf(const SectionCommand& c) const { return {points.data() + c.first, c.count}; }
  // Light points the batch sets.
  size_t PointsCovered(const CityIndex& city) const;
};

// The levels last commanded, and the diff that brings them to a new plan.
class CommandState {
 public:
  // Nothing commanded yet: the first diff commands every point.
  explicit CommandState(const CityIndex& city);

  // Commands, grouped per cabinet section, for every point whose commanded
  // level differs from `target`: a section whose target is one level for all
  // its points gets one whole-section command; otherwise one command lists the
  // points that change. Records them as commanded.
  void Diff(const CityLevels& target, CommandBatch& out);

  uint8_t commanded(PointIndex p) const { return points_[p]; }
  const std::vector<uint8_t>& commanded_levels() const { return points_; }
  // What storage says was last commanded (after a restart), by PointIndex
  // (kNoLevel for a point never commanded). INVALID_ARGUMENT for a wrong size
  // or a level above 100 that is not kNoLevel.
  absl::Status Restore(const std::vector<uint8_t>& levels);

 private:
  const CityIndex* city_;
  std::vector<uint8_t> points_;
  std::vector<uint8_t> sections_;  // the level of every point, or kMixedLevel
};

}  // namespace cityops::lighting
