#pragma once

#include "absl/status/statusor.h"
#include "cityops/lighting/v1/lighting.pb.h"
#include "domain/model.h"

// Lighting's plain data to and from the protos of storage, events and gRPC.
// The From* functions check what they read (INVALID_ARGUMENT naming the field).
namespace cityops::lighting {

absl::StatusOr<Scope> FromProto(const v1::Scope& scope, const std::string& field);
v1::Scope ToProto(const Scope& scope);
absl::StatusOr<DimmingProfile> FromProto(const v1::DimmingProfile& profile);
v1::DimmingProfile ToProto(const DimmingProfile& profile);
absl::StatusOr<CalendarException> FromProto(const v1::CalendarException& exception);
v1::CalendarException ToProto(const CalendarException& exception);
// The override as asked (level, scope, reason, start, expiry, source).
absl::StatusOr<Override> FromProto(const v1::Override& override_);
v1::Override ToProto(const Override& override_);
// "cabinet:ID", "street:NAME", "district:N", "road_class:NAME:N" (N = 0 for
// the whole city), "city": a group's storage key.
std::string ScopeKey(const Scope& scope);

}  // namespace cityops::lighting
