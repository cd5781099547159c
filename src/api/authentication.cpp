#include "api/authentication.hpp"

#include "api/api_keys.hpp"
#include "api/request_checks.hpp"
#include "api/sessions.hpp"
#include "crypto/hmac.hpp"
#include "http/problem.hpp"
#include "weft/log.hpp"

namespace weft::api {

namespace {

http::Response unauthorized(const http::Request& request, std::string_view detail,
                            bool token_given) {
  http::Response r = http::problem(401, "unauthorized", "Unauthorized", detail, request);
  r.headers.set("WWW-Authenticate", token_given ? R"(Bearer realm="weft", error="invalid_token")"
                                                : R"(Bearer realm="weft")");
  return r;
}

http::Response unavailable(const http::Request& request, const StoreError& error) {
  log::error("api.key_lookup_failed", {{"error", error.message}});
  http::Response r = http::problem(503, "unavailable", "Service unavailable",
                                   "cannot check the credentials now", request);
  r.headers.set("Retry-After", "1");
  return r;
}

Result<Authenticated, http::Response> by_session(ApiStore& store, const http::Request& request,
                                                 const std::string& token, std::int64_t now_ms) {
  auto found = store.find_session(hash_session_token(token));
  if (!found) return fail(unavailable(request, found.error()));
  // Unknown, expired and revoked get one answer: sign in again.
  if (!found->has_value() || (*found)->session.expires_at_ms <= now_ms ||
      !(*found)->key.active()) {
    http::Response r = unauthorized(request, "the console session has ended; sign in again", true);
    r.headers.add("Set-Cookie", session_clear_cookie());
    return fail(std::move(r));
  }
  if (method_changes_state(request.method)) {
    const auto sent = request.headers.get(kCsrfHeader);
    if (!sent || !crypto::constant_time_equals(*sent, csrf_token_for(token))) {
      return fail(http::problem(
          403, "csrf", "CSRF token missing or wrong",
          "a request made with the console's session cookie must send the session's CSRF "
          "token in X-CSRF-Token (GET /console/session gives it)",
          request));
    }
  }
  return Authenticated{(*found)->key, (*found)->session, token};
}

}  // namespace

Result<Authenticated, http::Response> authenticate(ApiStore& store, const http::Request& request,
                                                   std::int64_t now_ms) {
  auto token = bearer_token(request);
  if (!token) {
    if (auto cookie = session_cookie(request)) return by_session(store, request, *cookie, now_ms);
    return fail(unauthorized(
        request, "send the API key as Authorization: Bearer <key>, or sign in to the console",
        false));
  }
  if (token->empty())
    return fail(unauthorized(request, "the Authorization header is not Bearer <key>", false));
  auto key = store.find_key_by_hash(hash_api_key(*token));
  if (!key) return fail(unavailable(request, key.error()));
  // Unknown and revoked keys get the same answer: nothing to learn from probing.
  if (!key->has_value() || !(*key)->active())
    return fail(unauthorized(request, "the API key is unknown or revoked", true));
  return Authenticated{**key, std::nullopt, ""};
}

}  // namespace weft::api
