#include "connectors/json_payload.hpp"

#include <simdjson.h>

namespace weft::connectors {

namespace {

struct ThreadParser {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
};
thread_local ThreadParser tls;

// The element at `path`, or nullopt when a key is missing or a step is not an object.
std::optional<simdjson::dom::element> walk(const void* root,
                                           std::initializer_list<std::string_view> path) {
  simdjson::dom::element current = *static_cast<const simdjson::dom::element*>(root);
  for (std::string_view key : path) {
    simdjson::dom::object object;
    if (current.get_object().get(object) || object.at_key(key).get(current)) return std::nullopt;
  }
  return current;
}

std::string join(std::initializer_list<std::string_view> path) {
  std::string out;
  for (std::string_view key : path) {
    if (!out.empty()) out += '.';
    out += key;
  }
  return out;
}

}  // namespace

Result<JsonPayload, PayloadError> JsonPayload::parse(std::string_view body) {
  auto result = tls.parser.parse(body.data(), body.size(), /*realloc_if_needed=*/true);
  if (result.error()) {
    return fail(PayloadError{PayloadErrc::malformed_json,
                             std::string("body is not valid JSON: ") +
                                 simdjson::error_message(result.error())});
  }
  tls.root = result.value_unsafe();
  if (!tls.root.is_object()) {
    return fail(PayloadError{PayloadErrc::wrong_type, "body must be a JSON object"});
  }
  return JsonPayload(&tls.root);
}

std::optional<std::string> JsonPayload::string_at(std::initializer_list<std::string_view> path) const {
  const auto at = walk(root_, path);
  std::string_view value;
  if (!at || at->get_string().get(value)) return std::nullopt;
  return std::string(value);
}

std::optional<std::int64_t> JsonPayload::int_at(std::initializer_list<std::string_view> path) const {
  const auto at = walk(root_, path);
  std::int64_t value = 0;
  if (!at || at->get_int64().get(value)) return std::nullopt;
  return value;
}

std::optional<std::string> JsonPayload::id_at(std::initializer_list<std::string_view> path) const {
  if (auto s = string_at(path)) return s;
  if (auto i = int_at(path)) return std::to_string(*i);
  return std::nullopt;
}

std::optional<std::vector<std::string>> JsonPayload::strings_at(
    std::initializer_list<std::string_view> path) const {
  const auto at = walk(root_, path);
  simdjson::dom::array array;
  if (!at || at->get_array().get(array)) return std::nullopt;
  std::vector<std::string> out;
  for (simdjson::dom::element item : array) {
    std::string_view value;
    if (!item.get_string().get(value)) out.emplace_back(value);
  }
  return out;
}

Result<std::string, PayloadError> JsonPayload::require_string(
    std::initializer_list<std::string_view> path) const {
  const auto at = walk(root_, path);
  if (!at) {
    return fail(PayloadError{PayloadErrc::missing_field, "missing field '" + join(path) + "'"});
  }
  std::string_view value;
  if (at->get_string().get(value)) {
    return fail(PayloadError{PayloadErrc::wrong_type, "field '" + join(path) + "' must be a string"});
  }
  if (value.empty()) {
    return fail(PayloadError{PayloadErrc::missing_field, "field '" + join(path) + "' is empty"});
  }
  return std::string(value);
}

}  // namespace weft::connectors
