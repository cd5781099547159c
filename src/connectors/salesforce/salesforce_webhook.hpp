#pragma once
// Salesforce's inbound side: record changes posted by Weft's Apex trigger and Queueable
// callout (docs/connectors/salesforce-inbound.md), signed with X-Weft-Signature.
// Salesforce's own outbound messages are SOAP and unsigned, and Change Data Capture needs a
// streaming client; the relay gives one signed JSON envelope instead (connectors/
// relayed_webhook.hpp); record_type is the sObject name (Opportunity, Account, …).

#include "connectors/relayed_webhook.hpp"

namespace weft::connectors::salesforce {

// The record field that names a version: the event id is built from it (relayed_webhook.hpp).
inline constexpr std::string_view kVersionField = "SystemModstamp";

class InboundConnector final : public RelayedInboundConnector {
 public:
  InboundConnector(std::string name, std::string secret, std::chrono::seconds tolerance)
      : RelayedInboundConnector(std::move(name), "salesforce", std::string(kVersionField),
                                /*fingerprint_versions=*/false,  // SystemModstamp has milliseconds
                                std::move(secret), tolerance) {}
};

}  // namespace weft::connectors::salesforce
