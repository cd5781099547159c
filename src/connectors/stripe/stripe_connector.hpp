#pragma once
// Stripe's outbound side: the billing-sync actions of Stripe's API v1 (docs/connectors/stripe.md
// lists them with their inputs and outputs).
//
// Requests: base_url + /v1/…, `Authorization: Bearer <api_key>`, `Stripe-Version:
// <api_version>` when configured. Identifiers that go in the path are named input fields (id,
// customer), checked and percent-encoded; every other input key is a Stripe parameter, sent in
// bracket notation (metadata[k]=v, items[0][price]=p) as an application/x-www-form-urlencoded
// body for POST and as the query string for GET and DELETE.
// Idempotency: every POST carries `Idempotency-Key: <the step's key>` (see idempotency_key);
// GET and DELETE carry none (Stripe ignores it there; both are idempotent by nature).
// Output: Stripe's object as JSON (lists and searches: Stripe's envelope). next_page follows
// starting_after for lists and page for searches.
// set_customer_collection {customer, paused, behavior} is composite: it lists the customer's
// subscriptions (every page) and pauses or resumes collection on each one that collects
// (active, past_due, trialing, unpaid) and is not in the wanted state yet, within one attempt,
// each POST under its own Idempotency-Key "<the step's key>/<subscription id>". Output:
// {customer, paused, behavior, subscriptions: [{id, status, pause_collection, changed}],
// changed: n}. A customer needing more requests than one attempt may make gets a transient
// failure after the writes it made; the retry lists again and carries on.
// Errors: stripe_errors.hpp.
//
// Threads: immutable after construction; every method from any thread.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "connectors/outbound_connector.hpp"
#include "connectors/stripe/stripe_errors.hpp"

namespace weft::connectors::stripe {

// Stripe takes keys of at most 255 characters. A step's key that is longer, or that holds
// characters a header cannot carry, is sent as "weft-sha256-" + hex(SHA-256(key)) (76
// characters): the same for every attempt, and distinct for distinct keys.
inline constexpr std::size_t kMaxIdempotencyKey = 255;
std::string idempotency_key(std::string_view step_key);

class StripeConnector final : public OutboundConnector {
 public:
  StripeConnector(const config::ConnectorConfig& config, ClockPtr clock);

  // Every action this connector knows, for `weft check` and error messages.
  static const std::vector<std::string>& action_names();

  const std::string& name() const override { return name_; }
  const std::string& type() const override { return type_; }
  Result<delivery::OutboundRequest, delivery::Failure> prepare(
      const engine::ActionRequest& request) const override;
  Result<nlohmann::json, delivery::Failure> read_success(
      const engine::ActionRequest& request, const http::Response& response) const override;
  Result<Reading, delivery::Failure> read_exchange(
      const engine::ActionRequest& request,
      const std::vector<http::Response>& answers) const override;
  std::optional<nlohmann::json> next_page(const engine::ActionRequest& request,
                                          const nlohmann::json& output) const override;
  const delivery::FailureClassifier& classifier() const override { return classifier_; }

 private:
  // A request to base_url + `path_and_query` with the connector's headers (Authorization,
  // Stripe-Version) and timeout.
  delivery::OutboundRequest request_to(std::string method, std::string path_and_query) const;
  // set_customer_collection (stripe_collection_action.cpp).
  Result<Reading, delivery::Failure> read_collection_exchange(
      const engine::ActionRequest& request, const std::vector<http::Response>& answers) const;

  std::string name_;
  std::string type_ = "stripe";
  std::string base_url_;
  config::Secret api_key_;
  std::string api_version_;
  std::chrono::milliseconds timeout_;
  ErrorClassifier classifier_;
};

}  // namespace weft::connectors::stripe
