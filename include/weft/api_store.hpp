#pragma once
// ApiStore: what the /v1 business API keeps durably — API keys (hashed: the key itself is
// shown once and never stored), the stored responses of idempotent POSTs, and the append-only
// audit log of human actions. SQLite implements it now (in the same database as the rest),
// PostgreSQL next, memory for tests; tests/unit/api_store_test.cpp runs one suite on each.
//
// Threads: every method may be called from any thread. Every write is one transaction,
// durable when it returns success.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "weft/store.hpp"

namespace weft {

struct ApiKeyRecord {
  std::string id;           // public ("key_…"): `weft keys list` shows it, revoke takes it
  std::string name;         // who holds the key: the actor of approvals and of the audit log
  std::string role;         // support-ops, finance-ops, platform-admin, read-only
  std::string secret_hash;  // hex SHA-256 of the whole key
  std::int64_t created_at_ms = 0;
  std::int64_t revoked_at_ms = 0;  // 0 while the key is valid
  bool active() const { return revoked_at_ms == 0; }
};

// One human action: who did what to which object, when, and the object before and after.
struct AuditRecord {
  std::int64_t seq = 0;  // assigned by the store; increases with every record
  std::int64_t at_ms = 0;
  std::string actor;   // an API key's name, or "cli:<user>" for the command line
  std::string action;  // approval.decide, exception.retry, exception.discard, xref.merge, replay,
                       // key.create, key.revoke, console.sign_in, console.sign_out, …
  std::string target;  // the id acted on
  std::string before_json = "null";
  std::string after_json = "null";
  std::string correlation_id;
};

struct AuditQuery {
  std::optional<std::string> actor, action, target;
  std::int64_t after_seq = 0;  // keyset pagination
  int limit = 100;             // clamped to 1..1000
};

// The response of an idempotent POST, stored under (the caller's key, its Idempotency-Key).
// status 0: the first request is still in progress (or died before answering).
struct IdempotentResponse {
  std::string key_id;
  std::string idempotency_key;
  std::string
      request_hash;  // of method, path and body: the same key with another request is refused
  int status = 0;
  std::string body;
  std::int64_t created_at_ms = 0;
};

// A web console sign-in (docs/console.md): a random token kept in an HttpOnly cookie, stored
// only as its hash, acting as the API key it was made with until it expires, is ended, or the
// key is revoked (revoking a key deletes its sessions).
struct SessionRecord {
  std::string token_hash;  // hex SHA-256 of the cookie's token
  std::string key_id;      // the API key signed in with
  std::int64_t created_at_ms = 0;
  std::int64_t expires_at_ms = 0;
};

// A session with the key it acts as (active or not: the caller checks).
struct SessionWithKey {
  SessionRecord session;
  ApiKeyRecord key;
};

class ApiStore {
 public:
  virtual ~ApiStore() = default;

  // Adds a key and its audit record in one transaction. conflict: the id, the hash, or the
  // name of an active key exists already.
  virtual StoreResult<void> create_key(const ApiKeyRecord& key, const AuditRecord& audit) = 0;
  // The key (active or revoked) with this hash.
  virtual StoreResult<std::optional<ApiKeyRecord>> find_key_by_hash(
      std::string_view secret_hash) = 0;
  // Every key, revoked ones too, by creation time.
  virtual StoreResult<std::vector<ApiKeyRecord>> list_keys() = 0;
  // Revokes the active key with this id (or, when no id matches, this name) at `audit.at_ms`,
  // with its audit record (target and before/after filled in here), and deletes the key's
  // console sessions; nullopt when none matched.
  virtual StoreResult<std::optional<ApiKeyRecord>> revoke_key(std::string_view id_or_name,
                                                              AuditRecord audit) = 0;

  // Claims (key_id, idempotency_key) for a request: nullopt when it was free (a placeholder
  // with status 0 now holds it), else what is stored. A placeholder older than
  // `stale_before_ms` belongs to a request that died: it is taken over (nullopt) as if free.
  virtual StoreResult<std::optional<IdempotentResponse>> claim_idempotency(
      const IdempotentResponse& placeholder, std::int64_t stale_before_ms) = 0;
  // Stores the response of a claimed request.
  virtual StoreResult<void> complete_idempotency(std::string_view key_id,
                                                 std::string_view idempotency_key, int status,
                                                 std::string_view body) = 0;
  // Gives a claim back (the request was refused before it did anything): the key is free again.
  virtual StoreResult<void> release_idempotency(std::string_view key_id,
                                                std::string_view idempotency_key) = 0;

  // Stores a new session and deletes every session expired at its creation time (so the table
  // holds only live ones). invalid_argument: a hash that is not 64 hex digits, no key id, or an
  // expiry not after the creation; conflict: the hash exists already.
  virtual StoreResult<void> create_session(const SessionRecord& session) = 0;
  // The session with this token hash and its key, if both exist (expired ones too: the caller
  // compares expires_at_ms with its clock).
  virtual StoreResult<std::optional<SessionWithKey>> find_session(std::string_view token_hash) = 0;
  // Ends a session (sign-out); false when there was none.
  virtual StoreResult<bool> delete_session(std::string_view token_hash) = 0;

  virtual StoreResult<AuditRecord> append_audit(const AuditRecord& record) = 0;
  virtual StoreResult<std::vector<AuditRecord>> query_audit(const AuditQuery& query) = 0;
};
using ApiStorePtr = std::unique_ptr<ApiStore>;

}  // namespace weft
