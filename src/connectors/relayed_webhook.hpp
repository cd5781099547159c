#pragma once
// The inbound side of platforms that do not sign their own notifications (NetSuite,
// Salesforce): Weft ships a relay for each (a SuiteScript user-event script, an Apex trigger;
// docs/connectors/) that posts record changes signed with X-Weft-Signature
// (connectors/weft_signature.hpp) in one envelope:
//
//   {"id": "<unique event id>", "type": "<record type>.<created|updated|deleted>",
//    "occurred_at": "<ISO-8601 UTC>", "record_type": "customer", "record_id": "<internal id>",
//    "external_id": "<external id>" | null, "changed_fields": ["<field>", …],
//    "record": {<the record's fields as the platform's REST API returns them>}}
//
// The event id is the dedupe key; the record id is the business key (one record's changes
// apply in order).
//
// Threads: immutable after construction; every method from any thread.

#include <chrono>
#include <string>

#include "connectors/weft_signature.hpp"
#include "weft/connector.hpp"

namespace weft::connectors {

class RelayedInboundConnector : public weft::InboundConnector {
 public:
  RelayedInboundConnector(std::string name, std::string type, std::string secret,
                          std::chrono::seconds tolerance)
      : name_(std::move(name)),
        type_(std::move(type)),
        verifier_(std::string(kWeftSignatureHeader), std::move(secret), tolerance) {}

  const std::string& name() const override { return name_; }
  const std::string& type() const override { return type_; }
  const WebhookVerifier& verifier() const override { return verifier_; }
  // id, type ("<record>.<change>", both parts non-empty), record_type, record_id (a string or
  // an integer) and occurred_at (ISO-8601) are required; the rest is the mappings' business.
  Result<EventIdentity, PayloadError> identify(const http::Headers& headers,
                                               std::string_view body) const override;

 private:
  std::string name_;
  std::string type_;
  TimestampedSignatureVerifier verifier_;
};

}  // namespace weft::connectors
