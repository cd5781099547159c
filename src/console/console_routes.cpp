#include "console/console_routes.hpp"

#include <nlohmann/json.hpp>
#include <string_view>

#include "api/api_keys.hpp"
#include "api/authentication.hpp"
#include "api/resource_json.hpp"
#include "api/sessions.hpp"
#include "core/embedded_file.hpp"
#include "http/problem.hpp"
#include "weft/log.hpp"

namespace weft::console {

namespace {

using nlohmann::json;

// Only the hub's own files, no inline script or style, no plug-ins, no framing, forms and
// links back to the hub only. Charts are SVG elements the page's script creates.
constexpr const char* kContentSecurityPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'";

std::string_view content_type_of(std::string_view path) {
  const auto dot = path.rfind('.');
  const std::string_view ext = dot == std::string_view::npos ? "" : path.substr(dot + 1);
  if (ext == "html") return "text/html; charset=utf-8";
  if (ext == "js") return "text/javascript; charset=utf-8";
  if (ext == "css") return "text/css; charset=utf-8";
  if (ext == "svg") return "image/svg+xml";
  if (ext == "json") return "application/json";
  return "application/octet-stream";
}

const EmbeddedFile* find_file(std::string_view name) {
  static const std::vector<EmbeddedFile> files = embedded_console_files();
  for (const EmbeddedFile& f : files) {
    if (f.path == name) return &f;
  }
  return nullptr;
}

http::Response file_response(const http::Request& request, std::string_view name) {
  const EmbeddedFile* file = find_file(name);
  if (file == nullptr) {
    return http::problem(404, "not-found", "Not found", "no console file " + request.path,
                         request);
  }
  http::Response r;
  r.headers.set("Content-Type", std::string(content_type_of(file->path)));
  r.body = std::string(file->contents);
  return r;
}

// The session's answer: who is signed in, the CSRF token the page sends back, until when.
json session_json(const ApiKeyRecord& key, const SessionRecord& session, std::string_view token) {
  return {{"key_id", key.id},
          {"name", key.name},
          {"role", key.role},
          {"csrf_token", api::csrf_token_for(token)},
          {"expires_at", api::time_json(session.expires_at_ms)}};
}

http::Response storage_unavailable(const http::Request& request) {
  http::Response r = http::problem(503, "unavailable", "Service unavailable",
                                   "cannot reach the hub's storage now", request);
  r.headers.set("Retry-After", "1");
  return r;
}

class SessionRoutes {
 public:
  SessionRoutes(ApiStore& store, ClockPtr clock, ConsoleOptions options)
      : store_(store), clock_(std::move(clock)), options_(options) {}

  http::Response sign_in(const http::Request& request) const {
    const auto type = request.headers.get("Content-Type");
    if (!type || !http::iequals(type->substr(0, type->find(';')), "application/json")) {
      return http::problem(415, "unsupported-media-type", "Unsupported media type",
                           "send the key as application/json: {\"key\": \"weft_…\"}", request);
    }
    const json body = json::parse(request.body, nullptr, false);
    if (body.is_discarded() || !body.is_object() || !body.contains("key") ||
        !body["key"].is_string() || body.size() != 1) {
      return http::problem(400, "malformed-json", "Malformed body",
                           "the body is {\"key\": \"<API key>\"} and nothing else", request);
    }
    const std::string secret = body["key"].get<std::string>();
    const auto refused = [&] {
      // Logged, not audited: the audit log names who did something, and nobody is known here.
      log::warn("console.sign_in_refused", {{"correlation_id", request.correlation_id}});
      return http::problem(401, "unauthorized", "Unauthorized",
                           "the API key is unknown or revoked", request);
    };
    if (!api::looks_like_api_key(secret)) return refused();
    auto key = store_.find_key_by_hash(api::hash_api_key(secret));
    if (!key) return storage_unavailable(request);
    if (!key->has_value() || !(*key)->active()) return refused();
    const api::NewSession session = api::make_session((*key)->id, clock_->unix_millis(),
                                                      options_.session_ttl_seconds);
    if (auto created = store_.create_session(session.record); !created) {
      log::error("console.sign_in_failed", {{"error", created.error().message}});
      return storage_unavailable(request);
    }
    log::info("console.signed_in", {{"key", (*key)->id},
                                    {"name", (*key)->name},
                                    {"correlation_id", request.correlation_id}});
    audit(**key, "console.sign_in", request);
    http::Response r =
        http::json_response(201, session_json(**key, session.record, session.token).dump());
    r.headers.add("Set-Cookie",
                  api::session_set_cookie(session.token, options_.session_ttl_seconds));
    return r;
  }

