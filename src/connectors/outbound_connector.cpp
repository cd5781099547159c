#include "connectors/outbound_connector.hpp"

#include <utility>

namespace weft::connectors {

delivery::Failure bad_input(std::string message) {
  delivery::Failure f;
  f.cls = delivery::FailureClass::validation;
  f.message = std::move(message);
  return f;
}

nlohmann::json json_output(const http::Response& response) {
  nlohmann::json parsed = nlohmann::json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_object()) return parsed;
  nlohmann::json body;
  if (!parsed.is_discarded()) {
    body = std::move(parsed);
  } else {
    // Text that is not UTF-8 could not be written out as JSON later: replace what is not.
    const nlohmann::json text = response.body;
    body = nlohmann::json::parse(
        text.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  }
  return nlohmann::json{{"status", response.status}, {"body", std::move(body)}};
}

}  // namespace weft::connectors
