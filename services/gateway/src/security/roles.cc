#include "security/roles.h"

#include <array>
#include <utility>

#include "absl/status/status.h"

namespace cityops::gateway {
namespace {

constexpr std::array<std::pair<std::string_view, Role>, 5> kRoles = {{
    {"viewer", Role::kViewer},
    {"operator", Role::kOperator},
    {"supervisor", Role::kSupervisor},
    {"admin", Role::kAdmin},
    {"integration", Role::kIntegration},
}};

// The place on the ladder; integration is not on it.
int LadderRank(Role role) {
  switch (role) {
    case Role::kViewer:
      return 0;
    case Role::kOperator:
      return 1;
    case Role::kSupervisor:
      return 2;
    case Role::kAdmin:
      return 3;
    case Role::kIntegration:
      break;
  }
  return -1;
}

}  // namespace

absl::StatusOr<Role> ParseRole(std::string_view name) {
  for (const auto& [role_name, role] : kRoles) {
    if (name == role_name) return role;
  }
  return absl::InvalidArgumentError("unknown role; expected one of viewer, operator, supervisor, admin, integration");
}

std::string_view RoleName(Role role) {
  for (const auto& [role_name, known] : kRoles) {
    if (known == role) return role_name;
  }
  return "unknown";
}

bool RoleAllows(Role role, Role minimum, bool integration_allowed) {
  if (role == Role::kIntegration) return integration_allowed;
  if (role == Role::kAdmin) return true;
  const int needed = LadderRank(minimum);
  return needed >= 0 && LadderRank(role) >= needed;
}

}  // namespace cityops::gateway
