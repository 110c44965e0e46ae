#include "domain/model.h"

#include <algorithm>
#include <charconv>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"

namespace cityops::lighting {
namespace {

constexpr const char* kScopeKindNames[] = {"point", "cabinet", "street", "district", "city", "road_class"};
constexpr size_t kMaxIdLength = 128;

absl::Status Invalid(const std::string& field, const std::string& problem) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", problem));
}

bool IsRoadClassChar(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'; }

absl::StatusOr<int> ParseDistrictNumber(const std::string& text, const std::string& field) {
  int district = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), district);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
    return Invalid(field, absl::StrCat("district \"", text, "\" is not a number"));
  }
  return district;
}

}  // namespace

const char* ScopeKindName(ScopeKind kind) { return kScopeKindNames[static_cast<int>(kind)]; }

int ScopeBreadth(const Scope& scope) {
  switch (scope.kind) {
    case ScopeKind::kPoint:
      return 0;
    case ScopeKind::kCabinet:
      return 1;
    case ScopeKind::kStreet:
      return 2;
    case ScopeKind::kRoadClass:
      return scope.district > 0 ? 3 : 5;
    case ScopeKind::kDistrict:
      return 4;
    case ScopeKind::kCity:
      return 6;
  }
  return 6;
}

std::string ScopeName(const Scope& scope) {
  switch (scope.kind) {
    case ScopeKind::kCity:
      return "city";
    case ScopeKind::kDistrict:
      return absl::StrCat("district ", scope.district);
    case ScopeKind::kRoadClass:
      return scope.district > 0 ? absl::StrCat(scope.id, " roads of district ", scope.district)
                                : absl::StrCat(scope.id, " roads of the city");
    default:
      return absl::StrCat(ScopeKindName(scope.kind), " ", scope.id);
  }
}

absl::StatusOr<Scope> ParseScope(const std::string& kind, const std::string& id, const std::string& field) {
  for (int k = 0; k <= static_cast<int>(ScopeKind::kRoadClass); ++k) {
    if (kind != kScopeKindNames[k]) continue;
    Scope scope{static_cast<ScopeKind>(k), {}, 0};
    if (scope.kind == ScopeKind::kDistrict) {
      auto district = ParseDistrictNumber(id, field);
      if (!district.ok()) return district.status();
      scope.district = *district;
    } else if (scope.kind == ScopeKind::kRoadClass) {
      const size_t colon = id.find(':');
      scope.id = id.substr(0, colon);
      if (colon != std::string::npos) {
        auto district = ParseDistrictNumber(id.substr(colon + 1), field);
        if (!district.ok()) return district.status();
        scope.district = *district;
      }
    } else if (scope.kind != ScopeKind::kCity) {
      scope.id = id;
    }
    if (auto s = ValidateScope(scope, field); !s.ok()) return s;
    return scope;
  }
  return Invalid(
      field, absl::StrCat("unknown scope kind \"", kind, "\" (point, cabinet, street, district, city or road_class)"));
}

absl::Status ValidateScope(const Scope& scope, const std::string& field) {
  switch (scope.kind) {
    case ScopeKind::kCity:
      if (!scope.id.empty() || scope.district != 0) return Invalid(field, "the city scope takes no id");
      return absl::OkStatus();
    case ScopeKind::kDistrict:
      if (scope.district < 1) return Invalid(field, absl::StrCat("district ", scope.district, " is not >= 1"));
      return absl::OkStatus();
    case ScopeKind::kPoint:
    case ScopeKind::kCabinet:
    case ScopeKind::kStreet:
      if (scope.id.empty()) return Invalid(field, absl::StrCat("a ", ScopeKindName(scope.kind), " scope needs an id"));
      if (scope.id.size() > kMaxIdLength) return Invalid(field, "id over 128 bytes");
      return absl::OkStatus();
    case ScopeKind::kRoadClass:
      if (scope.id.empty()) return Invalid(field, "a road_class scope needs a road class (e.g. \"main\")");
      if (scope.id.size() > kMaxRoadClassLength) {
        return Invalid(field, absl::StrCat("road class over ", kMaxRoadClassLength, " bytes"));
      }
      if (!std::all_of(scope.id.begin(), scope.id.end(), IsRoadClassChar)) {
        return Invalid(field, absl::StrCat("road class \"", scope.id, "\" is not made of a-z, 0-9, _ and -"));
      }
      if (scope.district < 0) {
        return Invalid(field, absl::StrCat("district ", scope.district, " is not >= 1 (or 0 for the whole city)"));
      }
      return absl::OkStatus();
  }
  return Invalid(field, "unknown scope kind");
}

// ------------------------------------------------------------------ profiles

absl::StatusOr<ProfileStep> ParseAnchor(const std::string& text, const std::string& field) {
  if (text == "sunset") return ProfileStep{Anchor::kSunset, 0, 0, 0};
  if (text == "sunrise") return ProfileStep{Anchor::kSunrise, 0, 0, 0};
  auto minute = ParseClockTime(text, field);
  if (!minute.ok()) {
    return Invalid(field, absl::StrCat("\"", text, "\" is neither sunset, sunrise nor a clock time HH:MM"));
  }
  return ProfileStep{Anchor::kClock, *minute, 0, 0};
}

std::string AnchorName(const ProfileStep& step) {
  switch (step.anchor) {
    case Anchor::kSunset:
      return "sunset";
    case Anchor::kSunrise:
      return "sunrise";
    case Anchor::kClock:
      return FormatClockTime(step.clock_minute);
  }
  return "?";
}

