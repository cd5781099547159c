#pragma once
// OutboundConnector: the outbound half of a connector — how one platform's API is called.
// It turns an action of a workflow step into an HTTP request (path, method, body encoding,
// credentials, the platform's idempotency mechanism), reads a successful answer back into the
// step's output, and knows the platform's error bodies (its FailureClassifier). It holds no
// business logic and no delivery policy: rate limits, concurrency caps, the circuit breaker,
// retries and metrics belong to the delivery layer (delivery/delivery_invoker.hpp), which calls
// the hooks below in this order for every attempt:
//
//   prepare (local: validate and encode; no I/O)
//     → [delivery admits the call: breaker, concurrency cap, rate limit]
//     → authorize (may do I/O, e.g. fetch or refresh an OAuth token through the transport)
//     → transport.send → classifier().classify
//     → on success: read_success;  on failure: on_failure (e.g. drop a token the platform
//       refused, so that the retry fetches a new one)
//
// A connector that fails a hook returns a delivery::Failure, classified like any other (bad
// input is validation; a token endpoint that is down is transient). The delivery layer adds
// traceparent and X-Correlation-Id to every request; connectors need not.
//
// Threads: a connector is shared by every worker calling its platform; every method may be
// called from any thread concurrently. State such as a token cache must be guarded inside.

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "delivery/failure.hpp"
#include "delivery/http_transport.hpp"
#include "engine/action_invoker.hpp"
#include "weft/clock.hpp"
#include "weft/result.hpp"

namespace weft::connectors {

// What authorize may use: the transport, to reach a token endpoint (outside the connector's
// rate limit and breaker: token calls are few and go to a different host), and the clock.
struct OutboundContext {
  delivery::HttpTransport& transport;
  const Clock& clock;
};

class OutboundConnector {
 public:
  virtual ~OutboundConnector() = default;

  virtual const std::string& name() const = 0;  // the name in the config, e.g. "stripe_eu"
  virtual const std::string& type() const = 0;  // the platform kind, e.g. "stripe"

  // The request for one attempt of `request`. Called for every attempt, so it must give the
  // same effect for the same request: the idempotency key (or external id) comes from
  // request.idempotency_key and nothing random may change what the platform does. Errors
  // are about the action's input (validation) and say which field is wrong.
  virtual Result<delivery::OutboundRequest, delivery::Failure> prepare(
      const engine::ActionRequest& request) const = 0;

  // Adds credentials that need I/O or change over time (OAuth bearer tokens, signatures
  // over the final request such as NetSuite's TBA). Static credentials can go in prepare.
  virtual Result<void, delivery::Failure> authorize(delivery::OutboundRequest& /*outbound*/,
                                                    const OutboundContext& /*context*/) const {
    return {};
  }

  // The step's output from an answer the classifier called a success.
  virtual Result<nlohmann::json, delivery::Failure> read_success(
      const engine::ActionRequest& request, const http::Response& response) const = 0;

  // Told of every failed attempt after classification (a refused token, a concurrency-limit
  // error). Must not block.
  virtual void on_failure(const engine::ActionRequest& /*request*/,
                          const delivery::Failure& /*failure*/) const {}

  // The platform's classifier (the generic one, or one whose refine reads its error bodies).
  virtual const delivery::FailureClassifier& classifier() const = 0;
};
using OutboundConnectorPtr = std::unique_ptr<OutboundConnector>;

// A validation Failure about an action's input, e.g. bad_input("path must start with '/'").
delivery::Failure bad_input(std::string message);

// The response body as JSON when it is a JSON object; otherwise {"status": N, "body": B},
// where B is the parsed JSON (an array or a scalar) or the raw text ("" when empty).
nlohmann::json json_output(const http::Response& response);

}  // namespace weft::connectors
