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
// The record id is the business key (one record's changes apply in order). The event id is
// the dedupe key, and it names the record version that changed:
//
//   "<record_type>:<record_id>:<last modified>"           created, updated
//   "<record_type>:<record_id>:<last modified>:deleted"   deleted
//
// <last modified> is the record's version stamp (NetSuite lastModifiedDate, Salesforce
// SystemModstamp) as ISO-8601 UTC with milliseconds. A backfill poll that reads the same
// version (src/pollers/) builds the same id, so a change that arrives both ways is stored once.
// identify() derives the id itself from record.<version field> rather than trusting the
// envelope's "id": a relay that sends another id, or writes the stamp in another ISO form
// (…Z, ….000Z, +0000), still dedupes against the poll. Only a record without a readable stamp
// falls back to the envelope's "id". Deletions get their own suffix: the record a delete
// carries is the last version, whose id its update already took.
//
// A stamp with whole seconds (NetSuite's lastModifiedDate) is the same for two changes made in
// one second — a credit hold set right after the customer was created — and the second change
// would be dropped as a duplicate of the first. For such platforms the id also carries the
// record's fingerprint ("<record_type>:<record_id>:<last modified>:<fingerprint>"): 16 hex
// digits of SHA-256 over its top-level values but the version stamp itself (in the id already,
// and written in more than one ISO form), a reference by its id, nested lists and objects left
// out (a relay and a poll may shape those differently). Two changes of one second differ
// in it; a relay and a poll of one version agree.
//
// Threads: immutable after construction; every method from any thread.

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "connectors/weft_signature.hpp"
#include "weft/connector.hpp"

namespace weft::connectors {

class RelayedInboundConnector : public weft::InboundConnector {
 public:
  // `version_field`: the record field holding its version stamp (lastModifiedDate,
  // SystemModstamp).
  // `fingerprint_versions`: the stamp has whole seconds, so ids carry the record's fingerprint.
  RelayedInboundConnector(std::string name, std::string type, std::string version_field, bool fingerprint_versions,
                          std::string secret, std::chrono::seconds tolerance)
      : name_(std::move(name)),
        type_(std::move(type)),
        version_field_(std::move(version_field)),
        fingerprint_versions_(fingerprint_versions),
        verifier_(std::string(kWeftSignatureHeader), std::move(secret), tolerance) {}

  const std::string& name() const override { return name_; }
  const std::string& type() const override { return type_; }
  const WebhookVerifier& verifier() const override { return verifier_; }
  // type ("<record>.<change>", both parts non-empty), record_type, record_id (a string or an
  // integer) and occurred_at (ISO-8601) are required, and either record.<version field> (an
  // ISO-8601 time) or id; the rest is the mappings' business.
  Result<EventIdentity, PayloadError> identify(const http::Headers& headers,
                                               std::string_view body) const override;

 private:
  std::string name_;
  std::string type_;
  std::string version_field_;
  bool fingerprint_versions_;
  TimestampedSignatureVerifier verifier_;
};

// The event id of one record version (above); nullopt when `last_modified` is not an
// ISO-8601 time. `change` is created, updated or deleted; `record`, when given, adds its
// fingerprint, which leaves out `version_field`.
std::optional<std::string> relayed_event_id(std::string_view record_type,
                                            std::string_view record_id, std::string_view change,
                                            std::string_view last_modified,
                                            const nlohmann::json* record = nullptr,
                                            std::string_view version_field = {});

// The record's fingerprint (above): 16 hex digits.
std::string record_fingerprint(const nlohmann::json& record, std::string_view version_field);

}  // namespace weft::connectors
