#include "api/api_keys.hpp"

#include <cctype>

#include "crypto/hmac.hpp"

namespace weft::api {

namespace {

constexpr std::string_view kPrefix = "weft_";
constexpr std::size_t kSecretChars = 43;  // base64url of 32 bytes, unpadded

}  // namespace

NewApiKey make_api_key(std::string_view name, Role role, std::int64_t now_ms) {
  NewApiKey key;
  key.secret = std::string(kPrefix) + crypto::base64url_encode(crypto::random_bytes(32));
  key.record.id = "key_" + crypto::random_hex(8);
  key.record.name = std::string(name);
  key.record.role = to_string(role);
  key.record.secret_hash = hash_api_key(key.secret);
  key.record.created_at_ms = now_ms;
  return key;
}

std::string hash_api_key(std::string_view secret) { return crypto::to_hex(crypto::sha256(secret)); }

bool looks_like_api_key(std::string_view text) {
  if (!text.starts_with(kPrefix) || text.size() != kPrefix.size() + kSecretChars) return false;
  for (char c : text.substr(kPrefix.size())) {
    if (std::isalnum(static_cast<unsigned char>(c)) == 0 && c != '-' && c != '_') return false;
  }
  return true;
}

std::string key_name_problem(std::string_view name) {
  if (name.empty()) return "a key name cannot be empty";
  if (name.size() > 64) return "a key name has at most 64 characters";
  for (char c : name) {
    if (std::isalnum(static_cast<unsigned char>(c)) == 0 && c != '.' && c != '_' && c != '-' &&
        c != '@') {
      return "a key name may hold letters, digits and . _ - @ only";
    }
  }
  return {};
}

}  // namespace weft::api
