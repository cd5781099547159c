#include "api/api_call.hpp"

namespace weft::api {

http::Response not_found(const ApiCall& call, std::string_view detail) {
  return http::problem(404, "not-found", "Not found", detail, call.request);
}

http::Response validation_problem(const http::Request& request,
                                  const std::vector<http::InvalidField>& fields) {
  const std::string detail = std::to_string(fields.size()) +
                             (fields.size() == 1 ? " invalid field" : " invalid fields") +
                             ": see invalid_params";
  return http::problem(422, "validation", "Invalid request", detail, request, fields);
}

http::Response invalid(const ApiCall& call, std::vector<http::InvalidField> fields) {
  return validation_problem(call.request, fields);
}

http::Response conflict(const ApiCall& call, std::string_view detail) {
  return http::problem(409, "conflict", "Conflict", detail, call.request);
}

http::Response forbidden(const ApiCall& call, std::string_view detail) {
  return http::problem(403, "forbidden", "Forbidden", detail, call.request);
}

http::Response storage_unavailable(const ApiCall& call, std::string_view detail) {
  http::Response r = http::problem(503, "unavailable", "Service unavailable", detail, call.request);
  r.headers.set("Retry-After", "1");
  return r;
}

http::Response json_ok(const nlohmann::json& body, int status) {
  return http::json_response(status,
                             body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

}  // namespace weft::api
