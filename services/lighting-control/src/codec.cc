#include "codec.h"

#include "absl/strings/str_cat.h"
#include "cityops/common/proto_time.h"
#include "cityops/common/status.h"

namespace cityops::lighting {
namespace {

bool HasTime(const google::protobuf::Timestamp& t) { return t.seconds() != 0 || t.nanos() != 0; }

}  // namespace

absl::StatusOr<Scope> FromProto(const v1::Scope& in, const std::string& field) {
  Scope scope;
  switch (in.kind()) {
    case v1::SCOPE_KIND_POINT:
      scope = Scope::Point(in.id());
      break;
    case v1::SCOPE_KIND_CABINET:
      scope = Scope::Cabinet(in.id());
      break;
    case v1::SCOPE_KIND_STREET:
      scope = Scope::Street(in.id());
      break;
    case v1::SCOPE_KIND_DISTRICT:
      scope = Scope::District(in.district());
      break;
    case v1::SCOPE_KIND_CITY:
      scope = Scope::City();
      break;
    case v1::SCOPE_KIND_ROAD_CLASS:
      scope = Scope::RoadClass(in.id(), in.district());
      break;
    default:
      return absl::InvalidArgumentError(absl::StrCat(field, ".kind: missing or unknown scope kind"));
  }
  CITYOPS_RETURN_IF_ERROR(ValidateScope(scope, field));
  return scope;
}

v1::Scope ToProto(const Scope& scope) {
  v1::Scope out;
  switch (scope.kind) {
    case ScopeKind::kPoint:
      out.set_kind(v1::SCOPE_KIND_POINT);
      break;
    case ScopeKind::kCabinet:
      out.set_kind(v1::SCOPE_KIND_CABINET);
      break;
    case ScopeKind::kStreet:
      out.set_kind(v1::SCOPE_KIND_STREET);
      break;
    case ScopeKind::kDistrict:
      out.set_kind(v1::SCOPE_KIND_DISTRICT);
      break;
    case ScopeKind::kCity:
      out.set_kind(v1::SCOPE_KIND_CITY);
      break;
    case ScopeKind::kRoadClass:
      out.set_kind(v1::SCOPE_KIND_ROAD_CLASS);
      break;
  }
  out.set_id(scope.id);
  out.set_district(scope.district);
  return out;
}

std::string ScopeKey(const Scope& scope) {
  switch (scope.kind) {
    case ScopeKind::kCity:
      return "city";
    case ScopeKind::kDistrict:
      return absl::StrCat("district:", scope.district);
    case ScopeKind::kRoadClass:
      return absl::StrCat("road_class:", scope.id, ":", scope.district);
    default:
      return absl::StrCat(ScopeKindName(scope.kind), ":", scope.id);
  }
}

absl::StatusOr<DimmingProfile> FromProto(const v1::DimmingProfile& in) {
  DimmingProfile profile;
  profile.id = in.id();
  profile.name = in.name();
  for (int i = 0; i < in.steps_size(); ++i) {
    const auto& s = in.steps(i);
    const std::string field = absl::StrCat("profile.steps[", i, "]");
    ProfileStep step;
    CITYOPS_ASSIGN_OR_RETURN(step, ParseAnchor(s.anchor(), field + ".anchor"));
    step.offset_min = s.offset_min();
    step.level = s.level();
    profile.steps.push_back(step);
  }
  CITYOPS_RETURN_IF_ERROR(ValidateProfile(profile));
  return profile;
}

v1::DimmingProfile ToProto(const DimmingProfile& profile) {
  v1::DimmingProfile out;
  out.set_id(profile.id);
  out.set_name(profile.name);
  for (const auto& step : profile.steps) {
    auto* s = out.add_steps();
    s->set_anchor(AnchorName(step));
    s->set_offset_min(step.offset_min);
    s->set_level(step.level);
  }
  return out;
}

absl::StatusOr<CalendarException> FromProto(const v1::CalendarException& in) {
  CalendarException exception;
  exception.id = in.id();
  CITYOPS_ASSIGN_OR_RETURN(exception.scope, FromProto(in.scope(), "exception.scope"));
  CITYOPS_ASSIGN_OR_RETURN(exception.first, ParseDate(in.first_date(), "exception.first_date"));
  CITYOPS_ASSIGN_OR_RETURN(exception.last, ParseDate(in.last_date(), "exception.last_date"));
  exception.profile_id = in.profile_id();
  exception.reason = in.reason();
  CITYOPS_RETURN_IF_ERROR(ValidateException(exception));
  return exception;
}

v1::CalendarException ToProto(const CalendarException& exception) {
  v1::CalendarException out;
  out.set_id(exception.id);
  *out.mutable_scope() = ToProto(exception.scope);
  out.set_first_date(FormatDate(exception.first));
  out.set_last_date(FormatDate(exception.last));
  out.set_profile_id(exception.profile_id);
  out.set_reason(exception.reason);
  return out;
}

absl::StatusOr<Override> FromProto(const v1::Override& in) {
  Override o;
  o.id = in.id();
  CITYOPS_ASSIGN_OR_RETURN(o.scope, FromProto(in.scope(), "override.scope"));
  o.level = in.level();
  o.reason = in.reason();
  if (HasTime(in.start())) o.start = common::FromProtoTime(in.start());
  if (HasTime(in.expiry())) o.expiry = common::FromProtoTime(in.expiry());
  switch (in.source()) {
    case v1::OVERRIDE_SOURCE_OPERATOR:
      o.source = OverrideSource::kOperator;
      break;
    case v1::OVERRIDE_SOURCE_CRISIS:
      o.source = OverrideSource::kCrisis;
      break;
    default:
      return absl::InvalidArgumentError("override.source: OPERATOR or CRISIS");
  }
  o.created_by = in.created_by();
  return o;
}

v1::Override ToProto(const Override& o) {
  v1::Override out;
  out.set_id(o.id);
  *out.mutable_scope() = ToProto(o.scope);
  out.set_level(o.level);
  out.set_reason(o.reason);
  *out.mutable_start() = common::ToProtoTime(o.start);
  if (o.expiry) *out.mutable_expiry() = common::ToProtoTime(*o.expiry);
  out.set_source(o.source == OverrideSource::kCrisis ? v1::OVERRIDE_SOURCE_CRISIS : v1::OVERRIDE_SOURCE_OPERATOR);
  out.set_created_by(o.created_by);
  return out;
}

}  // namespace cityops::lighting
