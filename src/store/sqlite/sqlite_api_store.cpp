// SqliteApiStore: reads through the reader connection, writes through the writer, one
// transaction each. Plain SQL that PostgreSQL also accepts.

#include "store/sqlite/sqlite_api_store.hpp"

#include <algorithm>
#include <string>

#include "store/api_key_rules.hpp"
#include "store/sqlite/workflow_rows.hpp"

namespace weft::store::sqlite {

namespace {

using rows::Binder;

constexpr const char* kInsertKey =
    "INSERT INTO api_keys (id, name, role, secret_hash, created_at_ms, revoked_at_ms) "
    "VALUES (?1, ?2, ?3, ?4, ?5, 0)";
constexpr const char* kSelectKeyByHash =
    "SELECT id, name, role, secret_hash, created_at_ms, revoked_at_ms FROM api_keys WHERE "
    "secret_hash = ?1";
constexpr const char* kSelectKeys =
    "SELECT id, name, role, secret_hash, created_at_ms, revoked_at_ms FROM api_keys ORDER BY "
    "created_at_ms, id";
// The active key with this id, else the active key with this name.
constexpr const char* kSelectActiveKey =
    "SELECT id, name, role, secret_hash, created_at_ms, revoked_at_ms FROM api_keys "
    "WHERE revoked_at_ms = 0 AND (id = ?1 OR name = ?1) ORDER BY id = ?1 DESC LIMIT 1";
constexpr const char* kRevokeKey =
    "UPDATE api_keys SET revoked_at_ms = ?2 WHERE id = ?1 AND revoked_at_ms = 0";

constexpr const char* kDeleteKeySessions = "DELETE FROM console_sessions WHERE key_id = ?1";
constexpr const char* kDeleteExpiredSessions =
    "DELETE FROM console_sessions WHERE expires_at_ms <= ?1";
constexpr const char* kInsertSession =
    "INSERT INTO console_sessions (token_hash, key_id, created_at_ms, expires_at_ms) "
    "VALUES (?1, ?2, ?3, ?4)";
constexpr const char* kSelectSession =
    "SELECT s.token_hash, s.key_id, s.created_at_ms, s.expires_at_ms, k.id, k.name, k.role, "
    "k.secret_hash, k.created_at_ms, k.revoked_at_ms FROM console_sessions s "
    "JOIN api_keys k ON k.id = s.key_id WHERE s.token_hash = ?1";
constexpr const char* kDeleteSession = "DELETE FROM console_sessions WHERE token_hash = ?1";

constexpr const char* kSelectIdempotent =
    "SELECT key_id, idempotency_key, request_hash, status, body, created_at_ms FROM "
    "idempotent_responses "
    "WHERE key_id = ?1 AND idempotency_key = ?2";
constexpr const char* kUpsertPlaceholder =
    "INSERT INTO idempotent_responses (key_id, idempotency_key, request_hash, status, body, "
    "created_at_ms) "
    "VALUES (?1, ?2, ?3, 0, '', ?4) ON CONFLICT (key_id, idempotency_key) DO UPDATE SET "
    "request_hash = excluded.request_hash, status = 0, body = '', created_at_ms = "
    "excluded.created_at_ms";
constexpr const char* kCompleteIdempotent =
    "UPDATE idempotent_responses SET status = ?3, body = ?4 WHERE key_id = ?1 AND idempotency_key "
    "= ?2";
constexpr const char* kDeleteIdempotent =
    "DELETE FROM idempotent_responses WHERE key_id = ?1 AND idempotency_key = ?2 AND status = 0";

constexpr const char* kInsertAudit =
    "INSERT INTO audit_log (at_ms, actor, action, target, before_json, after_json, correlation_id) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
// Unset filters are NULL and match everything.
constexpr const char* kSelectAudit =
    "SELECT seq, at_ms, actor, action, target, before_json, after_json, correlation_id FROM "
    "audit_log "
    "WHERE seq > ?1 AND (?2 IS NULL OR actor = ?2) AND (?3 IS NULL OR action = ?3) "
    "AND (?4 IS NULL OR target = ?4) ORDER BY seq LIMIT ?5";

ApiKeyRecord read_key(const StmtLease& row) {
  return ApiKeyRecord{row.column_text(0), row.column_text(1), row.column_text(2),
                      row.column_text(3), row.column_int(4),  row.column_int(5)};
}

IdempotentResponse read_idempotent(const StmtLease& row) {
  return IdempotentResponse{row.column_text(0), row.column_text(1),
                            row.column_text(2), static_cast<int>(row.column_int(3)),
                            row.column_text(4), row.column_int(5)};
}

SessionWithKey read_session(const StmtLease& row) {
  return SessionWithKey{
      SessionRecord{row.column_text(0), row.column_text(1), row.column_int(2), row.column_int(3)},
      ApiKeyRecord{row.column_text(4), row.column_text(5), row.column_text(6), row.column_text(7),
                   row.column_int(8), row.column_int(9)}};
}

AuditRecord read_audit(const StmtLease& row) {
  return AuditRecord{row.column_int(0),  row.column_int(1),  row.column_text(2),
                     row.column_text(3), row.column_text(4), row.column_text(5),
                     row.column_text(6), row.column_text(7)};
}

StoreResult<AuditRecord> insert_audit(Connection& db, const AuditRecord& r) {
  auto done = execute(
      db, kInsertAudit,
      [&](StmtLease& s) {
        return Binder(s)
            .integer(r.at_ms)
            .text(r.actor)
            .text(r.action)
            .text(r.target)
            .text(r.before_json)
            .text(r.after_json)
            .text(r.correlation_id)
            .rc();
      },
      "append to the audit log", r.action);
  if (!done) return fail(std::move(done).error());
  AuditRecord stored = r;
  stored.seq = sqlite3_last_insert_rowid(db.get());
  return stored;
}

StoreResult<std::optional<IdempotentResponse>> idempotent_on(Connection& db,
                                                             std::string_view key_id,
                                                             std::string_view idempotency_key) {
  return first(query_rows(
      db, kSelectIdempotent,
      [&](StmtLease& s) { return Binder(s).text(key_id).text(idempotency_key).rc(); },
      read_idempotent, "load idempotent response"));
}

}  // namespace

SqliteApiStore::SqliteApiStore(std::shared_ptr<Database> database)
    : database_(std::move(database)) {}

StoreResult<void> SqliteApiStore::create_key(const ApiKeyRecord& key, const AuditRecord& audit) {
  if (auto problem = api_key_problem(key))
    return fail(StoreError{StoreErrc::invalid_argument, *problem});
  auto [lock, db] = database_->writer();
  Transaction tx(db);
  if (auto begun = tx.begin_immediate(); !begun) return fail(begun.error());
  auto inserted = execute(
      db, kInsertKey,
      [&](StmtLease& s) {
        return Binder(s)
            .text(key.id)
            .text(key.name)
            .text(key.role)
            .text(key.secret_hash)
            .integer(key.created_at_ms)
            .rc();
      },
      "create API key", key.name);
  if (!inserted) {
    if (inserted.error().code == StoreErrc::conflict) {
      return fail(StoreError{StoreErrc::conflict,
                             "an active API key named '" + key.name + "' exists already"});
    }
    return fail(std::move(inserted).error());
  }
  if (auto logged = insert_audit(db, audit); !logged) return fail(std::move(logged).error());
  return tx.commit();
}

StoreResult<std::optional<ApiKeyRecord>> SqliteApiStore::find_key_by_hash(
    std::string_view secret_hash) {
  auto [lock, db] = database_->reader();
  return first(query_rows(
      db, kSelectKeyByHash, [&](StmtLease& s) { return s.bind_text(1, secret_hash); }, read_key,
      "find API key"));
}

StoreResult<std::vector<ApiKeyRecord>> SqliteApiStore::list_keys() {
  auto [lock, db] = database_->reader();
  return query_rows(
      db, kSelectKeys, [](StmtLease&) { return SQLITE_OK; }, read_key, "list API keys");
}

StoreResult<std::optional<ApiKeyRecord>> SqliteApiStore::revoke_key(std::string_view id_or_name,
                                                                    AuditRecord audit) {
  auto [lock, db] = database_->writer();
  Transaction tx(db);
  if (auto begun = tx.begin_immediate(); !begun) return fail(begun.error());
  auto found = first(query_rows(
      db, kSelectActiveKey, [&](StmtLease& s) { return s.bind_text(1, id_or_name); }, read_key,
      "find API key to revoke"));
  if (!found) return fail(std::move(found).error());
  if (!found->has_value()) return std::optional<ApiKeyRecord>();
  ApiKeyRecord key = **found;
  auto revoked = execute(
      db, kRevokeKey,
      [&](StmtLease& s) { return Binder(s).text(key.id).integer(audit.at_ms).rc(); },
      "revoke API key", key.id);
  if (!revoked) return fail(std::move(revoked).error());
  auto ended = execute(
      db, kDeleteKeySessions, [&](StmtLease& s) { return s.bind_text(1, key.id); },
      "end the revoked key's console sessions", key.id);
  if (!ended) return fail(std::move(ended).error());
  describe_revocation(key, audit);
  if (auto logged = insert_audit(db, audit); !logged) return fail(std::move(logged).error());
  if (auto committed = tx.commit(); !committed) return fail(committed.error());
  return std::optional<ApiKeyRecord>(std::move(key));
}

StoreResult<std::optional<IdempotentResponse>> SqliteApiStore::claim_idempotency(
    const IdempotentResponse& p, std::int64_t stale_before_ms) {
  auto [lock, db] = database_->writer();
  Transaction tx(db);
  if (auto begun = tx.begin_immediate(); !begun) return fail(begun.error());
  auto stored = idempotent_on(db, p.key_id, p.idempotency_key);
  if (!stored) return fail(std::move(stored).error());
  if (stored->has_value() && !is_stale_claim(**stored, stale_before_ms)) return stored;
  auto claimed = execute(
      db, kUpsertPlaceholder,
      [&](StmtLease& s) {
        return Binder(s)
            .text(p.key_id)
            .text(p.idempotency_key)
            .text(p.request_hash)
            .integer(p.created_at_ms)
            .rc();
      },
      "claim idempotency key", p.idempotency_key);
  if (!claimed) return fail(std::move(claimed).error());
  if (auto committed = tx.commit(); !committed) return fail(committed.error());
  return std::optional<IdempotentResponse>();
}

StoreResult<void> SqliteApiStore::complete_idempotency(std::string_view key_id,
                                                       std::string_view idempotency_key, int status,
                                                       std::string_view body) {
  auto [lock, db] = database_->writer();
  auto done = execute(
      db, kCompleteIdempotent,
      [&](StmtLease& s) {
        return Binder(s).text(key_id).text(idempotency_key).integer(status).text(body).rc();
      },
      "store idempotent response", idempotency_key);
  if (!done) return fail(std::move(done).error());
  return {};
}

StoreResult<void> SqliteApiStore::release_idempotency(std::string_view key_id,
                                                      std::string_view idempotency_key) {
  auto [lock, db] = database_->writer();
  auto done = execute(
      db, kDeleteIdempotent,
      [&](StmtLease& s) { return Binder(s).text(key_id).text(idempotency_key).rc(); },
      "release idempotency key", idempotency_key);
  if (!done) return fail(std::move(done).error());
  return {};
}

StoreResult<void> SqliteApiStore::create_session(const SessionRecord& session) {
  if (auto problem = session_problem(session))
    return fail(StoreError{StoreErrc::invalid_argument, *problem});
  auto [lock, db] = database_->writer();
  Transaction tx(db);
  if (auto begun = tx.begin_immediate(); !begun) return fail(begun.error());
  auto purged = execute(
      db, kDeleteExpiredSessions,
      [&](StmtLease& s) { return s.bind_int(1, session.created_at_ms); },
      "delete expired console sessions", "");
  if (!purged) return fail(std::move(purged).error());
  auto inserted = execute(
      db, kInsertSession,
      [&](StmtLease& s) {
        return Binder(s)
            .text(session.token_hash)
            .text(session.key_id)
            .integer(session.created_at_ms)
            .integer(session.expires_at_ms)
            .rc();
      },
      "create console session", session.key_id);
  if (!inserted) return fail(std::move(inserted).error());
  return tx.commit();
}

StoreResult<std::optional<SessionWithKey>> SqliteApiStore::find_session(
    std::string_view token_hash) {
  auto [lock, db] = database_->reader();
  return first(query_rows(
      db, kSelectSession, [&](StmtLease& s) { return s.bind_text(1, token_hash); },
      read_session, "find console session"));
}

StoreResult<bool> SqliteApiStore::delete_session(std::string_view token_hash) {
  auto [lock, db] = database_->writer();
  auto done = execute(
      db, kDeleteSession, [&](StmtLease& s) { return s.bind_text(1, token_hash); },
      "end console session", "");
  if (!done) return fail(std::move(done).error());
  return *done > 0;
}

StoreResult<AuditRecord> SqliteApiStore::append_audit(const AuditRecord& record) {
  auto [lock, db] = database_->writer();
  return insert_audit(db, record);
}

StoreResult<std::vector<AuditRecord>> SqliteApiStore::query_audit(const AuditQuery& q) {
  const auto text_or_null = [](StmtLease& s, int index, const std::optional<std::string>& v) {
    return v ? s.bind_text(index, *v) : s.bind_null(index);
  };
  auto [lock, db] = database_->reader();
  return query_rows(
      db, kSelectAudit,
      [&](StmtLease& s) {
        int rc = s.bind_int(1, q.after_seq);
        if (rc == SQLITE_OK) rc = text_or_null(s, 2, q.actor);
        if (rc == SQLITE_OK) rc = text_or_null(s, 3, q.action);
        if (rc == SQLITE_OK) rc = text_or_null(s, 4, q.target);
        if (rc == SQLITE_OK) rc = s.bind_int(5, std::clamp(q.limit, 1, 1000));
        return rc;
      },
      read_audit, "query the audit log");
}

}  // namespace weft::store::sqlite
