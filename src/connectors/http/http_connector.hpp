#pragma once
// The generic `http` connector: calls any JSON-over-HTTP API the way the action's input says,
// for targets that have no connector of their own (an internal service, a webhook receiver)
// and for tests. It knows no platform: no error bodies, no pagination; failures get the
// generic classification.
//
// Action input (any action name; the name is only reported in metrics and logs):
//   method   GET | POST | PUT | PATCH | DELETE (any case); default POST
//   path     required; appended to base_url; starts with '/'; ASCII, no spaces, '?' or '#'
//   query    optional object of scalars; percent-encoded into the query string
//   body     optional JSON, sent as application/json (not with GET)
//   headers  optional object of strings; Authorization, Idempotency-Key, traceparent,
//            X-Correlation-Id and the framing headers (Host, Content-Length, …) are Weft's
// Every request carries Idempotency-Key: <the step's key> and, when the connector has an
// api_key, Authorization: Bearer <api_key>.
// Output: the response body when it is a JSON object, else {"status": N, "body": …}.
//
// Threads: immutable after construction; every method from any thread.

#include <chrono>
#include <string>

#include "config/config.hpp"
#include "connectors/outbound_connector.hpp"

namespace weft::connectors::http_api {

class HttpConnector final : public OutboundConnector {
 public:
  HttpConnector(const config::ConnectorConfig& config, ClockPtr clock);

  const std::string& name() const override { return name_; }
  const std::string& type() const override { return type_; }
  Result<delivery::OutboundRequest, delivery::Failure> prepare(
      const engine::ActionRequest& request) const override;
  Result<nlohmann::json, delivery::Failure> read_success(
      const engine::ActionRequest& request, const http::Response& response) const override;
  const delivery::FailureClassifier& classifier() const override { return classifier_; }

 private:
  std::string name_;
  std::string type_ = "http";
  std::string base_url_;
  config::Secret api_key_;
  std::chrono::milliseconds timeout_;
  delivery::FailureClassifier classifier_;
};

}  // namespace weft::connectors::http_api
