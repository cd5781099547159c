#pragma once
// API keys: made here, shown once, stored only as their SHA-256.
//
// A key is "weft_" and 43 base64url characters (32 random bytes). With 256 bits of entropy a
// plain SHA-256 is enough to store it safely — a slow password hash guards guessable secrets,
// and nobody can guess this one — and it lets a request find its key with one indexed read.

#include <cstdint>
#include <string>
#include <string_view>

#include "api/roles.hpp"
#include "weft/api_store.hpp"

namespace weft::api {

struct NewApiKey {
  std::string secret;  // the key itself: print it once, never store it
  ApiKeyRecord record;
};

NewApiKey make_api_key(std::string_view name, Role role, std::int64_t now_ms);

// The hex SHA-256 a key is stored and looked up by.
std::string hash_api_key(std::string_view secret);

// Whether `text` has the shape of a key (a cheap check before any lookup).
bool looks_like_api_key(std::string_view text);

// A key name: 1..64 characters of letters, digits and . _ - @ (it names the actor in the
// audit log and on approvals). The error says what is wrong, or empty when fine.
std::string key_name_problem(std::string_view name);

}  // namespace weft::api
