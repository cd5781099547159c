#pragma once
// NetSuite's inbound side: record changes posted by Weft's SuiteScript 2.1 user-event script
// (docs/connectors/netsuite.md), signed with X-Weft-Signature. NetSuite itself has no signed
// outbound notifications. Envelope and identity: connectors/relayed_webhook.hpp; record_type
// is the REST record name (customer, salesOrder, …).

#include "connectors/relayed_webhook.hpp"

namespace weft::connectors::netsuite {

// The record field that names a version: the event id is built from it (relayed_webhook.hpp).
inline constexpr std::string_view kVersionField = "lastModifiedDate";

class InboundConnector final : public RelayedInboundConnector {
 public:
  InboundConnector(std::string name, std::string secret, std::chrono::seconds tolerance)
      : RelayedInboundConnector(std::move(name), "netsuite", std::string(kVersionField), /*fingerprint_versions=*/true,
                                std::move(secret), tolerance) {}
};

}  // namespace weft::connectors::netsuite
