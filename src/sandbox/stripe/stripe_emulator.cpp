#include "sandbox/stripe/stripe_emulator.hpp"

#include <cctype>
#include <exception>

#include "core/url_encoding.hpp"
#include "crypto/hmac.hpp"
#include "weft/log.hpp"

namespace weft::sandbox::stripe {

using nlohmann::json;

namespace {

constexpr std::int64_t kIdempotencyKeySeconds = 24 * 3600;
constexpr std::size_t kMaxIdempotencyKey = 255;

Reply auth_error(std::string message) {
  Reply reply = error_reply(401, "invalid_request_error", std::move(message));
  reply.saved_for_idempotency = false;
  return reply;
}

// "2024-06-20" or "2025-03-31.basil".
bool valid_version(std::string_view v) {
  if (v.size() < 10) return false;
  for (std::size_t i = 0; i < 10; ++i) {
    const bool dash = i == 4 || i == 7;
    if (dash ? v[i] != '-' : !std::isdigit(static_cast<unsigned char>(v[i]))) return false;
  }
  if (v.size() == 10) return true;
  if (v[10] != '.' || v.size() == 11) return false;
  for (char c : v.substr(11)) {
    if (!std::islower(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

}  // namespace

std::string mask_api_key(std::string_view key) {
  std::size_t prefix = 0;
  // Keep Stripe's "sk_test_" / "rk_live_" style prefix and the last four characters.
  if (key.size() > 3 && key[2] == '_') {
    const auto second = key.find('_', 3);
    prefix = second == std::string_view::npos ? 3 : second + 1;
  }
  // A key too short to hide most of it is hidden whole.
  if (key.size() < prefix + 8) return std::string(key.size(), '*');
  return std::string(key.substr(0, prefix)) + std::string(key.size() - prefix - 4, '*') +
         std::string(key.substr(key.size() - 4));
}

StripeEmulator::StripeEmulator(const EmulatorContext& context, std::string api_version)
    : credentials_(context.credentials),
      clock_(context.clock),
      api_version_(std::move(api_version)),
      key_scope_(crypto::to_hex(crypto::sha256(credentials_.stripe_api_key)).substr(0, 16)),
      api_(store_, context.clock, context.outbox, credentials_.stripe_webhook_secret, api_version_) {}

std::string StripeEmulator::new_request_id() { return "req_" + store_.new_secret(14); }

http::Response StripeEmulator::respond(const Reply& reply, const std::string& request_id, const std::string& version) const {
  http::Response response;
  response.status = reply.status;
  response.headers.set("Content-Type", "application/json");
  response.headers.set("Request-Id", request_id);
  response.headers.set("Stripe-Version", version);
  if (reply.status == 401) response.headers.set("WWW-Authenticate", "Basic realm=\"Stripe\"");
  response.body = reply.body.dump(2);  // Stripe pretty-prints its JSON
  return response;
}

http::Response StripeEmulator::handle(const http::Request& request) {
  std::unique_lock lock(mutex_);
  const std::string request_id = new_request_id();
  std::string version = api_version_;

  // Authentication: Bearer <key>, or Basic base64(<key>:).
  std::string key;
  const auto authorization = request.headers.get("Authorization");
  if (authorization) {
    const std::string_view value = trim(*authorization);
    const auto space = value.find(' ');
    const std::string_view scheme = value.substr(0, space);
    const std::string_view credential = space == std::string_view::npos ? "" : trim(value.substr(space + 1));
    if (http::iequals(scheme, "Bearer")) {
      key = std::string(credential);
    } else if (http::iequals(scheme, "Basic")) {
      if (auto decoded = crypto::base64_decode(credential)) key = decoded->substr(0, decoded->find(':'));
    }
  }
  if (key.empty()) {
    return respond(auth_error("You did not provide an API key. You need to provide your API key in the Authorization "
                              "header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See "
                              "https://stripe.com/docs/api#authentication for details, or we can help at "
                              "https://support.stripe.com/."),
                   request_id, version);
  }
  if (!crypto::constant_time_equals(key, credentials_.stripe_api_key)) {
    return respond(auth_error("Invalid API Key provided: " + mask_api_key(key)), request_id, version);
  }
  if (auto requested = request.headers.get("Stripe-Version")) {
    if (!valid_version(*requested)) {
      Reply bad = invalid_param("Invalid Stripe API version: " + std::string(*requested), "");
      return respond(bad, request_id, version);
    }
    version = std::string(*requested);
  }

  // The path after /v1, segment by segment.
  std::vector<std::string> segments;
  std::string_view rest = std::string_view(request.path).substr(3);
  if (!rest.empty() && rest.front() == '/') rest.remove_prefix(1);
  while (!rest.empty()) {
    const auto slash = rest.find('/');
    auto decoded = url::percent_decode(rest.substr(0, slash), false);
    if (!decoded) return respond(invalid_param("Invalid request: malformed percent-escape in the URL path.", ""), request_id, version);
    segments.push_back(std::move(*decoded));
    if (slash == std::string_view::npos) break;
    rest.remove_prefix(slash + 1);
  }

  // Parameters: the query string, and for POST the form body.
  auto pairs = url::parse_pairs(request.query);
  if (!pairs) return respond(invalid_param("Invalid request: malformed percent-escape in the query string.", ""), request_id, version);
  if (request.method == "POST" && !request.body.empty()) {
    const auto content_type = request.headers.get("Content-Type").value_or("application/x-www-form-urlencoded");
    if (content_type.find("application/x-www-form-urlencoded") == std::string_view::npos) {
      return respond(invalid_param("Invalid request: Stripe takes request bodies as application/x-www-form-urlencoded "
                                   "(bracket notation for nested parameters), not " + std::string(content_type) + ".",
                                   ""),
                     request_id, version);
    }
    auto body_pairs = url::parse_pairs(request.body);
    if (!body_pairs) return respond(invalid_param("Invalid request: malformed percent-escape in the form body.", ""), request_id, version);
    pairs->insert(pairs->end(), body_pairs->begin(), body_pairs->end());
  }
  auto params = url::unflatten_form(*pairs);
  if (!params) {
    return respond(invalid_param("Invalid request: the parameters' bracket notation is inconsistent (a name is used both "
                                 "as a value and as a hash or array, or an array index is not a number).",
                                 ""),
                   request_id, version);
  }

  // Idempotency (POST only, as on Stripe).
  std::string idempotency_key;
  if (auto header = request.headers.get("Idempotency-Key"); header && request.method == "POST") {
    idempotency_key = std::string(*header);
    if (idempotency_key.size() > kMaxIdempotencyKey) {
      return respond(invalid_param("Invalid Idempotency-Key: keys can be at most 255 characters long.", ""), request_id, version);
    }
  }
  const std::int64_t now = clock_->unix_seconds();
  prune_idempotency(now);
  const std::string scoped = key_scope_ + "\n" + idempotency_key;
  if (!idempotency_key.empty()) {
    if (auto it = idempotency_.find(scoped); it != idempotency_.end()) {
      const Saved& saved = it->second;
      if (saved.method != request.method || saved.path != request.path) {
        Reply mismatch = error_reply(400, "idempotency_error",
                                     "Keys for idempotent requests can only be used for the same endpoint they were first "
                                     "used for ('" + saved.method + " " + saved.path + "' vs '" + request.method + " " +
                                         request.path + "'). Try using a key other than '" + idempotency_key +
                                         "' if you meant to execute a different request.");
        return respond(mismatch, request_id, version);
      }
      if (saved.params != *params) {
        Reply mismatch = error_reply(400, "idempotency_error",
                                     "Keys for idempotent requests can only be used with the same parameters they were "
                                     "first used with. Try using a key other than '" + idempotency_key +
                                         "' if you meant to execute a different request.");
        return respond(mismatch, request_id, version);
      }
      http::Response replay;
      replay.status = saved.status;
      replay.body = saved.body;
      replay.headers.set("Content-Type", "application/json");
      replay.headers.set("Request-Id", request_id);
      replay.headers.set("Stripe-Version", version);
      replay.headers.set("Idempotency-Key", idempotency_key);
      replay.headers.set("Idempotent-Replayed", "true");
      replay.headers.set("Original-Request", saved.request_id);
      return replay;
    }
  }

  RequestContext context{request_id, idempotency_key, credentials_.stripe_api_key.rfind("sk_live_", 0) == 0};
  Reply reply;
  try {
    reply = api_.route(request.method, segments, *params, context);
  } catch (const std::exception& e) {  // a defect: Stripe's 500, never a crash
    log::error("sandbox.stripe_failed", {{"path", request.path}, {"error", e.what()}});
    reply = error_reply(500, "api_error", "An unknown error occurred (sandbox: " + std::string(e.what()) + ")");
  }
  http::Response response = respond(reply, request_id, version);
  if (!idempotency_key.empty()) {
    response.headers.set("Idempotency-Key", idempotency_key);
    if (reply.saved_for_idempotency) {
      idempotency_[scoped] = Saved{request.method, request.path, *params, response.status, response.body, request_id, now};
    }
  }
  return response;
}

void StripeEmulator::prune_idempotency(std::int64_t now) {
  for (auto it = idempotency_.begin(); it != idempotency_.end();) {
    it = now - it->second.created >= kIdempotencyKeySeconds ? idempotency_.erase(it) : std::next(it);
  }
}

http::Response StripeEmulator::fault_response(int status) const {
  Reply reply;
  if (status == 429) {
    reply = error_reply(429, "invalid_request_error",
                        "Request rate limit exceeded. Learn more about rate limits here https://stripe.com/docs/rate-limits.",
                        "rate_limit");
  } else if (status >= 500) {
    reply = error_reply(status, "api_error",
                        status == 503 ? "Stripe is temporarily unavailable (sandbox outage)."
                                      : "An unknown error occurred (sandbox fault).");
  } else {
    reply = error_reply(status, "invalid_request_error", "Injected sandbox fault (HTTP " + std::to_string(status) + ").");
  }
  std::lock_guard lock(mutex_);
  return respond(reply, "req_sandboxfault", api_version_);
}

json StripeEmulator::idempotency_json() const {
  json keys = json::array();
  for (const auto& [scoped, saved] : idempotency_) {
    keys.push_back({{"key", scoped},
                    {"method", saved.method},
                    {"path", saved.path},
                    {"params", saved.params},
                    {"status", saved.status},
                    {"body", saved.body},
                    {"request_id", saved.request_id},
                    {"created", saved.created}});
  }
  return keys;
}

json StripeEmulator::state() const {
  std::lock_guard lock(mutex_);
  return store_.to_json(idempotency_json());
}

Result<void, std::string> StripeEmulator::restore(const json& state) {
  std::lock_guard lock(mutex_);
  auto keys = store_.from_json(state);
  if (!keys) return fail(keys.error());
  std::map<std::string, Saved> loaded;
  for (const auto& entry : *keys) {
    if (!entry.is_object() || !entry.contains("key") || !entry["key"].is_string()) {
      return fail(std::string("idempotency_keys: every entry needs a string \"key\""));
    }
    Saved saved;
    saved.method = entry.value("method", "");
    saved.path = entry.value("path", "");
    saved.params = entry.value("params", json::object());
    saved.status = entry.value("status", 0);
    saved.body = entry.value("body", "");
    saved.request_id = entry.value("request_id", "");
    saved.created = entry.value("created", std::int64_t{0});
    loaded[entry["key"].get<std::string>()] = std::move(saved);
  }
  idempotency_ = std::move(loaded);
  return {};
}

void StripeEmulator::reset() {
  std::lock_guard lock(mutex_);
  store_.clear();
  api_.stop_declines();
  idempotency_.clear();
}

http::Response StripeEmulator::handle_admin(const http::Request& request, std::string_view subpath) {
  std::lock_guard lock(mutex_);
  const std::string request_id = new_request_id();
  auto body = request.body.empty() ? json::object() : json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  Reply reply = error_reply(404, "invalid_request_error",
                            "No sandbox helper " + std::string(subpath) +
                                " for stripe; there are POST /_sandbox/stripe/disputes, "
                                "POST /_sandbox/stripe/disputes/{id}/close and POST /_sandbox/stripe/declines");
  const RequestContext context{request_id, "", false};
  const bool open = subpath == "/disputes" && request.method == "POST";
  const bool close = subpath.rfind("/disputes/", 0) == 0 && subpath.size() > 16 &&
                     subpath.substr(subpath.size() - 6) == "/close" && request.method == "POST";
  const bool declines = subpath == "/declines" && request.method == "POST";
  try {
    if ((open || close || declines) && body.is_discarded()) {
      reply = invalid_param("The body must be JSON, e.g. {\"charge\": \"ch_…\"}", "");
    } else if (open) {
      reply = api_.open_dispute(body, context);
    } else if (close) {
      reply = api_.close_dispute(std::string(subpath.substr(10, subpath.size() - 16)), body, context);
    } else if (declines) {
      reply = api_.set_declines(body);
    }
  } catch (const std::exception& e) {
    reply = error_reply(500, "api_error", std::string("sandbox helper failed: ") + e.what());
  }
  return respond(reply, request_id, api_version_);
}

}  // namespace weft::sandbox::stripe
