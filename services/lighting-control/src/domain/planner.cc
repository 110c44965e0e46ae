#include "domain/planner.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace cityops::lighting {
namespace {

// Same level everywhere in [begin, end)?
bool Uniform(const uint8_t* levels, PointIndex begin, PointIndex end) {
  for (PointIndex p = begin + 1; p < end; ++p) {
    if (levels[p] != levels[begin]) return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<Planner> Planner::Create(const CityIndex& city, ScheduleClock clock,
                                        const std::vector<DimmingProfile>& profiles,
                                        const std::string& default_profile_id) {
  Planner planner(city, std::move(clock));
  for (const auto& profile : profiles) {
    if (auto s = planner.UpsertProfile(profile); !s.ok()) return s;
  }
  auto def = planner.ProfileIndex(default_profile_id);
  if (!def.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("default_profile: profile \"", default_profile_id, "\" is not among the profiles"));
  }
  planner.default_profile_ = *def;
  planner.cabinet_profile_.assign(city.cabinet_count(), kNoProfile);
  planner.street_profile_.assign(city.street_count(), kNoProfile);
  planner.district_profile_.assign(city.district_count(), kNoProfile);
  planner.road_class_profile_.assign(city.road_class_count() * (city.district_count() + 1), kNoProfile);
  return planner;
}

absl::StatusOr<uint16_t> Planner::ProfileIndex(const std::string& id) const {
  auto it = profile_by_id_.find(id);
  if (it == profile_by_id_.end()) return absl::NotFoundError(absl::StrCat("profile ", id, " not found"));
  return it->second;
}

const DimmingProfile* Planner::FindProfile(const std::string& id) const {
  auto it = profile_by_id_.find(id);
  return it == profile_by_id_.end() ? nullptr : &profiles_[it->second];
}

absl::Status Planner::UpsertProfile(const DimmingProfile& profile) {
  if (auto s = ValidateProfile(profile); !s.ok()) return s;
  auto it = profile_by_id_.find(profile.id);
  if (it != profile_by_id_.end()) {
    profiles_[it->second] = profile;
  } else {
    if (profiles_.size() >= kNoProfile) return absl::ResourceExhaustedError("too many profiles");
    profile_by_id_.emplace(profile.id, static_cast<uint16_t>(profiles_.size()));
    profiles_.push_back(profile);
  }
  ++version_;
  return absl::OkStatus();
}

absl::Status Planner::SetDefaultProfile(const std::string& profile_id) {
  auto found = ProfileIndex(profile_id);
  if (!found.ok()) return found.status();
  default_profile_ = *found;
  ++version_;
  return absl::OkStatus();
}

std::string Planner::GroupKey(const Scope& group) {
  if (group.kind == ScopeKind::kDistrict) return absl::StrCat("district:", group.district);
  if (group.kind == ScopeKind::kRoadClass) return absl::StrCat("road_class:", group.id, ":", group.district);
  return absl::StrCat(ScopeKindName(group.kind), ":", group.id);
}

absl::Status Planner::AssignProfile(const Scope& group, const std::string& profile_id) {
  if (!group.is_group()) {
    return absl::InvalidArgumentError(
        "group: profiles are assigned to a cabinet, a street, a road class, a district or the city");
  }
  if (auto s = ValidateScope(group, "group"); !s.ok()) return s;
  if (!city_->Knows(group)) return absl::NotFoundError(absl::StrCat(ScopeName(group), " not found"));
  uint16_t profile = kNoProfile;
  if (!profile_id.empty()) {
    auto found = ProfileIndex(profile_id);
    if (!found.ok()) return found.status();
    profile = *found;
  }
  switch (group.kind) {
    case ScopeKind::kCity:
      city_profile_ = profile;
      break;
    case ScopeKind::kDistrict:
      district_profile_[*city_->FindDistrict(group.district)] = profile;
      break;
    case ScopeKind::kStreet:
      street_profile_[*city_->FindStreet(group.id)] = profile;
      break;
    case ScopeKind::kCabinet:
      cabinet_profile_[city_->section(city_->FindCabinet(group.id).front()).cabinet] = profile;
      break;
    case ScopeKind::kRoadClass: {
      std::optional<DistrictSlot> d;
      if (group.district > 0) d = city_->FindDistrict(group.district);
      road_class_profile_[RoadClassSlot(*city_->FindRoadClass(group.id), d)] = profile;
      break;
    }
    case ScopeKind::kPoint:
      break;
  }
  if (profile == kNoProfile) {
    assignments_.erase(GroupKey(group));
  } else {
    assignments_[GroupKey(group)] = {group, profile};
  }
  ++version_;
  return absl::OkStatus();
}

std::vector<std::pair<Scope, std::string>> Planner::Assignments() const {
  std::vector<std::pair<Scope, std::string>> out;
  for (const auto& [key, entry] : assignments_) out.emplace_back(entry.first, profiles_[entry.second].id);
  return out;
}

absl::Status Planner::AddException(const CalendarException& exception) {
  if (auto s = ValidateException(exception); !s.ok()) return s;
  for (const auto& e : exceptions_) {
    if (e.id == exception.id) return absl::AlreadyExistsError(absl::StrCat("exception ", e.id, " already exists"));
  }
  if (!city_->Knows(exception.scope)) {
    return absl::NotFoundError(absl::StrCat(ScopeName(exception.scope), " not found"));
  }
  auto profile = ProfileIndex(exception.profile_id);
  if (!profile.ok()) return profile.status();
  std::vector<CalendarException> all = exceptions_;
  all.push_back(exception);
  if (auto s = ValidateExceptions(all); !s.ok()) return s;
  exceptions_.push_back(exception);
  exception_profiles_.push_back(*profile);
  ++version_;
  return absl::OkStatus();
}

absl::Status Planner::RemoveException(const std::string& id) {
  for (size_t i = 0; i < exceptions_.size(); ++i) {
    if (exceptions_[i].id != id) continue;
    exceptions_.erase(exceptions_.begin() + static_cast<std::ptrdiff_t>(i));
    exception_profiles_.erase(exception_profiles_.begin() + static_cast<std::ptrdiff_t>(i));
    ++version_;
    return absl::OkStatus();
  }
  return absl::NotFoundError(absl::StrCat("exception ", id, " not found"));
}

absl::Status Planner::AddOverride(const Override& override_, TimePoint now) {
  if (auto s = ValidateOverride(override_, now); !s.ok()) return s;
  for (const auto& o : overrides_) {
    if (o.override_.id == override_.id) {
      return absl::AlreadyExistsError(absl::StrCat("override ", override_.id, " already exists"));
    }
  }
  StoredOverride stored{override_, {}, 0, std::nullopt};
  const Scope& scope = override_.scope;
  const auto not_found = [&] {
    return absl::NotFoundError(absl::StrCat("override.scope: ", ScopeName(scope), " not found"));
  };
  switch (scope.kind) {
    case ScopeKind::kCity:
      break;
    case ScopeKind::kDistrict: {
      auto d = city_->FindDistrict(scope.district);
      if (!d) return not_found();
      stored.target = *d;
      break;
    }
    case ScopeKind::kStreet: {
      auto s = city_->FindStreet(scope.id);
      if (!s) return not_found();
      stored.target = *s;
      break;
    }
    case ScopeKind::kCabinet:
      stored.sections = city_->FindCabinet(scope.id);
      if (stored.sections.empty()) return not_found();
      break;
    case ScopeKind::kPoint: {
      auto p = city_->FindPoint(scope.id);
      if (!p) return not_found();
      stored.target = *p;
      break;
    }
    case ScopeKind::kRoadClass: {
      auto r = city_->FindRoadClass(scope.id);
      if (!r) return not_found();
      stored.target = *r;
      if (scope.district > 0) {
        stored.district = city_->FindDistrict(scope.district);
        if (!stored.district) return not_found();
      }
      break;
    }
  }
  overrides_.push_back(std::move(stored));
  return absl::OkStatus();
}

absl::Status Planner::CancelOverride(const std::string& id) {
  auto it =
      std::find_if(overrides_.begin(), overrides_.end(), [&](const StoredOverride& o) { return o.override_.id == id; });
  if (it == overrides_.end()) return absl::NotFoundError(absl::StrCat("override ", id, " not found"));
  overrides_.erase(it);
  return absl::OkStatus();
}

size_t Planner::ForgetExpired(TimePoint now) {
  const size_t before = overrides_.size();
  std::erase_if(overrides_, [&](const StoredOverride& o) { return *o.override_.expiry <= now; });
  return before - overrides_.size();
}

std::vector<Override> Planner::ActiveOverrides(TimePoint now) const {
  std::vector<Override> out;
  for (const auto& o : overrides_) {
    if (o.override_.ActiveAt(now)) out.push_back(o.override_);
  }
  std::sort(out.begin(), out.end(), [](const Override& a, const Override& b) { return Weaker(b, a); });
  return out;
}

bool Planner::Weaker(const Override& a, const Override& b) {
  if (a.source != b.source) return a.source < b.source;
  const int breadth_a = ScopeBreadth(a.scope), breadth_b = ScopeBreadth(b.scope);
  if (breadth_a != breadth_b) return breadth_a > breadth_b;
  if (a.start != b.start) return a.start < b.start;
  return a.id < b.id;
}

// ------------------------------------------------------------------ one point, explained

uint16_t Planner::ScheduleProfileOf(PointIndex p, const CivilDate& night, Decision* why) const {
  // The exception of the narrowest group (one per group and night at most).
  const CalendarException* best = nullptr;
  uint16_t best_profile = kNoProfile;
  for (size_t i = 0; i < exceptions_.size(); ++i) {
    const CalendarException& e = exceptions_[i];
    if (!e.Covers(night) || !city_->Covers(e.scope, p)) continue;
    if (best == nullptr || ScopeBreadth(e.scope) < ScopeBreadth(best->scope)) {
      best = &e;
      best_profile = exception_profiles_[i];
    }
  }
  if (best != nullptr) {
    if (why != nullptr) {
      why->source = Decision::Source::kException;
      why->exception_id = best->id;
    }
    return best_profile;
  }
  const LightPoint point = city_->point(p);
  const Scope groups[] = {Scope::Cabinet(point.cabinet_id),
                          Scope::Street(point.street),
                          Scope::RoadClass(point.road_class, point.district),
                          Scope::District(point.district),
                          Scope::RoadClass(point.road_class, 0),
                          Scope::City()};
  for (const Scope& group : groups) {
    if ((group.kind == ScopeKind::kStreet || group.kind == ScopeKind::kRoadClass) && group.id.empty()) continue;
    auto it = assignments_.find(GroupKey(group));
    if (it == assignments_.end()) continue;
    if (why != nullptr) {
      why->source = Decision::Source::kGroupProfile;
      why->group = group;
    }
    return it->second.second;
  }
  if (why != nullptr) why->source = Decision::Source::kDefaultProfile;
  return default_profile_;
}

absl::StatusOr<Planner::Decision> Planner::Explain(const std::string& point_id, TimePoint t) const {
  auto p = city_->FindPoint(point_id);
  if (!p) return absl::NotFoundError(absl::StrCat("light point ", point_id, " not found"));
  return Explain(*p, t);
}

Planner::Decision Planner::Explain(PointIndex p, TimePoint t) const {
  Decision why;
  const Override* best = nullptr;
  for (const auto& o : overrides_) {
    if (!o.override_.ActiveAt(t) || !city_->Covers(o.override_.scope, p)) continue;
    if (best == nullptr || Weaker(*best, o.override_)) best = &o.override_;
  }
  if (best != nullptr) {
    why.source = Decision::Source::kOverride;
    why.override_id = best->id;
    why.level = best->level;
    return why;
  }
  const uint16_t profile = ScheduleProfileOf(p, clock_.NightOf(t), &why);
  why.profile_id = profiles_[profile].id;
  why.level = clock_.LevelAt(profiles_[profile], t);
  return why;
}

// ------------------------------------------------------------------ the whole city

void Planner::RebuildSchedule(const CivilDate& night) {
  const CityIndex& city = *city_;
  // The exceptions of the night, by group.
  std::vector<uint16_t> cabinet_exception(city.cabinet_count(), kNoProfile);
  std::vector<uint16_t> street_exception(city.street_count(), kNoProfile);
  std::vector<uint16_t> district_exception(city.district_count(), kNoProfile);
  std::vector<uint16_t> road_class_exception(road_class_profile_.size(), kNoProfile);
  uint16_t city_exception = kNoProfile;
  for (size_t i = 0; i < exceptions_.size(); ++i) {
    const CalendarException& e = exceptions_[i];
    if (!e.Covers(night)) continue;
    const uint16_t profile = exception_profiles_[i];
    switch (e.scope.kind) {
      case ScopeKind::kCity:
        city_exception = profile;
        break;
      case ScopeKind::kDistrict:
        if (auto d = city.FindDistrict(e.scope.district)) district_exception[*d] = profile;
        break;
      case ScopeKind::kStreet:
        if (auto s = city.FindStreet(e.scope.id)) street_exception[*s] = profile;
        break;
      case ScopeKind::kCabinet:
        if (auto sections = city.FindCabinet(e.scope.id); !sections.empty()) {
          cabinet_exception[city.section(sections.front()).cabinet] = profile;
        }
        break;
      case ScopeKind::kRoadClass: {
        auto r = city.FindRoadClass(e.scope.id);
        if (!r) break;
        std::optional<DistrictSlot> d;
        if (e.scope.district > 0) {
          d = city.FindDistrict(e.scope.district);
          if (!d) break;
        }
        road_class_exception[RoadClassSlot(*r, d)] = profile;
        break;
      }
      case ScopeKind::kPoint:
        break;
    }
  }
  const auto by_road_class = [&](const std::vector<uint16_t>& table, RoadClassIndex r, DistrictSlot d,
                                 bool in_district) {
    if (r == kNoRoadClass) return kNoProfile;
    return table[RoadClassSlot(r, in_district ? std::optional<DistrictSlot>(d) : std::nullopt)];
  };
  point_profile_.resize(city.point_count());
  section_profile_.resize(city.section_count());
  for (SectionIndex s = 0; s < city.section_count(); ++s) {
    const CityIndex::Section& section = city.section(s);
    const uint16_t cabinet = cabinet_exception[section.cabinet];
    const uint16_t district = district_exception[section.district];
    const uint16_t assigned_cabinet = cabinet_profile_[section.cabinet];
    const uint16_t assigned_district = district_profile_[section.district];
    for (PointIndex p = section.begin; p < section.end; ++p) {
      const StreetIndex street = city.street_of(p);
      const RoadClassIndex road_class = city.road_class_of(p);
      uint16_t profile = cabinet;
      if (profile == kNoProfile && street != kNoStreet) profile = street_exception[street];
      if (profile == kNoProfile) profile = by_road_class(road_class_exception, road_class, section.district, true);
      if (profile == kNoProfile) profile = district;
      if (profile == kNoProfile) profile = by_road_class(road_class_exception, road_class, section.district, false);
      if (profile == kNoProfile) profile = city_exception;
      if (profile == kNoProfile) profile = assigned_cabinet;
      if (profile == kNoProfile && street != kNoStreet) profile = street_profile_[street];
      if (profile == kNoProfile) profile = by_road_class(road_class_profile_, road_class, section.district, true);
      if (profile == kNoProfile) profile = assigned_district;
      if (profile == kNoProfile) profile = by_road_class(road_class_profile_, road_class, section.district, false);
      if (profile == kNoProfile) profile = city_profile_;
      if (profile == kNoProfile) profile = default_profile_;
      point_profile_[p] = profile;
    }
    bool uniform = true;
    for (PointIndex p = section.begin + 1; p < section.end && uniform; ++p) {
      uniform = point_profile_[p] == point_profile_[section.begin];
    }
    section_profile_[s] = uniform ? point_profile_[section.begin] : kNoProfile;
  }
  schedule_night_ = DaysFromCivil(night);
  schedule_version_ = version_;
}

void Planner::RebuildSteps(const CivilDate& night) {
  steps_.resize(profiles_.size());
  for (size_t k = 0; k < profiles_.size(); ++k) {
    steps_[k].clear();
    for (int i = 0; i < kNightsLookedAt; ++i)
      clock_.Resolve(profiles_[k], AddDays(night, kFirstNightOffset + i), steps_[k]);
  }
  profile_level_.resize(profiles_.size());
  steps_night_ = DaysFromCivil(night);
  steps_version_ = version_;
}

void Planner::Apply(const StoredOverride& o, CityLevels& out) {
  const CityIndex& city = *city_;
  const auto level = static_cast<uint8_t>(o.override_.level);
  const auto fill_sections = [&](SectionIndex begin, SectionIndex end) {
    if (begin == end) return;
    const PointIndex first = city.section(begin).begin, last = city.section(end - 1).end;
    std::memset(out.points.data() + first, level, last - first);
    std::memset(out.sections.data() + begin, level, end - begin);
  };
  const auto set_point = [&](PointIndex p) {
    out.points[p] = level;
    const SectionIndex s = city.section_of(p);
    if (!dirty_flag_[s]) {
      dirty_flag_[s] = 1;
      dirty_.push_back(s);
    }
  };
  switch (o.override_.scope.kind) {
    case ScopeKind::kCity:
      fill_sections(0, static_cast<SectionIndex>(city.section_count()));
      break;
    case ScopeKind::kDistrict: {
      const CityIndex::District& d = city.district(o.target);
      fill_sections(d.section_begin, d.section_end);
      break;
    }
    case ScopeKind::kCabinet:
      for (SectionIndex s : o.sections) fill_sections(s, s + 1);
      break;
    case ScopeKind::kStreet:
      for (PointIndex p : city.street_points(o.target)) set_point(p);
      break;
    case ScopeKind::kPoint:
      set_point(o.target);
      break;
    case ScopeKind::kRoadClass: {
      const auto points = o.district ? city.road_class_points(o.target, *o.district) : city.road_class_points(o.target);
      for (PointIndex p : points) set_point(p);
      break;
    }
  }
}

void Planner::Plan(TimePoint t, CityLevels& out) {
  const CityIndex& city = *city_;
  const CivilDate night = clock_.NightOf(t);
  const int64_t night_day = DaysFromCivil(night);
  if (schedule_night_ != night_day || schedule_version_ != version_) RebuildSchedule(night);
  if (steps_night_ != night_day || steps_version_ != version_) RebuildSteps(night);
  for (size_t k = 0; k < profiles_.size(); ++k) {
    profile_level_[k] = static_cast<uint8_t>(ScheduleClock::LevelAmong(steps_[k], t));
  }

  out.points.resize(city.point_count());
  out.sections.resize(city.section_count());
  uint8_t* points = out.points.data();
  for (SectionIndex s = 0; s < city.section_count(); ++s) {
    const CityIndex::Section& section = city.section(s);
    if (section_profile_[s] != kNoProfile) {
      const uint8_t level = profile_level_[section_profile_[s]];
      std::memset(points + section.begin, level, section.end - section.begin);
      out.sections[s] = level;
      continue;
    }
    for (PointIndex p = section.begin; p < section.end; ++p) points[p] = profile_level_[point_profile_[p]];
    out.sections[s] = Uniform(points, section.begin, section.end) ? points[section.begin] : kMixedLevel;
  }

  active_.clear();
  for (const auto& o : overrides_) {
    if (o.override_.ActiveAt(t)) active_.push_back(&o);
  }
  if (active_.empty()) return;
  std::sort(active_.begin(), active_.end(),
            [](const StoredOverride* a, const StoredOverride* b) { return Weaker(a->override_, b->override_); });
  dirty_flag_.resize(city.section_count(), 0);
  dirty_.clear();
  for (const StoredOverride* o : active_) Apply(*o, out);
  for (SectionIndex s : dirty_) {
    const CityIndex::Section& section = city.section(s);
    out.sections[s] = Uniform(points, section.begin, section.end) ? points[section.begin] : kMixedLevel;
    dirty_flag_[s] = 0;
  }
}

// ------------------------------------------------------------------ commands

size_t CommandBatch::PointsCovered(const CityIndex& city) const {
  size_t n = 0;
  for (const auto& c : commands) {
    n += c.whole_section ? city.section(c.section).end - city.section(c.section).begin : c.count;
  }
  return n;
}

CommandState::CommandState(const CityIndex& city)
    : city_(&city), points_(city.point_count(), kNoLevel), sections_(city.section_count(), kNoLevel) {}

absl::Status CommandState::Restore(const std::vector<uint8_t>& levels) {
  if (levels.size() != points_.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("levels: ", levels.size(), " given for ", points_.size(), " light points"));
  }
  for (size_t p = 0; p < levels.size(); ++p) {
    if (levels[p] > 100 && levels[p] != kNoLevel) {
      return absl::InvalidArgumentError(absl::StrCat("levels[", p, "]: ", int{levels[p]}, " is not 0..100"));
    }
  }
  points_ = levels;
  for (SectionIndex s = 0; s < sections_.size(); ++s) {
    const CityIndex::Section& section = city_->section(s);
    sections_[s] = Uniform(points_.data(), section.begin, section.end) ? points_[section.begin] : kMixedLevel;
  }
  return absl::OkStatus();
}

void CommandState::Diff(const CityLevels& target, CommandBatch& out) {
  out.clear();
  const CityIndex& city = *city_;
  uint8_t* commanded = points_.data();
  const uint8_t* wanted = target.points.data();
  for (SectionIndex s = 0; s < sections_.size(); ++s) {
    const uint8_t level = target.sections[s];
    if (level != kMixedLevel && level == sections_[s]) continue;  // the common case: nothing to do
    const CityIndex::Section& section = city.section(s);
    if (level != kMixedLevel) {
      out.commands.push_back({s, true, level, 0, 0});
      std::memset(commanded + section.begin, level, section.end - section.begin);
      sections_[s] = level;
      continue;
    }
    const auto first = static_cast<uint32_t>(out.points.size());
    for (PointIndex p = section.begin; p < section.end; ++p) {
      if (commanded[p] == wanted[p]) continue;
      out.points.push_back({p, wanted[p]});
      commanded[p] = wanted[p];
    }
    const auto count = static_cast<uint32_t>(out.points.size()) - first;
    if (count > 0) out.commands.push_back({s, false, 0, first, count});
    sections_[s] = kMixedLevel;
  }
}

}  // namespace cityops::lighting