absl::Status ValidateProfile(const DimmingProfile& profile) {
  if (profile.id.empty()) return Invalid("profile.id", "is required");
  if (profile.id.size() > kMaxIdLength) return Invalid("profile.id", "over 128 bytes");
  if (profile.steps.empty()) return Invalid("profile.steps", absl::StrCat("profile ", profile.id, " has no step"));
  if (profile.steps.size() > kMaxProfileSteps) {
    return Invalid("profile.steps", absl::StrCat("at most ", kMaxProfileSteps, " steps"));
  }
  for (size_t i = 0; i < profile.steps.size(); ++i) {
    const ProfileStep& step = profile.steps[i];
    const std::string where = absl::StrCat("profile.steps[", i, "]");
    if (step.level < 0 || step.level > 100) {
      return Invalid(absl::StrCat(where, ".level"), absl::StrCat("must be within 0..100 (got ", step.level, ")"));
    }
    if (step.offset_min < -kMaxStepOffsetMin || step.offset_min > kMaxStepOffsetMin) {
      return Invalid(absl::StrCat(where, ".offset_min"),
                     absl::StrCat("must be within -", kMaxStepOffsetMin, "..", kMaxStepOffsetMin));
    }
    if (step.anchor == Anchor::kClock && (step.clock_minute < 0 || step.clock_minute >= 1440)) {
      return Invalid(absl::StrCat(where, ".at"), "clock time outside 00:00..23:59");
    }
  }
  return absl::OkStatus();
}

// ------------------------------------------------------------------ exceptions

absl::Status ValidateException(const CalendarException& e) {
  if (e.id.empty()) return Invalid("exception.id", "is required");
  if (e.id.size() > kMaxIdLength) return Invalid("exception.id", "over 128 bytes");
  if (!e.scope.is_group())
    return Invalid("exception.scope", "must be a group (cabinet, street, road class, district or city)");
  if (auto s = ValidateScope(e.scope, "exception.scope"); !s.ok()) return s;
  if (!IsValidDate(e.first)) return Invalid("exception.first", "not a valid date");
  if (!IsValidDate(e.last)) return Invalid("exception.last", "not a valid date");
  if (e.last < e.first) {
    return Invalid("exception.last", absl::StrCat(FormatDate(e.last), " is before first ", FormatDate(e.first)));
  }
  if (e.profile_id.empty()) return Invalid("exception.profile_id", "is required");
  return absl::OkStatus();
}

absl::Status ValidateExceptions(const std::vector<CalendarException>& exceptions) {
  std::set<std::string> ids;
  // By scope, sorted by first date: each must end before the next starts.
  std::map<std::pair<int, std::string>, std::vector<const CalendarException*>> by_scope;
  for (const auto& e : exceptions) {
    if (auto s = ValidateException(e); !s.ok()) return s;
    if (!ids.insert(e.id).second) return Invalid("exception.id", absl::StrCat("\"", e.id, "\" appears twice"));
    const std::string key = e.scope.kind == ScopeKind::kDistrict    ? std::to_string(e.scope.district)
                            : e.scope.kind == ScopeKind::kRoadClass ? absl::StrCat(e.scope.id, ":", e.scope.district)
                                                                    : e.scope.id;
    by_scope[{static_cast<int>(e.scope.kind), key}].push_back(&e);
  }
  for (auto& [scope, list] : by_scope) {
    std::sort(list.begin(), list.end(), [](const auto* a, const auto* b) { return a->first < b->first; });
    for (size_t i = 1; i < list.size(); ++i) {
      if (list[i]->first <= list[i - 1]->last) {
        return Invalid(
            "exception.first",
            absl::StrCat("exception ", list[i]->id, " (", FormatDate(list[i]->first), "..", FormatDate(list[i]->last),
                         ") overlaps exception ", list[i - 1]->id, " (", FormatDate(list[i - 1]->first), "..",
                         FormatDate(list[i - 1]->last), ") on ", ScopeName(list[i]->scope)));
      }
    }
  }
  return absl::OkStatus();
}

// ------------------------------------------------------------------ overrides

const char* OverrideSourceName(OverrideSource source) {
  switch (source) {
    case OverrideSource::kSchedule:
      return "schedule";
    case OverrideSource::kOperator:
      return "operator";
    case OverrideSource::kCrisis:
      return "crisis";
  }
  return "?";
}

absl::StatusOr<OverrideSource> ParseOverrideSource(const std::string& name, const std::string& field) {
  for (auto s : {OverrideSource::kSchedule, OverrideSource::kOperator, OverrideSource::kCrisis}) {
    if (name == OverrideSourceName(s)) return s;
  }
  return Invalid(field, absl::StrCat("unknown source \"", name, "\" (schedule, operator or crisis)"));
}

absl::Status ValidateOverride(const Override& o, TimePoint now) {
  if (o.id.empty()) return Invalid("override.id", "is required");
  if (o.id.size() > kMaxIdLength) return Invalid("override.id", "over 128 bytes");
  if (auto s = ValidateScope(o.scope, "override.scope"); !s.ok()) return s;
  if (o.level < 0 || o.level > 100) {
    return Invalid("override.level", absl::StrCat("must be within 0..100 (got ", o.level, ")"));
  }
  if (o.reason.empty()) return Invalid("override.reason", "is required");
  if (o.source != OverrideSource::kSchedule && o.source != OverrideSource::kOperator &&
      o.source != OverrideSource::kCrisis) {
    return Invalid("override.source", "unknown source");
  }
  if (!o.expiry) return Invalid("override.expiry", "is required (an override never lasts for ever)");
  if (*o.expiry <= now) return Invalid("override.expiry", "is in the past");
  if (*o.expiry <= o.start) return Invalid("override.expiry", "is not after the start");
  return absl::OkStatus();
}

}  // namespace cityops::lighting
