#pragma once
// What a /v1 endpoint handler gets: the authenticated caller, the path parameters, the query
// (already checked against the parameters the endpoint accepts) and the body (already parsed
// and validated against the endpoint's schema in the OpenAPI document).

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/roles.hpp"
#include "http/problem.hpp"
#include "http/router.hpp"

namespace weft::api {

struct Caller {
  std::string key_id;
  std::string name;  // the actor recorded on decisions and in the audit log
  Role role = Role::read_only;
};

struct ApiCall {
  const http::Request& request;
  const http::PathParams& path;
  const std::map<std::string, std::string, std::less<>>& query;
  const nlohmann::json& body;  // null when the endpoint takes none
  const Caller& caller;

  std::optional<std::string> query_value(std::string_view name) const {
    auto it = query.find(name);
    if (it == query.end()) return std::nullopt;
    return it->second;
  }
};

using EndpointHandler = std::function<http::Response(const ApiCall&)>;

struct Endpoint {
  std::string method;
  std::string pattern;                    // "/v1/workflows/{id}"
  std::vector<Role> roles;                // who may call it; empty: no authentication
  std::vector<std::string> query_params;  // accepted query parameters; any other is a 400
  std::string body_schema;                // components/schemas name of the body; empty: no body
  EndpointHandler handler;
};

// Problems every endpoint may answer, with their stable type URIs (urn:weft:problem:<kind>).
http::Response not_found(const ApiCall& call, std::string_view detail);
http::Response invalid(const ApiCall& call, std::vector<http::InvalidField> fields);
// The 422 for fields that break their schema or rules, each listed (also before a call exists).
http::Response validation_problem(const http::Request& request,
                                  const std::vector<http::InvalidField>& fields);
http::Response conflict(const ApiCall& call, std::string_view detail);
http::Response forbidden(const ApiCall& call, std::string_view detail);
http::Response storage_unavailable(const ApiCall& call, std::string_view detail);
http::Response json_ok(const nlohmann::json& body, int status = 200);

}  // namespace weft::api
