#pragma once
// Who is calling /v1 (or the console's session endpoints): an API key as
// `Authorization: Bearer <key>`, else the console's session cookie (api/sessions.hpp), whose
// requests that change state must carry the session's CSRF token. Either way the caller acts
// as an active API key, with its role: roles and four-eyes apply the same to both.
//
// Threads: any; reads the store (blocking): never on a network thread.

#include <cstdint>
#include <optional>
#include <string>

#include "weft/api_store.hpp"
#include "weft/http.hpp"
#include "weft/result.hpp"

namespace weft::api {

struct Authenticated {
  ApiKeyRecord key;                     // active
  std::optional<SessionRecord> session;  // when signed in with the cookie
  std::string session_token;            // the cookie's value then
};

// The caller, or the answer to give instead: 401 (no or unknown credentials, an expired or
// ended session, a revoked key), 403 `csrf` (a cookie request that changes state without the
// session's X-CSRF-Token) or 503 (storage unavailable).
Result<Authenticated, http::Response> authenticate(ApiStore& store, const http::Request& request,
                                                   std::int64_t now_ms);

}  // namespace weft::api
