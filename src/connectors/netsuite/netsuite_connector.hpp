#pragma once
// The NetSuite connector (type "netsuite"): SuiteTalk REST web services — the record service
// (/services/rest/record/v1) and SuiteQL (/services/rest/query/v1/suiteql) — signed with
// Token-Based Authentication (OAuth 1.0a, HMAC-SHA256; oauth1.hpp). docs/connectors/
// netsuite.md lists the actions with their inputs and outputs.
//
// Idempotency: NetSuite has no idempotency header for synchronous calls, so every create goes
// through an upsert by external id (PUT …/eid:{x}): the step's external id, or one derived
// from its idempotency key (netsuite_actions.hpp), so a retried step writes the same record.
// There is deliberately no plain create (POST): after an unknown outcome it could duplicate.
//
// Concurrency: NetSuite's limit is per account, shared by every integration on it. All
// connectors with the same account_id name one concurrency_pool, and the delivery layer
// shares one adaptive cap among them (ceiling: max_concurrency).
//
// Threads: immutable after construction; every method from any thread.

#include <string>

#include "config/config.hpp"
#include "connectors/netsuite/netsuite_errors.hpp"
#include "connectors/outbound_connector.hpp"

namespace weft::connectors::netsuite {

class NetSuiteConnector final : public OutboundConnector {
 public:
  NetSuiteConnector(const config::ConnectorConfig& config, ClockPtr clock);

  static const std::vector<std::string>& action_names();

  const std::string& name() const override { return name_; }
  const std::string& type() const override { return type_; }
  Result<delivery::OutboundRequest, delivery::Failure> prepare(
      const engine::ActionRequest& request) const override;
  // Signs the final request (method and URL, query included) with a fresh nonce and the
  // clock's time: OAuth realm="<ACCOUNT_ID>", oauth_consumer_key=…, oauth_token=…, ….
  Result<void, delivery::Failure> authorize(delivery::OutboundRequest& outbound,
                                            const OutboundContext& context) const override;
  Result<nlohmann::json, delivery::Failure> read_success(
      const engine::ActionRequest& request, const http::Response& response) const override;
  // upsert: the PUT's 204, then a GET of …/eid:{x}?fields=id for the internal id.
  Result<Reading, delivery::Failure> read_exchange(
      const engine::ActionRequest& request,
      const std::vector<http::Response>& answers) const override;
  // suiteql: the same query at offset + count while hasMore.
  std::optional<nlohmann::json> next_page(const engine::ActionRequest& request,
                                          const nlohmann::json& output) const override;
  const delivery::FailureClassifier& classifier() const override { return classifier_; }

  // "netsuite:<REALM>": every connector of the account shares one cap.
  std::string concurrency_pool() const override { return "netsuite:" + realm_; }
  bool is_concurrency_limit(const delivery::Failure& failure) const override;

  // The OAuth realm: the account id in upper case with '_' (1234567-sb1 → 1234567_SB1).
  static std::string realm_for(std::string_view account_id);

 private:
  std::string name_;
  std::string type_ = "netsuite";
  std::string base_url_;
  std::string realm_;
  config::Secret consumer_key_, consumer_secret_, token_id_, token_secret_;
  std::chrono::milliseconds timeout_;
  ErrorClassifier classifier_;
};

}  // namespace weft::connectors::netsuite
