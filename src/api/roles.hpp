#pragma once
// The roles an API key carries (DESIGN.md, issue 6). Each /v1 endpoint names the roles it
// accepts (api_routes.cpp and the OpenAPI document's x-weft-roles agree; a test checks it).

#include <optional>
#include <string_view>
#include <vector>

namespace weft::api {

enum class Role { support_ops, finance_ops, platform_admin, read_only };

const char* to_string(Role role);  // "support-ops", …
std::optional<Role> parse_role(std::string_view text);
const std::vector<Role>& all_roles();
// "support-ops, finance-ops, platform-admin, read-only": for messages.
const char* role_list();

}  // namespace weft::api
