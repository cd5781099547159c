#pragma once
// Console sessions (docs/console.md): the web console signs in by exchanging an API key for a
// random session token, kept in an HttpOnly, SameSite=Strict, Secure cookie and stored only as
// its SHA-256 (ApiStore::create_session). The /v1 API accepts the cookie as it accepts a
// Bearer key, acting as the key signed in with.
//
// CSRF: a request made with the cookie and a method that changes something must carry
// X-CSRF-Token, the token derived from the session token (HMAC-SHA-256 of it under a fixed
// label). The page reads it from the sign-in answer or GET /console/session; another site can
// send the cookie (not with SameSite=Strict, but older browsers) yet never read the token.
// Bearer requests need none: a browser never adds an Authorization header by itself.
//
// Threads: pure functions.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "weft/api_store.hpp"
#include "weft/http.hpp"

namespace weft::api {

inline constexpr std::string_view kSessionCookie = "weft_session";
inline constexpr std::string_view kCsrfHeader = "X-CSRF-Token";

struct NewSession {
  std::string token;  // the cookie's value: never stored
  SessionRecord record;
};

// A session of `key_id` from `now_ms` for `ttl_seconds`: 32 random bytes, base64url.
NewSession make_session(std::string_view key_id, std::int64_t now_ms, std::int64_t ttl_seconds);

// The hex SHA-256 a session is stored and looked up by.
std::string hash_session_token(std::string_view token);

// The CSRF token of a session token.
std::string csrf_token_for(std::string_view session_token);

// The session cookie's value from the request's Cookie header(s), if any and well formed.
std::optional<std::string> session_cookie(const http::Request& request);

// Set-Cookie values: the session for `max_age_seconds`, and its deletion (sign-out).
std::string session_set_cookie(std::string_view token, std::int64_t max_age_seconds);
std::string session_clear_cookie();

// Whether a request with this method must carry the CSRF token when made with the cookie.
bool method_changes_state(std::string_view method);

}  // namespace weft::api
