#include "api/api_server.hpp"

#include <algorithm>

#include "api/authentication.hpp"
#include "api/request_checks.hpp"
#include "crypto/hmac.hpp"
#include "weft/log.hpp"

namespace weft::api {

namespace {

using nlohmann::json;

std::string request_hash(const http::Request& request) {
  return crypto::to_hex(crypto::sha256(request.method + " " + request.path + "\n" + request.body));
}

bool roles_allow(const Endpoint& endpoint, Role role) {
  return std::find(endpoint.roles.begin(), endpoint.roles.end(), role) != endpoint.roles.end();
}

std::string roles_text(const Endpoint& endpoint) {
  std::string out;
  for (Role r : endpoint.roles) out += (out.empty() ? "" : ", ") + std::string(to_string(r));
  return out;
}

}  // namespace

ApiServer::ApiServer(ApiStore& store, const OpenApi& openapi, ClockPtr clock, ApiOptions options)
    : store_(store),
      openapi_(openapi),
      clock_(std::move(clock)),
      options_(options),
      rates_(options.rate),
      pool_(std::make_unique<WorkerPool>("api", options.threads, 1024)) {}

ApiServer::~ApiServer() { stop(); }

void ApiServer::stop() { pool_->stop(); }

void ApiServer::add(Endpoint endpoint) { endpoints_.push_back(std::move(endpoint)); }

void ApiServer::mount(http::Router& router) {
  router.add("GET", "/v1/openapi.json",
             [this](http::Request, const http::PathParams&, http::Responder respond) {
               http::Response r = http::json_response(200, openapi_.text());
               r.headers.set("Content-Type", "application/json");
               respond(std::move(r));
             });
  for (const Endpoint& endpoint : endpoints_) {
    router.add(endpoint.method, endpoint.pattern,
               [this, &endpoint](http::Request request, const http::PathParams& params,
                                 http::Responder respond) {
                 auto task = [this, &endpoint, request, params, respond]() {
                   respond(serve(endpoint, request, params));
                 };
                 if (!pool_->try_submit(task)) {
                   http::Response busy = http::problem(
                       503, "busy", "Busy", "too many API requests in progress", request);
                   busy.headers.set("Retry-After", "1");
                   respond(std::move(busy));
                 }
               });
  }
}

http::Response ApiServer::serve(const Endpoint& endpoint, const http::Request& request,
                                const http::PathParams& raw_params) {
  // 2. Who is calling: a Bearer key or the console's session (with its CSRF token).
  auto who = authenticate(store_, request, clock_->unix_millis());
  if (!who) return std::move(who).error();
  const ApiKeyRecord& key = who->key;
  const auto role = parse_role(key.role);
  Caller caller{key.id, key.name, role.value_or(Role::read_only)};
  if (!role || !roles_allow(endpoint, *role)) {
    return http::problem(
        403, "forbidden", "Forbidden",
        "the role " + key.role + " may not call this; it takes " + roles_text(endpoint), request);
  }

  // 4. The key's rate; the headers go on whatever the answer is.
  http::Headers rate_headers;
  const bool admitted = rates_.admit(caller.key_id, clock_->monotonic(), rate_headers);
  auto with_rate = [&](http::Response r) {
    for (const auto& [name, value] : rate_headers.all()) r.headers.set(name, value);
    return r;
  };
  if (!admitted) {
    return with_rate(http::problem(
        429, "rate-limited", "Too many requests",
        "this API key is over its rate; retry after the Retry-After seconds", request));
  }

  // 5 and 6. Parameters and body.
  auto checked = check_request(endpoint, request, raw_params, openapi_, options_.max_body_bytes);
  if (!checked) return with_rate(std::move(checked).error());
  const auto& [query, params, body] = *checked;
  const ApiCall call{request, params, query, body, caller};
  try {
    return with_rate(request.method == "POST" ? run_idempotent(endpoint, call)
                                              : endpoint.handler(call));
  } catch (const std::exception& e) {
    log::error("api.handler_failed", {{"path", request.path}, {"error", e.what()}});
    return with_rate(http::problem(500, "internal", "Internal error",
                                   "the request failed; see the hub's log", request));
  }
}

http::Response ApiServer::run_idempotent(const Endpoint& endpoint, const ApiCall& call) {
  auto header = call.request.headers.get("Idempotency-Key");
  if (!header) return endpoint.handler(call);
  const std::string idempotency_key(*header);
  if (idempotency_key.empty() || idempotency_key.size() > 255 ||
      sane_text_problem(idempotency_key)) {
    return http::problem(400, "bad-idempotency-key", "Bad Idempotency-Key",
                         "an Idempotency-Key is 1 to 255 printable characters", call.request);
  }
  const std::int64_t now = clock_->unix_millis();
  IdempotentResponse claim{
      call.caller.key_id, idempotency_key, request_hash(call.request), 0, "", now};
  auto stored = store_.claim_idempotency(claim, now - options_.idempotency_stale_seconds * 1000LL);
  if (!stored) return storage_unavailable(call, "cannot check the Idempotency-Key now");
  if (stored->has_value()) {
    const IdempotentResponse& s = **stored;
    if (s.request_hash != claim.request_hash) {
      return http::problem(422, "idempotency-key-reused", "Idempotency-Key reused",
                           "this Idempotency-Key was used for a different request; use a new key",
                           call.request);
    }
    if (s.status == 0) {
      http::Response r =
          conflict(call, "a request with this Idempotency-Key is still in progress; retry shortly");
      r.headers.set("Retry-After", "1");
      return r;
    }
    http::Response replay = http::json_response(s.status, s.body);
    replay.headers.set("Idempotent-Replayed", "true");
    return replay;
  }
  http::Response response = endpoint.handler(call);
  // Only successes are kept: a refused or failed request did nothing, and the client may fix it
  // and send it again under the same key.
  auto kept = response.status < 300 ? store_.complete_idempotency(claim.key_id, idempotency_key,
                                                                  response.status, response.body)
                                    : store_.release_idempotency(claim.key_id, idempotency_key);
  if (!kept) log::warn("api.idempotency_store_failed", {{"error", kept.error().message}});
  return response;
}

}  // namespace weft::api
