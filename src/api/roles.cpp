#include "api/roles.hpp"

namespace weft::api {

const char* to_string(Role role) {
  switch (role) {
    case Role::support_ops:
      return "support-ops";
    case Role::finance_ops:
      return "finance-ops";
    case Role::platform_admin:
      return "platform-admin";
    case Role::read_only:
      return "read-only";
  }
  return "unknown";
}

const std::vector<Role>& all_roles() {
  static const std::vector<Role> roles{Role::support_ops, Role::finance_ops, Role::platform_admin,
                                       Role::read_only};
  return roles;
}

std::optional<Role> parse_role(std::string_view text) {
  for (Role r : all_roles()) {
    if (text == to_string(r)) return r;
  }
  return std::nullopt;
}

const char* role_list() { return "support-ops, finance-ops, platform-admin, read-only"; }

}  // namespace weft::api
