#include "http/problem.hpp"

#include <nlohmann/json.hpp>

namespace weft::http {

Response problem(int status, std::string_view kind, std::string_view title, std::string_view detail,
                 const Request& request, const std::vector<InvalidField>& invalid) {
  nlohmann::json body = {
      {"type", "urn:weft:problem:" + std::string(kind)},
      {"title", title},
      {"status", status},
      {"detail", detail},
      {"instance", request.path},
  };
  if (!request.correlation_id.empty()) body["correlation_id"] = request.correlation_id;
  if (!invalid.empty()) {
    auto& list = body["invalid_params"] = nlohmann::json::array();
    for (const auto& field : invalid) list.push_back({{"name", field.name}, {"reason", field.reason}});
  }
  Response out;
  out.status = status;
  out.headers.set("Content-Type", "application/problem+json");
  // Invalid UTF-8 in the detail (say, an echoed header) must not break the error itself.
  out.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return out;
}

Response json_response(int status, std::string body) {
  Response out;
  out.status = status;
  out.headers.set("Content-Type", "application/json");
  out.body = std::move(body);
  return out;
}

}  // namespace weft::http
