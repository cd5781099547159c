#include "store/sqlite/migrations.hpp"

#include <array>
#include <string>

namespace weft::store::sqlite {

namespace {

// STRICT tables: a value of the wrong type is an error, not a silent conversion.
constexpr std::array kMigrations{
    Migration{1, "create raw_events",
              // AUTOINCREMENT: seq never goes back, even if the newest events are ever deleted
              // (retention), so a reader's keyset cursor (after_seq) can never skip a new event.
              // Indexes are the few the readers need; each one costs every ingest insert.
              R"sql(
CREATE TABLE raw_events (
  seq             INTEGER PRIMARY KEY AUTOINCREMENT,
  connector       TEXT    NOT NULL,
  event_id        TEXT    NOT NULL,
  event_type      TEXT    NOT NULL,
  business_key    TEXT    NOT NULL,
  occurred_at_ms  INTEGER NOT NULL,
  received_at_ms  INTEGER NOT NULL,
  correlation_id  TEXT    NOT NULL,
  body            BLOB    NOT NULL,
  processed_at_ms INTEGER,
  UNIQUE (connector, event_id)
) STRICT;
-- The mapping stage's work queue: small, because processed events leave it.
CREATE INDEX raw_events_unprocessed ON raw_events (seq) WHERE processed_at_ms IS NULL;
-- Per business key, in log order (ordering guarantee, replay, lineage).
CREATE INDEX raw_events_business_key ON raw_events (business_key, seq);
CREATE INDEX raw_events_type_received ON raw_events (event_type, received_at_ms);
CREATE INDEX raw_events_received ON raw_events (received_at_ms);
)sql"},
};

constexpr const char* kCreateMigrationsTable = R"sql(
CREATE TABLE IF NOT EXISTS schema_migrations (
  version       INTEGER PRIMARY KEY,
  name          TEXT    NOT NULL,
  applied_at_ms INTEGER NOT NULL
)
)sql";

StoreError newer_than_build(int found) {
  return StoreError{StoreErrc::internal,
                    "database schema version " + std::to_string(found) +
                        " is newer than this build of weft supports (" +
                        std::to_string(latest_version()) +
                        "); run a newer weft or restore a backup made for this version"};
}

}  // namespace

std::span<const Migration> migrations() { return kMigrations; }

int latest_version() { return kMigrations.back().version; }

StoreResult<int> applied_version(Connection& connection) {
  auto stmt = connection.prepare("SELECT coalesce(max(version), 0) FROM schema_migrations");
  if (!stmt) return fail(std::move(stmt).error());
  const int rc = stmt->step();
  if (rc != SQLITE_ROW) return fail(sqlite_error(connection.get(), rc, "read schema version"));
  return static_cast<int>(stmt->column_int(0));
}

StoreResult<void> migrate(Connection& connection, std::int64_t now_ms) {
  if (auto created = connection.exec(kCreateMigrationsTable, "create schema_migrations");
      !created) {
    return created;
  }
  for (;;) {
    Transaction tx(connection);
    if (auto begun = tx.begin_immediate(); !begun) return begun;
    auto version = applied_version(connection);
    if (!version) return fail(std::move(version).error());
    if (*version > latest_version()) return fail(newer_than_build(*version));
    if (*version == latest_version()) return {};  // tx rolls back: it changed nothing

    // Versions have no gaps, so the next migration sits at index `version`.
    const Migration& next = kMigrations[static_cast<std::size_t>(*version)];
    const std::string what =
        "migration " + std::to_string(next.version) + " (" + std::string(next.name) + ")";
    auto applied = connection.exec(std::string(next.sql).c_str(), what);
    if (!applied) {
      // A migration that does not apply is a defect of this build or a damaged database,
      // whatever SQLite's code says; only a full disk is worth telling apart.
      StoreError error = applied.error();
      if (error.code != StoreErrc::full) error.code = StoreErrc::internal;
      return fail(std::move(error));
    }
    auto record = connection.prepare(
        "INSERT INTO schema_migrations (version, name, applied_at_ms) VALUES (?1, ?2, ?3)");
    if (!record) return fail(std::move(record).error());
    record->bind_int(1, next.version);
    record->bind_text(2, next.name);
    record->bind_int(3, now_ms);
    if (const int rc = record->step(); rc != SQLITE_DONE) {
      return fail(sqlite_error(connection.get(), rc, "record " + what));
    }
    if (auto committed = tx.commit(); !committed) return committed;
  }
}

}  // namespace weft::store::sqlite
