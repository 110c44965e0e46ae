#pragma once

#include <string_view>

#include "absl/status/statusor.h"

// Who may do what: the roles of users and API keys, and the one rule that
// decides whether a role may use a route.
namespace cityops::gateway {

// Users climb the ladder viewer < operator < supervisor < admin; API keys are
// `integration`, apart from the ladder.
enum class Role { kViewer, kOperator, kSupervisor, kAdmin, kIntegration };

// "viewer", "operator", "supervisor", "admin" or "integration" (exactly, lower
// case); INVALID_ARGUMENT naming the allowed ones otherwise.
absl::StatusOr<Role> ParseRole(std::string_view name);

// The name that ParseRole reads.
std::string_view RoleName(Role role);

// Whether `role` may use a route that needs `minimum` (a ladder role) and
// admits API keys when `integration_allowed`:
// - a ladder role passes when it is at or above `minimum`; kAdmin passes every
//   ladder check (and a `minimum` of kIntegration admits no other ladder role);
// - kIntegration passes only when `integration_allowed`: `minimum` never admits
//   it by itself.
bool RoleAllows(Role role, Role minimum, bool integration_allowed);

}  // namespace cityops::gateway
