#pragma once
// The envelope Weft's NetSuite and Salesforce relays post (connectors/relayed_webhook.hpp),
// built by a backfill poll from a record it read back, so that the webhook path's identify()
// and the mappings read both the same way and a version that arrives both ways has one id.
//
// What a poll cannot know, it says so: "changed_fields" is null (a poll sees the record, not
// the edit), and the change is "created" when the record's creation time equals its version
// stamp (the version read is its first), else "updated". Deletions are not polled.

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "weft/result.hpp"

namespace weft::pollers {

struct PolledRecord {
  std::string record_type;        // customer, Account, …
  std::string record_id;
  std::string created;            // ISO-8601 (dateCreated, CreatedDate); may be empty
  std::string last_modified;      // ISO-8601 (lastModifiedDate, SystemModstamp)
  nlohmann::json external_id;     // a string or null
  nlohmann::json record;          // the record as the relay would send it
  // Set when the stamp has whole seconds: the record's field holding it. The id then carries
  // the record's fingerprint without it (connectors/relayed_webhook.hpp).
  std::string fingerprint_version_field;
};

// The envelope, or why it cannot be built (a version stamp that is not an ISO-8601 time).
Result<nlohmann::json, std::string> relayed_envelope(const PolledRecord& polled);

}  // namespace weft::pollers
