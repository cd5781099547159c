#pragma once
// Validating a webhook body and reading the few fields ingest needs, fast: this runs once per
// webhook on a network thread. Uses simdjson's DOM parser, which validates the whole document
// (a truncated or malformed body is rejected, not half-read).

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "weft/connector.hpp"

namespace weft::connectors {

// A parsed document, valid until the next parse on the same thread.
class JsonPayload {
 public:
  // Parses `body`; the error says where it is malformed.
  static Result<JsonPayload, PayloadError> parse(std::string_view body);

  // Fields by path of object keys, e.g. {"data", "object", "id"}.
  std::optional<std::string> string_at(std::initializer_list<std::string_view> path) const;
  std::optional<std::int64_t> int_at(std::initializer_list<std::string_view> path) const;
  // A string or an integer, as text (platforms mix the two for ids).
  std::optional<std::string> id_at(std::initializer_list<std::string_view> path) const;
  // The strings of an array (other items skipped); nullopt when there is no array there.
  std::optional<std::vector<std::string>> strings_at(std::initializer_list<std::string_view> path) const;

  // The same, failing with a PayloadError naming the path.
  Result<std::string, PayloadError> require_string(std::initializer_list<std::string_view> path) const;

 private:
  explicit JsonPayload(const void* root) : root_(root) {}
  const void* root_;  // simdjson::dom::element, kept opaque to keep simdjson out of headers
};

}  // namespace weft::connectors
