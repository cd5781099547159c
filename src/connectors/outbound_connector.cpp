#include "connectors/outbound_connector.hpp"

#include <algorithm>
#include <utility>

#include "core/text.hpp"

namespace weft::connectors {

std::string one_line(std::string_view text, std::size_t max_bytes) {
  text = trim_whitespace(text);
  const std::size_t n = std::min(text.size(), max_bytes);
  std::string out;
  out.reserve(n + 3);
  for (std::size_t i = 0; i < n; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    out.push_back(c < 0x20 || c == 0x7f ? ' ' : text[i]);
  }
  if (text.size() > n) out += "...";
  return out;
}

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
