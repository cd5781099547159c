#pragma once
// Salesforce's outbound side: records read, upserted by external id and updated through the
// REST API at {base_url}/services/data/vNN.N (api_version, default v61.0), and SOQL queries.
// docs/connectors/salesforce.md lists the actions with their inputs and outputs.
//
// base_url is the org's instance (My Domain) URL; every data call goes there. OAuth tokens
// come from the TokenSource (client credentials, or the JWT bearer flow) in authorize.
//
// Idempotency: Salesforce's REST API takes no idempotency key, so records are created only by
// upsert on an external id (the same call converges on one record however often it is
// retried) and updates set fields to values. There is no plain "create" action on purpose.
//
// Threads: every method from any thread (the token cache is guarded inside TokenSource).

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "connectors/outbound_connector.hpp"
#include "connectors/salesforce/salesforce_errors.hpp"
#include "connectors/salesforce/token_source.hpp"

namespace weft::connectors::salesforce {

inline constexpr const char* kDefaultApiVersion = "v61.0";

class SalesforceConnector final : public OutboundConnector {
 public:
  SalesforceConnector(const config::ConnectorConfig& config, ClockPtr clock);

  static const std::vector<std::string>& action_names();

  const std::string& name() const override { return name_; }
  const std::string& type() const override { return type_; }
  Result<delivery::OutboundRequest, delivery::Failure> prepare(
      const engine::ActionRequest& request) const override;
  Result<void, delivery::Failure> authorize(delivery::OutboundRequest& outbound,
                                            const OutboundContext& context) const override;
  Result<nlohmann::json, delivery::Failure> read_success(
      const engine::ActionRequest& request, const http::Response& response) const override;
  std::optional<nlohmann::json> next_page(const engine::ActionRequest& request,
                                          const nlohmann::json& output) const override;
  void on_failure(const engine::ActionRequest& request,
                  const delivery::Failure& failure) const override;
  const delivery::FailureClassifier& classifier() const override { return classifier_; }

  // For tests and diagnostics: whether a token is cached.
  bool has_token() const { return tokens_.has_token(); }

 private:
  std::string name_;
  std::string type_ = "salesforce";
  std::string base_url_;
  std::string data_;  // base_url + "/services/data/vNN.N"
  std::chrono::milliseconds timeout_;
  TokenSource tokens_;
  SalesforceClassifier classifier_;
};

}  // namespace weft::connectors::salesforce
