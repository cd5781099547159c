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
//     → on success: read_exchange (by default read_success) gives the step's output, or
//       one more request of the same action (read-before-write: look for the comment that
//       carries this step's marker before adding it), which is authorized, sent and read
//       in turn within the same admission (same concurrency slot, no new rate token), at
//       most kMaxExchanges requests per attempt;
//       on failure: on_failure (e.g. drop a token the platform refused, so that the retry
//       fetches a new one)
//
// A connector that fails a hook returns a delivery::Failure, classified like any other (bad
// input is validation; a token endpoint that is down is transient). The delivery layer adds
// traceparent and X-Correlation-Id to every request; connectors need not.
//
// Threads: a connector is shared by every worker calling its platform; every method may be
// called from any thread concurrently. State such as a token cache must be guarded inside.

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

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

// One more request of the same action (see read_exchange).
struct FollowUp {
  delivery::OutboundRequest request;
};
// What a successful answer leads to: the step's output, or a follow-up request.
using Reading = std::variant<nlohmann::json, FollowUp>;

// Requests one attempt of an action may make (the first included); a connector asking for
// more is a bug, reported as a validation failure rather than a loop.
inline constexpr int kMaxExchanges = 8;

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

  // For actions of more than one request: `answers` holds every successful answer of this
  // attempt so far, in order (answers.back() is the newest). Return the step's output, or a
  // FollowUp whose request is prepared like prepare's (authorize is applied to it). The
  // default reads the only answer with read_success.
  virtual Result<Reading, delivery::Failure> read_exchange(
      const engine::ActionRequest& request, const std::vector<http::Response>& answers) const {
    auto output = read_success(request, answers.back());
    if (!output) return fail(std::move(output).error());
    return Reading(std::move(output).value());
  }

  // Pagination, for list actions: the input of the action that fetches the page after the
  // one `output` holds (Stripe starting_after, Zendesk cursor, NetSuite offset, Salesforce
  // nextRecordsUrl); nullopt on the last page and for actions that are not lists. Pollers
  // and "fetch every page" callers loop on it, one invoke per page, so that each page is
  // rate limited and retried like any call.
  virtual std::optional<nlohmann::json> next_page(const engine::ActionRequest& /*request*/,
                                                  const nlohmann::json& /*output*/) const {
    return std::nullopt;
  }

  // Told of every failed attempt after classification (a refused token, a concurrency-limit
  // error). Must not block.
  virtual void on_failure(const engine::ActionRequest& /*request*/,
                          const delivery::Failure& /*failure*/) const {}

  // The platform's classifier (the generic one, or one whose refine reads its error bodies).
  virtual const delivery::FailureClassifier& classifier() const = 0;

  // A concurrency limit shared with other connectors, for platforms whose limit is account-
  // wide (NetSuite: every integration of an account counts against one limit). Connectors
  // naming the same non-empty pool share one adaptive cap in the delivery layer, whose
  // ceiling is their max_concurrency; a failure that is_concurrency_limit halves it, runs of
  // successes raise it again (delivery/concurrency_limiter.hpp). Empty (the default): the
  // connector's own fixed max_concurrency.
  virtual std::string concurrency_pool() const { return {}; }
  // The platform refused the call for concurrency (only asked of pooled connectors).
  virtual bool is_concurrency_limit(const delivery::Failure& /*failure*/) const { return false; }
};
using OutboundConnectorPtr = std::unique_ptr<OutboundConnector>;

// Text from a platform (an error message, a body that is not JSON) made fit for one log line
// and a Failure message: trimmed, control characters (line breaks) as spaces, at most
// `max_bytes` bytes and then "...".
std::string one_line(std::string_view text, std::size_t max_bytes);

// A validation Failure about an action's input, e.g. bad_input("path must start with '/'").
delivery::Failure bad_input(std::string message);

// The response body as JSON when it is a JSON object; otherwise {"status": N, "body": B},
// where B is the parsed JSON (an array or a scalar) or the raw text ("" when empty).
nlohmann::json json_output(const http::Response& response);

}  // namespace weft::connectors
