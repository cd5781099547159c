#include "sandbox/sandbox_server.hpp"

#include <algorithm>
#include <exception>

#include "core/suggestion.hpp"
#include "core/url_encoding.hpp"
#include "http/router.hpp"
#include "weft/log.hpp"

namespace weft::sandbox {
namespace {

using nlohmann::json;

constexpr std::string_view kAdmin = "/_sandbox";

bool has_prefix(std::string_view path, std::string_view prefix) {
  if (path.substr(0, prefix.size()) != prefix) return false;
  return path.size() == prefix.size() || path[prefix.size()] == '/' || prefix.back() == '/';
}

bool is_read(const std::string& method) { return method == "GET" || method == "HEAD" || method == "OPTIONS"; }

http::Response method_not_allowed(const std::string& allow) {
  auto response = json_response(405, json{{"error", "method not allowed; use " + allow}});
  response.headers.set("Allow", allow);
  return response;
}

std::string to_std(std::string_view text) { return std::string(text); }

}  // namespace

http::Response json_response(int status, const json& body) {
  http::Response response;
  response.status = status;
  response.headers.set("Content-Type", "application/json");
  response.body = body.dump();
  return response;
}

SandboxServer::SandboxServer(std::vector<PlatformEmulatorPtr> emulators, DeliveringOutbox& outbox,
                             Scheduler& scheduler, ClockPtr clock, SandboxOptions options)
    : emulators_(std::move(emulators)),
      outbox_(outbox),
      scheduler_(scheduler),
      clock_(std::move(clock)),
      options_(std::move(options)),
      faults_(options_.seed),
      requests_(options_.request_log_capacity) {}

SandboxServer::~SandboxServer() { shutdown(); }

std::vector<std::string> SandboxServer::platforms() const {
  std::vector<std::string> names;
  for (const auto& emulator : emulators_) names.push_back(emulator->platform());
  return names;
}

json SandboxServer::state() const {
  json state = json::object();
  for (const auto& emulator : emulators_) state[emulator->platform()] = emulator->state();
  return state;
}

Result<void, std::string> SandboxServer::load_state() {
  if (options_.state_path.empty()) return {};
  auto loaded = load_state_file(options_.state_path);
  if (!loaded) return fail(loaded.error());
  if (*loaded) {
    for (const auto& [platform, platform_state] : (*loaded)->items()) {
      PlatformEmulator* emulator = emulator_named(platform);
      if (emulator == nullptr) {
        return fail(options_.state_path.string() + ": unknown platform '" + platform + "'");
      }
      if (auto restored = emulator->restore(platform_state); !restored) {
        return fail(options_.state_path.string() + ": " + platform + ": " + restored.error());
      }
    }
  }
  saver_ = std::make_unique<StateSaver>(options_.state_path, [this] { return state(); });
  return {};
}

void SandboxServer::shutdown() {
  if (saver_) {
    saver_->mark_dirty();
    saver_->stop();
    saver_.reset();
  }
}

void SandboxServer::changed() {
  if (saver_) saver_->mark_dirty();
}

PlatformEmulator* SandboxServer::emulator_for_path(const std::string& path) const {
  PlatformEmulator* best = nullptr;
  std::size_t best_length = 0;
  for (const auto& emulator : emulators_) {
    for (const auto& prefix : emulator->path_prefixes()) {
      if (prefix.size() > best_length && has_prefix(path, prefix)) {
        best = emulator.get();
        best_length = prefix.size();
      }
    }
  }
  return best;
}

PlatformEmulator* SandboxServer::emulator_named(const std::string& name) const {
  for (const auto& emulator : emulators_) {
    if (emulator->platform() == name) return emulator.get();
  }
  return nullptr;
}

void SandboxServer::reset() {
  for (const auto& emulator : emulators_) emulator->reset();
  faults_.clear();
  requests_.clear();
  outbox_.clear();
  changed();
}

void SandboxServer::handle(http::Request request, http::Responder respond) {
  request.correlation_id = http::correlation_id_for(request.headers);
  const std::string correlation_id = request.correlation_id;
  auto finish = [correlation_id](http::Response response) {
    response.headers.set("X-Correlation-Id", correlation_id);
    return response;
  };

  if (request.body_too_large) {
    respond(finish(json_response(413, json{{"error", "request body too large"}})));
    return;
  }
  if (has_prefix(request.path, kAdmin)) {
    http::Response response;
    try {
      response = serve_admin(request);
    } catch (const std::exception& e) {  // a defect, never bad input: keep serving
      log::error("sandbox.admin_failed", {{"path", request.path}, {"error", e.what()}});
      response = json_response(500, json{{"error", std::string("sandbox failure: ") + e.what()}});
    }
    respond(finish(std::move(response)));
    return;
  }

  PlatformEmulator* emulator = emulator_for_path(request.path);
  if (emulator == nullptr) {
    json prefixes = json::object();
    for (const auto& e : emulators_) prefixes[e->platform()] = e->path_prefixes();
    respond(finish(json_response(
        404, json{{"error", "no emulated platform serves " + request.path}, {"platforms", std::move(prefixes)}})));
    return;
  }

  const FaultDecision fault = faults_.decide(emulator->platform());
  http::Response response = serve_platform(*emulator, request, fault);

  RequestRecord record;
  record.unix_ms = clock_->unix_millis();
  record.platform = emulator->platform();
  record.method = request.method;
  record.path = request.path;
  record.query = request.query;
  record.status = response.status;
  record.fault = fault.name();
  record.correlation_id = correlation_id;
  RequestFacts facts = emulator->describe(request, response);
  record.idempotency_key = std::move(facts.idempotency_key);
  record.replayed = facts.replayed;
  requests_.add(std::move(record));

  if (fault.latency.count() > 0) {
    scheduler_.after(fault.latency, [respond = std::move(respond), response = finish(std::move(response))]() mutable {
      respond(std::move(response));
    });
    return;
  }
  respond(finish(std::move(response)));
}

http::Response SandboxServer::serve_platform(PlatformEmulator& emulator, const http::Request& request,
                                             const FaultDecision& fault) {
  using Kind = FaultDecision::Kind;
  if (fault.kind == Kind::outage || fault.kind == Kind::rate_limited || fault.kind == Kind::error_before) {
    http::Response response = emulator.fault_response(fault.status);
    if (fault.kind == Kind::rate_limited) response.headers.set("Retry-After", std::to_string(fault.retry_after_seconds));
    return response;
  }
  http::Response response;
  try {
    response = emulator.handle(request);
  } catch (const std::exception& e) {  // a defect in an emulator: answer, log, keep serving
    log::error("sandbox.emulator_failed",
               {{"platform", emulator.platform()}, {"path", request.path}, {"error", e.what()}});
    return json_response(500, json{{"error", std::string("sandbox emulator failure: ") + e.what()}});
  }
  if (!is_read(request.method)) changed();
  if (fault.kind == Kind::error_after) return emulator.fault_response(fault.status);
  return response;
}

http::Response SandboxServer::serve_admin(const http::Request& request) {
  std::string_view rest = std::string_view(request.path).substr(kAdmin.size());
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  const std::string& method = request.method;

  if (rest.empty()) {
    if (method != "GET") return method_not_allowed("GET");
    json platforms = json::array();
    for (const auto& e : emulators_) platforms.push_back({{"platform", e->platform()}, {"prefixes", e->path_prefixes()}});
    return json_response(200, json{{"sandbox", "weft"},
                                   {"platforms", std::move(platforms)},
                                   {"endpoints",
                                    {"GET /_sandbox/state", "POST /_sandbox/reset", "GET|POST|DELETE /_sandbox/faults",
                                     "GET /_sandbox/requests?platform=&limit=&after=", "GET /_sandbox/webhooks",
                                     "/_sandbox/<platform>/..."}}});
  }
  if (rest == "/state") {
    if (method != "GET") return method_not_allowed("GET");
    return json_response(200, state());
  }
  if (rest == "/reset") {
    if (method != "POST") return method_not_allowed("POST");
    reset();
    return json_response(200, json{{"reset", true}});
  }
  if (rest == "/faults") {
    if (method == "GET") return json_response(200, faults_.to_json());
    if (method == "DELETE") {
      faults_.clear();
      return json_response(200, faults_.to_json());
    }
    if (method != "POST") return method_not_allowed("GET, POST, DELETE");
    auto body = json::parse(request.body, nullptr, /*allow_exceptions=*/false);
    if (body.is_discarded()) {
      return json_response(400, json{{"error", "the body is not valid JSON; expected e.g. {\"stripe\": {\"error_rate\": 0.2, \"status\": 500}}"}});
    }
    if (auto applied = faults_.apply(body, platforms()); !applied) {
      return json_response(400, json{{"error", applied.error()}});
    }
    return json_response(200, faults_.to_json());
  }
  if (rest == "/requests") {
    if (method != "GET") return method_not_allowed("GET");
    auto pairs = url::parse_pairs(request.query);
    if (!pairs) return json_response(400, json{{"error", "malformed query string"}});
    RequestQuery query;
    for (const auto& [name, value] : *pairs) {
      if (name == "platform") {
        const auto names = platforms();
        if (std::find(names.begin(), names.end(), value) == names.end()) {
          std::vector<std::string_view> known(names.begin(), names.end());
          std::string message = "platform: unknown platform '" + value + "'";
          const std::string hint = did_you_mean(value, known);
          message += hint;
          return json_response(400, json{{"error", message}});
        }
        query.platform = value;
      } else if (name == "limit" || name == "after") {
        std::uint64_t n = 0;
        const bool digits = !value.empty() && value.size() <= 18 &&
                            std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; });
        if (digits) n = std::stoull(value);
        if (!digits || (name == "limit" && n == 0)) {
          return json_response(400, json{{"error", name + ": expected a " + (name == "limit" ? "positive" : "non-negative") +
                                                       " integer, got '" + value + "'"}});
        }
        (name == "limit" ? query.limit : query.after_seq) = n;
      } else {
        return json_response(400, json{{"error", "unknown parameter '" + name + "'; known: platform, limit, after"}});
      }
    }
    return json_response(200, requests_.to_json(query));
  }
  if (rest == "/webhooks") {
    if (method != "GET") return method_not_allowed("GET");
    return json_response(200, outbox_.to_json());
  }
  // /_sandbox/<platform>/…: the emulator's own helpers.
  const std::string_view after_slash = rest.substr(1);
  const std::string platform = to_std(after_slash.substr(0, after_slash.find('/')));
  if (PlatformEmulator* emulator = emulator_named(platform)) {
    const std::string_view subpath = after_slash.substr(platform.size());
    http::Response response = emulator->handle_admin(request, subpath);
    if (!is_read(method)) changed();
    return response;
  }
  return json_response(404, json{{"error", "no sandbox endpoint " + request.path + "; see GET /_sandbox"}});
}

}  // namespace weft::sandbox
