#pragma once
// ApiServer: the /v1 business API's front door. Every endpoint goes through the same steps,
// here and only here, so that no endpoint can forget one:
//   1. off the network thread (storage reads block): onto the API's worker pool, else 503;
//   2. authentication (Authorization: Bearer <key>, looked up by its hash, or the console's
//      session cookie with its CSRF token on POST: api/authentication.hpp): else 401/403;
//   3. the key's role among the endpoint's roles: else 403;
//   4. the key's rate: else 429 with Retry-After (RateLimit-* headers on every answer);
//   5. the query: only the parameters the endpoint declares; path parameters decoded and sane;
//   6. the body: JSON, within the size limit, valid against the endpoint's schema in the
//      OpenAPI document (every invalid field listed): else 400/413/415/422;
//   7. Idempotency-Key on POST: the same key and request replays the stored answer, the same
//      key with another request is 422, one still in progress is 409;
//   8. the handler.
// Errors are application/problem+json (RFC 9457) throughout (http/problem.hpp).

#include <cstddef>
#include <memory>
#include <vector>

#include "api/api_call.hpp"
#include "api/key_rate_limits.hpp"
#include "api/openapi.hpp"
#include "core/worker_pool.hpp"
#include "delivery/rate_limiter.hpp"
#include "http/router.hpp"
#include "weft/api_store.hpp"
#include "weft/clock.hpp"

namespace weft::api {

struct ApiOptions {
  delivery::RateLimit rate{20, 40};  // per key
  std::size_t max_body_bytes = 64 * 1024;
  int idempotency_stale_seconds =
      60;  // a claim older than this without an answer died with its request
  int threads = 4;
};

class ApiServer {
 public:
  ApiServer(ApiStore& store, const OpenApi& openapi, ClockPtr clock, ApiOptions options);
  ~ApiServer();
  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;

  void add(Endpoint endpoint);
  // Routes every endpoint added, and GET /v1/openapi.json, on `router`.
  void mount(http::Router& router);
  // Finishes requests in progress; later ones get 503.
  void stop();

  const std::vector<Endpoint>& endpoints() const { return endpoints_; }

 private:
  http::Response serve(const Endpoint& endpoint, const http::Request& request,
                       const http::PathParams& raw_params);
  http::Response run_idempotent(const Endpoint& endpoint, const ApiCall& call);

  ApiStore& store_;
  const OpenApi& openapi_;
  ClockPtr clock_;
  ApiOptions options_;
  KeyRateLimits rates_;
  std::vector<Endpoint> endpoints_;
  std::unique_ptr<WorkerPool> pool_;
};

}  // namespace weft::api
