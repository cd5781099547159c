#pragma once
// Rules every ApiStore applies the same way, whichever database is behind it.

#include <cstdint>
#include <optional>
#include <string>

#include "weft/api_store.hpp"

namespace weft::store {

// What is wrong with a key about to be stored (an empty field, a hash that is not 64 hex
// digits), or nullopt.
std::optional<std::string> api_key_problem(const ApiKeyRecord& key);

// What is wrong with a session about to be stored, or nullopt.
std::optional<std::string> session_problem(const SessionRecord& session);

// A claim whose request never answered and is older than `stale_before_ms`: its request died.
inline bool is_stale_claim(const IdempotentResponse& stored, std::int64_t stale_before_ms) {
  return stored.status == 0 && stored.created_at_ms < stale_before_ms;
}

// Fills in what revoking `key` changed (target, before, after) on its audit record; `key` is
// the record before, and comes out revoked at audit.at_ms.
void describe_revocation(ApiKeyRecord& key, AuditRecord& audit);

// The public view of a key for the audit log and listings: never its hash.
std::string key_summary_json(const ApiKeyRecord& key);

}  // namespace weft::store
