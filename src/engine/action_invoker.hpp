#pragma once
// ActionInvoker: how the engine reaches a platform. A `call` step names a connector and an
// action; the invoker carries it out (auth, encoding, rate limits, circuit breaker: the
// delivery layer and the connectors) and says how it went. The engine only decides what to
// call, with which idempotency key, and what to do with the outcome.
//
// Threads: invoke() is called from engine worker threads, concurrently; it may block for
// as long as the call takes.

#include <chrono>
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

class ActionInvoker {
 public:
  virtual ~ActionInvoker() = default;
  virtual ActionOutcome invoke(const ActionRequest& request) = 0;
};

}  // namespace weft::engine
