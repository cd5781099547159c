#include "core/ordered_id.hpp"

#include <algorithm>
#include <cstdio>

#include "crypto/hmac.hpp"

namespace weft {

std::string hex_position(std::uint64_t value) {
  char text[24];
  const int n = std::snprintf(text, sizeof text, "%012llx", static_cast<unsigned long long>(value));
  return std::string(text, static_cast<std::size_t>(n));
}

std::string hash_hex(std::initializer_list<std::string_view> parts, std::size_t digits) {
  std::string key;
  for (std::string_view part : parts) {
    key += part;
    key.push_back('\0');
  }
  return crypto::to_hex(crypto::sha256(key)).substr(0, digits);
}

std::string ordered_id(std::string_view prefix, std::int64_t position,
                       std::initializer_list<std::string_view> parts, std::size_t hash_digits) {
  // A position below zero (none known) sorts first rather than wrapping to the end.
  return std::string(prefix) + hex_position(static_cast<std::uint64_t>(std::max<std::int64_t>(position, 0))) +
         hash_hex(parts, hash_digits);
}

}  // namespace weft
