#pragma once
// The web console at /console/ (docs/console.md): its static files (console/ at the
// repository root, compiled in by cmake/embed_files.cmake) and its sign-in:
//
//   GET    /console                 → 301 to /console/
//   GET    /console/, /console/{file}  index.html, the JS modules, the CSS
//   POST   /console/session         {"key": "<API key>"} → 201, Set-Cookie: the session;
//                                   body {key_id, name, role, csrf_token, expires_at}
//   GET    /console/session         the signed-in session (same body), else 401
//   DELETE /console/session         sign-out (X-CSRF-Token needed): 204, the cookie cleared
//
// Every answer under /console carries a strict Content-Security-Policy (only the hub's own
// files; no inline script or style; no framing), X-Content-Type-Options, Referrer-Policy and
// Cache-Control. The console's data comes from /v1, which takes the session cookie
// (api/authentication.hpp).
//
// Threads: the routes run on the network threads; storage work goes to `pool`.

#include <cstdint>

#include "core/worker_pool.hpp"
#include "http/router.hpp"
#include "weft/api_store.hpp"
#include "weft/clock.hpp"

namespace weft::console {

struct ConsoleOptions {
  std::int64_t session_ttl_seconds = 8 * 3600;  // a working day; then sign in again
};

// The security headers every /console answer carries.
void add_security_headers(http::Response& response);

// Adds the console's routes to `router`; `store`, `clock` and `pool` must outlive it.
void mount_console(http::Router& router, ApiStore& store, ClockPtr clock, WorkerPool& pool,
                   ConsoleOptions options = {});

}  // namespace weft::console