  http::Response current(const http::Request& request) const {
    auto who = signed_in(request);
    if (!who) return std::move(who).error();
    return http::json_response(200, session_json(who->key, *who->session, who->session_token).dump());
  }

  http::Response sign_out(const http::Request& request) const {
    auto who = signed_in(request);
    if (!who) return std::move(who).error();
    if (auto ended = store_.delete_session(who->session->token_hash); !ended) {
      return storage_unavailable(request);
    }
    log::info("console.signed_out", {{"key", who->key.id},
                                     {"correlation_id", request.correlation_id}});
    audit(who->key, "console.sign_out", request);
    http::Response r;
    r.status = 204;
    r.headers.add("Set-Cookie", api::session_clear_cookie());
    return r;
  }

 private:
  // Who opened or closed a console session, in the audit log with the other human actions.
  // The target is the key (never the session token, which is a credential).
  void audit(const ApiKeyRecord& key, const char* action, const http::Request& request) const {
    AuditRecord record;
    record.at_ms = clock_->unix_millis();
    record.actor = key.name;
    record.action = action;
    record.target = key.id;
    record.correlation_id = request.correlation_id;
    if (auto appended = store_.append_audit(record); !appended) {
      log::error("console.audit_failed", {{"action", action}, {"error", appended.error().message}});
    }
  }

  // The cookie's session (a Bearer key is no console session).
  Result<api::Authenticated, http::Response> signed_in(const http::Request& request) const {
    if (!api::session_cookie(request)) {
      return fail(http::problem(401, "unauthorized", "Unauthorized", "not signed in", request));
    }
    auto who = api::authenticate(store_, request, clock_->unix_millis());
    if (who && !who->session) {
      return fail(http::problem(401, "unauthorized", "Unauthorized", "not signed in", request));
    }
    return who;
  }

  ApiStore& store_;
  ClockPtr clock_;
  ConsoleOptions options_;
};

// Runs `serve` on the pool (it reads storage), the security headers on its answer.
http::Route on_pool(WorkerPool& pool, std::function<http::Response(const http::Request&)> serve) {
  return [&pool, serve = std::move(serve)](http::Request request, const http::PathParams&,
                                           http::Responder respond) {
    auto task = [serve, request, respond] {
      http::Response r = serve(request);
      add_security_headers(r);
      r.headers.set("Cache-Control", "no-store");
      respond(std::move(r));
    };
    if (!pool.try_submit(task)) {
      http::Response busy =
          http::problem(503, "busy", "Busy", "too many requests in progress", request);
      busy.headers.set("Retry-After", "1");
      add_security_headers(busy);
      respond(std::move(busy));
    }
  };
}

}  // namespace

void add_security_headers(http::Response& response) {
  response.headers.set("Content-Security-Policy", kContentSecurityPolicy);
  response.headers.set("X-Content-Type-Options", "nosniff");
  response.headers.set("Referrer-Policy", "no-referrer");
  response.headers.set("X-Frame-Options", "DENY");
  response.headers.set("Cross-Origin-Opener-Policy", "same-origin");
}

void mount_console(http::Router& router, ApiStore& store, ClockPtr clock, WorkerPool& pool,
                   ConsoleOptions options) {
  auto sessions = std::make_shared<SessionRoutes>(store, std::move(clock), options);
  router.add("POST", "/console/session",
             on_pool(pool, [sessions](const http::Request& r) { return sessions->sign_in(r); }));
  router.add("GET", "/console/session",
             on_pool(pool, [sessions](const http::Request& r) { return sessions->current(r); }));
  router.add("DELETE", "/console/session",
             on_pool(pool, [sessions](const http::Request& r) { return sessions->sign_out(r); }));

  // Static files need no storage: answered on the network thread.
  const auto serve_file = [](const http::Request& request, std::string_view name,
                             http::Responder& respond) {
    http::Response r = file_response(request, name);
    add_security_headers(r);
    r.headers.set("Cache-Control", "no-cache");
    respond(std::move(r));
  };
  router.add("GET", "/console",
             [serve_file](http::Request request, const http::PathParams&, http::Responder respond) {
               if (request.path == "/console/") return serve_file(request, "index.html", respond);
               http::Response r;  // relative URLs in the page need the trailing slash
               r.status = 301;
               r.headers.set("Location", "/console/");
               add_security_headers(r);
               respond(std::move(r));
             });
  router.add("GET", "/console/{file}",
             [serve_file](http::Request request, const http::PathParams& params,
                          http::Responder respond) {
               serve_file(request, params.get("file"), respond);
             });
}

}  // namespace weft::console
