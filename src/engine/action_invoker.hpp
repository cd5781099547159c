#pragma once
// ActionInvoker: how the engine reaches a platform. A `call` step names a connector and an
// action; the invoker carries it out (auth, encoding, rate limits, circuit breaker: the
// delivery layer and the connectors) and says how it went. The engine only decides what to
// call, with which idempotency key, and what to do with the outcome.
//
// Threads: invoke() and invoke_async() are called from any thread, concurrently. invoke()
// may block for as long as the call takes; invoke_async() should not (the engine calls it
// from a few threads that run every instance).

#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <variant>

#include "delivery/failure.hpp"

namespace weft::engine {

struct ActionRequest {
  std::string connector;        // a name under connectors: in the config
  std::string action;           // e.g. create_credit_note
  nlohmann::json input;         // built by the step's `with:` program
  std::string idempotency_key;  // the same for every attempt of this effect, across restarts
  std::string correlation_id;
  std::string traceparent;  // W3C trace context for the outbound request
  std::string instance_id;
  std::string step_id;
};

// The call did not happen yet and should be tried again later without counting as a failed
// attempt: the connector's rate limit, concurrency cap or open circuit breaker said "wait".
struct Deferred {
  std::chrono::milliseconds wait{0};
  std::string reason;
};

struct ActionSuccess {
  nlohmann::json output = nlohmann::json::object();
};

using ActionOutcome = std::variant<ActionSuccess, delivery::Failure, Deferred>;

using ActionDone = std::function<void(ActionOutcome)>;

class ActionInvoker {
 public:
  virtual ~ActionInvoker() = default;
  virtual ActionOutcome invoke(const ActionRequest& request) = 0;
  // The same call; `done` gets its outcome exactly once, on whichever thread finished it
  // (possibly the caller's, before invoke_async returns). The default calls invoke() on the
  // caller's thread: right for invokers that answer from memory or storage.
  virtual void invoke_async(const ActionRequest& request, ActionDone done) { done(invoke(request)); }
};

}  // namespace weft::engine
