#pragma once
// Zendesk Support's outbound side: tickets, private comments, organizations, users, the
// incremental ticket export and the incremental ticket-events export, over
// https://{subdomain}.zendesk.com/api/v2 (base_url is the part before /api/v2). docs/connectors/zendesk.md lists the actions with their inputs.
//
// Auth (static, so set in prepare): Authorization: Basic base64("{email}/token:{api_token}"),
// or Bearer {oauth_token} when the connector has one.
//
// Idempotency: create_ticket sends Idempotency-Key (Zendesk keeps it 2 h); updates and upserts
// are convergent sets; add_private_comment reads before it writes: the comment ends with a
// marker line derived from the step's key, and a comment already carrying it is returned
// instead of adding another.
//
// Threads: immutable after construction; every method from any thread.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "connectors/outbound_connector.hpp"
#include "connectors/zendesk/zendesk_errors.hpp"

namespace weft::connectors::zendesk {

class ZendeskConnector final : public OutboundConnector {
 public:
  ZendeskConnector(const config::ConnectorConfig& config, ClockPtr clock);

  static const std::vector<std::string>& action_names();
  // "weft-ref: <first 16 hex of sha256(key)>": the last line of a private comment added
  // under this idempotency key.
  static std::string comment_marker(std::string_view idempotency_key);

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
  // A request to {api}{path} with the connector's headers (auth, Accept, timeout).
  delivery::OutboundRequest request_to(std::string method, std::string path) const;
  Result<Reading, delivery::Failure> read_comment_exchange(
      const engine::ActionRequest& request, const std::vector<http::Response>& answers) const;
  // incremental_ticket_events (zendesk_ticket_events_action.cpp): the export page, then the
  // tickets it names by show_many, so that a poll can give each event its ticket.
  Result<Reading, delivery::Failure> read_ticket_events_exchange(
      const engine::ActionRequest& request, const std::vector<http::Response>& answers) const;

  std::string name_;
  std::string type_ = "zendesk";
  std::string api_;               // base_url + "/api/v2"
  config::Secret authorization_;  // the whole Authorization header value
  std::chrono::milliseconds timeout_;
  ZendeskClassifier classifier_;
};

}  // namespace weft::connectors::zendesk
