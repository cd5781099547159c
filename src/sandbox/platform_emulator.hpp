#pragma once
// The pieces `weft sandbox` is made of. The sandbox is one HTTP server (SandboxServer) that
// hosts one PlatformEmulator per platform: Stripe under /v1, Zendesk under /api/v2, NetSuite
// under /services/rest, Salesforce under /services/data and /services/oauth2. The server does
// what every platform shares — routing by path prefix, injected faults, the request log, the
// admin endpoints under /_sandbox/, persistence of state, delivery of webhooks with retries —
// and each emulator does what is its platform's own: auth checks, resources, idempotency,
// error bodies, pagination, and which changes send which webhooks.
//
// Threads: the server calls an emulator from several threads at once; each emulator guards
// its own state. Emulators never block on I/O: webhooks go to the outbox, which delivers them
// from its own thread.

#include <chrono>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "sandbox/credentials.hpp"
#include "weft/clock.hpp"
#include "weft/http.hpp"
#include "weft/result.hpp"

namespace weft::sandbox {

// One webhook as the platform would send it. The outbox posts it to
// <hub>/hooks/<platform> and retries it (compressed schedule) until the hub answers 2xx.
struct Webhook {
  std::string platform;  // "stripe", "zendesk", "netsuite", "salesforce"
  std::string event_id;  // the platform's event id (for the admin view and logs)
  std::string body;      // the exact bytes sent
  // Headers for one delivery attempt, signature included. Called again for every attempt,
  // since platforms such as Stripe sign each attempt afresh with its own timestamp.
  std::function<http::Headers(std::chrono::system_clock::time_point now)> headers;
};

class WebhookOutbox {
 public:
  virtual ~WebhookOutbox() = default;
  // Queues the webhook; never blocks on the network.
  virtual void post(Webhook webhook) = 0;
};

// What every emulator is given.
struct EmulatorContext {
  const Credentials& credentials;
  ClockPtr clock;
  WebhookOutbox& outbox;
};

// What the request log records about a request beyond method, path and status (GET
// /_sandbox/requests), so that a scenario can see that no effect was applied twice.
struct RequestFacts {
  // The platform's idempotency key for the request, empty when it has none: Stripe and
  // Zendesk the Idempotency-Key header, NetSuite the eid:… in the path, Salesforce the
  // external id path (Account/External_Id__c/ACME-1).
  std::string idempotency_key;
  bool replayed = false;  // answered from the saved response of an earlier request
};

class PlatformEmulator {
 public:
  virtual ~PlatformEmulator() = default;

  virtual const std::string& platform() const = 0;  // "stripe", …
  // Path prefixes this emulator serves, e.g. {"/v1"}; the server routes by longest prefix.
  virtual std::vector<std::string> path_prefixes() const = 0;

  // Answers one request under its prefixes: auth first (the platform's 401 body), then the
  // resource. Unknown paths get the platform's 404. Never throws for bad input: malformed
  // bodies get the platform's 400 with a message saying what is wrong.
  virtual http::Response handle(const http::Request& request) = 0;

  // The platform's error response for an injected fault (`status` is 5xx, 503 for an
  // outage, or 429; the server adds Retry-After when the fault asks for it).
  virtual http::Response fault_response(int status) const = 0;

  // All records by type, as JSON: {"customers": [...], "invoices": [...]} (GET
  // /_sandbox/state shows {"stripe": <this>, "zendesk": ...}). The same document restores
  // the state (the optional state file).
  virtual nlohmann::json state() const = 0;
  virtual Result<void, std::string> restore(const nlohmann::json& state) = 0;
  virtual void reset() = 0;  // empty state, as after start

  // For the request log, called after handle() with its answer. The default reads the
  // Idempotency-Key header and treats `Idempotent-Replayed: true` as a replay.
  virtual RequestFacts describe(const http::Request& request, const http::Response& response) const {
    RequestFacts facts;
    if (auto key = request.headers.get("Idempotency-Key")) facts.idempotency_key = std::string(*key);
    if (auto replayed = response.headers.get("Idempotent-Replayed")) facts.replayed = *replayed == "true";
    return facts;
  }

  // Test-only helpers for what the platform has no API for (Stripe: open a dispute), served
  // under /_sandbox/<platform>/…; `subpath` is the rest, e.g. "/disputes". Same threads and
  // rules as handle(). The default answers 404.
  virtual http::Response handle_admin(const http::Request& request, std::string_view subpath) {
    (void)request;
    http::Response response;
    response.status = 404;
    response.headers.set("Content-Type", "application/json");
    response.body = nlohmann::json{{"error", "no sandbox helper " + std::string(subpath) + " for " + platform()}}.dump();
    return response;
  }
};
using PlatformEmulatorPtr = std::unique_ptr<PlatformEmulator>;

}  // namespace weft::sandbox
