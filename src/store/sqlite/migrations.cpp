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
    Migration{2, "create workflow state",
              // The engine's durable state (workflow_store.hpp). Every transition rewrites an
              // instance row and appends to its history, thousands of times a second under
              // load, so each index below is one a reader needs; the rarely written tables
              // (exceptions, approvals) may afford one more for the console. No foreign keys:
              // each would cost a lookup per row, and every row an instance owns is written in
              // the same transaction as the instance itself.
              R"sql(
CREATE TABLE workflow_instances (
  id               TEXT    PRIMARY KEY,
  workflow         TEXT    NOT NULL,
  version          INTEGER NOT NULL,
  business_key     TEXT    NOT NULL,
  trigger_event_id TEXT    NOT NULL,
  order_seq        INTEGER NOT NULL,
  status           TEXT    NOT NULL
                   CHECK (status IN ('running', 'waiting', 'completed', 'failed', 'discarded')),
  state_json       TEXT    NOT NULL,
  cursor_json      TEXT    NOT NULL,
  revision         INTEGER NOT NULL,
  correlation_id   TEXT    NOT NULL,
  created_at_ms    INTEGER NOT NULL,
  updated_at_ms    INTEGER NOT NULL,
  due_at_ms        INTEGER,
  -- One instance per workflow and triggering event: a replayed event starts nothing twice.
  UNIQUE (workflow, trigger_event_id)
) STRICT;
-- The engine's task table: when each instance still in play is due next. Finished instances,
-- the bulk of the table with time, stay out of it, so the engine's scans (due work, recovery
-- at start-up) cost what is active, not what ever ran.
CREATE INDEX workflow_instances_due ON workflow_instances (due_at_ms)
  WHERE status IN ('running', 'waiting');
-- The console's lists: one workflow's instances, by status, paged by id.
CREATE INDEX workflow_instances_workflow_status ON workflow_instances (workflow, status, id);
-- What one platform object started (lineage, support questions about one invoice).
CREATE INDEX workflow_instances_business_key ON workflow_instances (business_key);

-- An instance's history: appended by transitions, never changed. seq orders it.
CREATE TABLE step_events (
  seq         INTEGER PRIMARY KEY,
  instance_id TEXT    NOT NULL,
  step_id     TEXT    NOT NULL,
  kind        TEXT    NOT NULL,
  attempt     INTEGER NOT NULL,
  at_ms       INTEGER NOT NULL,
  detail_json TEXT    NOT NULL
) STRICT;
-- History is only ever read one instance at a time, in order.
CREATE INDEX step_events_instance ON step_events (instance_id, seq);

-- The exception workbench. instance_id is '' for an event no mapping or workflow took.
CREATE TABLE exceptions (
  id             TEXT    PRIMARY KEY,
  instance_id    TEXT    NOT NULL,
  workflow       TEXT    NOT NULL,
  step_id        TEXT    NOT NULL,
  failure_class  TEXT    NOT NULL,
  reason         TEXT    NOT NULL,
  context_json   TEXT    NOT NULL,
  status         TEXT    NOT NULL CHECK (status IN ('open', 'retried', 'discarded')),
  created_at_ms  INTEGER NOT NULL,
  resolved_at_ms INTEGER NOT NULL,
  resolved_by    TEXT    NOT NULL,
  resolution     TEXT    NOT NULL
) STRICT;
-- The workbench and the engine's start-up read the open ones; resolved ones pile up and stay
-- out of this index.
CREATE INDEX exceptions_open ON exceptions (id) WHERE status = 'open';
-- One instance's exceptions (its page in the console).
CREATE INDEX exceptions_instance ON exceptions (instance_id, id);

CREATE TABLE approvals (
  id            TEXT    PRIMARY KEY,
  instance_id   TEXT    NOT NULL,
  step_id       TEXT    NOT NULL,
  role          TEXT    NOT NULL,
  title         TEXT    NOT NULL,
  context_json  TEXT    NOT NULL,
  status        TEXT    NOT NULL,
  requested_by  TEXT    NOT NULL,
  decided_by    TEXT    NOT NULL,
  comment       TEXT    NOT NULL,
  created_at_ms INTEGER NOT NULL,
  decided_at_ms INTEGER NOT NULL
) STRICT;
-- The approvers' inbox: pending requests only; decided ones stay out of it.
CREATE INDEX approvals_pending ON approvals (id) WHERE status = 'pending';

-- What each waiting instance waits for. Small rows keyed by (instance, step): no rowid.
CREATE TABLE event_waits (
  instance_id  TEXT NOT NULL,
  step_id      TEXT NOT NULL,
  event_type   TEXT NOT NULL,
  business_key TEXT NOT NULL,
  PRIMARY KEY (instance_id, step_id)
) STRICT, WITHOUT ROWID;
-- An arriving canonical event finds the instances waiting for it.
CREATE INDEX event_waits_event ON event_waits (event_type, business_key);

-- What mappings made of raw events. id is deterministic, so a replay inserts nothing new.
CREATE TABLE canonical_events (
  id             TEXT    PRIMARY KEY,
  type           TEXT    NOT NULL,
  business_key   TEXT    NOT NULL,
  raw_seq        INTEGER NOT NULL,
  occurred_at_ms INTEGER NOT NULL,
  correlation_id TEXT    NOT NULL,
  json           TEXT    NOT NULL
) STRICT;
-- One platform object's events in log order (lineage, the console's timeline).
CREATE INDEX canonical_events_business_key ON canonical_events (business_key, raw_seq);
)sql"},
    Migration{3, "create poll cursors",
              // One row per backfill poller: where it stopped reading its platform.
              R"sql(
CREATE TABLE poll_cursors (
  name        TEXT    PRIMARY KEY,
  value       TEXT    NOT NULL,
  saved_at_ms INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
)sql"},
    Migration{4, "create identity (xref) and canonical records",
              // identity_store.hpp. Merged entities stay (merged_into set) so that old ids
              // still resolve; links and keys always name a live entity (a merge re-points
              // them), so resolution reads one row per lookup.
              R"sql(
CREATE TABLE identity_entities (
  id            TEXT    PRIMARY KEY,
  kind          TEXT    NOT NULL,
  created_at_ms INTEGER NOT NULL,
  merged_into   TEXT    NOT NULL  -- '' while live
) STRICT, WITHOUT ROWID;
-- A merge re-points the entities merged into the one it merges away.
CREATE INDEX identity_entities_merged_into ON identity_entities (merged_into) WHERE merged_into <> '';

-- One canonical id per platform id: the first link wins.
CREATE TABLE identity_links (
  kind         TEXT    NOT NULL,
  connector    TEXT    NOT NULL,
  platform_id  TEXT    NOT NULL,
  canonical_id TEXT    NOT NULL,
  matched_by   TEXT    NOT NULL,
  linked_at_ms INTEGER NOT NULL,
  PRIMARY KEY (kind, connector, platform_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX identity_links_canonical ON identity_links (canonical_id);

-- What matching rules look up: normalised attributes by block (a value, or a word of a name).
CREATE TABLE identity_keys (
  kind         TEXT NOT NULL,
  attribute    TEXT NOT NULL,
  block        TEXT NOT NULL,
  canonical_id TEXT NOT NULL,
  value        TEXT NOT NULL,
  PRIMARY KEY (kind, attribute, block, canonical_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX identity_keys_canonical ON identity_keys (canonical_id);

-- The latest known state per entity: {field: {value, connector, event_id, time_ms, seq}}.
CREATE TABLE canonical_records (
  canonical_id  TEXT    PRIMARY KEY,
  kind          TEXT    NOT NULL,
  fields_json   TEXT    NOT NULL,
  updated_at_ms INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- The audit trail of merges: never changed.
CREATE TABLE identity_merges (
  id          TEXT    PRIMARY KEY,
  kind        TEXT    NOT NULL,
  from_id     TEXT    NOT NULL,
  into_id     TEXT    NOT NULL,
  merged_by   TEXT    NOT NULL,
  reason      TEXT    NOT NULL,
  at_ms       INTEGER NOT NULL,
  links_moved INTEGER NOT NULL
) STRICT;
CREATE INDEX identity_merges_from ON identity_merges (from_id);
CREATE INDEX identity_merges_into ON identity_merges (into_id);
)sql"},
    Migration{5, "create API keys, idempotent responses and the audit log",
              // api_store.hpp. Keys are stored as the SHA-256 of the key, never the key; a
              // name is unique among the active keys. The audit log refuses updates and
              // deletes: it is append-only by construction, not by convention.
              R"sql(
CREATE TABLE api_keys (
  id            TEXT    PRIMARY KEY,
  name          TEXT    NOT NULL,
  role          TEXT    NOT NULL,
  secret_hash   TEXT    NOT NULL UNIQUE,
  created_at_ms INTEGER NOT NULL,
  revoked_at_ms INTEGER NOT NULL  -- 0 while valid
) STRICT, WITHOUT ROWID;
CREATE UNIQUE INDEX api_keys_active_name ON api_keys (name) WHERE revoked_at_ms = 0;

CREATE TABLE idempotent_responses (
  key_id          TEXT    NOT NULL,
  idempotency_key TEXT    NOT NULL,
  request_hash    TEXT    NOT NULL,
  status          INTEGER NOT NULL,  -- 0 while the first request is in progress
  body            TEXT    NOT NULL,
  created_at_ms   INTEGER NOT NULL,
  PRIMARY KEY (key_id, idempotency_key)
) STRICT, WITHOUT ROWID;

CREATE TABLE audit_log (
  seq            INTEGER PRIMARY KEY AUTOINCREMENT,
  at_ms          INTEGER NOT NULL,
  actor          TEXT    NOT NULL,
  action         TEXT    NOT NULL,
  target         TEXT    NOT NULL,
  before_json    TEXT    NOT NULL,
  after_json     TEXT    NOT NULL,
  correlation_id TEXT    NOT NULL
) STRICT;
CREATE INDEX audit_log_target ON audit_log (target, seq);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
)sql"},
    Migration{6, "index correlation ids for lineage",
              // GET /v1/lineage/{correlation id}: the instances one platform event or request
              // started. (The raw events are reached from them; an index on raw_events would
              // cost every ingest insert.)
              R"sql(
CREATE INDEX workflow_instances_correlation ON workflow_instances (correlation_id);
)sql"},
    Migration{7, "create identity relations",
              // identity_store.hpp, IdentityRelation: what an entity belongs to (a case to its
              // customer), newest-wins per (entity, related kind). The index answers "the
              // customer's cases" (IdentityStore::related_records).
              R"sql(
CREATE TABLE identity_relations (
  canonical_id     TEXT    NOT NULL,
  kind             TEXT    NOT NULL,
  related_kind     TEXT    NOT NULL,
  related_id       TEXT    NOT NULL,
  connector        TEXT    NOT NULL,
  event_id         TEXT    NOT NULL,
  platform_time_ms INTEGER NOT NULL,
  platform_seq     INTEGER NOT NULL,
  PRIMARY KEY (canonical_id, related_kind)
) STRICT, WITHOUT ROWID;
CREATE INDEX identity_relations_related ON identity_relations (related_id, kind);
)sql"},
    Migration{8, "create SLA outcomes, SLO states and alerts",
              // SLOs and alerts (src/slo/). One SLA outcome per (instance, sla), written with
              // the transition that learnt it; the SLO monitor counts them per rolling window
              // (the index). slo_states and alerts make alert de-duplication and delivery
              // survive a restart; the partial index is the sender's queue.
              R"sql(
CREATE TABLE sla_outcomes (
  instance_id    TEXT    NOT NULL,
  sla            TEXT    NOT NULL,
  workflow       TEXT    NOT NULL,
  business_key   TEXT    NOT NULL,
  started_at_ms  INTEGER NOT NULL,
  decided_at_ms  INTEGER NOT NULL,
  breached       INTEGER NOT NULL,
  finished_at_ms INTEGER,
  PRIMARY KEY (instance_id, sla)
) STRICT, WITHOUT ROWID;
CREATE INDEX sla_outcomes_window ON sla_outcomes (workflow, sla, decided_at_ms);
CREATE TABLE slo_states (
  slo           TEXT    PRIMARY KEY,
  state         TEXT    NOT NULL,
  since_ms      INTEGER NOT NULL,
  alerted_at_ms INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE TABLE alerts (
  id              TEXT    PRIMARY KEY,
  slo             TEXT    NOT NULL,
  kind            TEXT    NOT NULL,
  body            TEXT    NOT NULL,
  created_at_ms   INTEGER NOT NULL,
  status          TEXT    NOT NULL,
  attempts        INTEGER NOT NULL,
  next_attempt_ms INTEGER NOT NULL,
  last_error      TEXT    NOT NULL,
  delivered_at_ms INTEGER NOT NULL
) STRICT;
CREATE INDEX alerts_due ON alerts (next_attempt_ms) WHERE status = 'pending';
CREATE INDEX alerts_by_slo ON alerts (slo, created_at_ms);
)sql"},
    Migration{9, "create console sessions",
              // api_store.hpp, SessionRecord: web console sign-ins, by the hash of the cookie's
              // token (never the token). The key_id index ends a revoked key's sessions.
              R"sql(
CREATE TABLE console_sessions (
  token_hash    TEXT    PRIMARY KEY,
  key_id        TEXT    NOT NULL,
  created_at_ms INTEGER NOT NULL,
  expires_at_ms INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX console_sessions_key ON console_sessions (key_id);
)sql"},
    Migration{10, "create reconciliation runs",
              // reconciliation_store.hpp: billing-vs-ERP reports. A run's lines are written
              // with its finish, in one transaction; ids sort by start (newest first = id DESC).
              R"sql(
CREATE TABLE reconciliation_runs (
  id             TEXT    PRIMARY KEY,
  requested_by   TEXT    NOT NULL,
  from_ms        INTEGER NOT NULL,
  to_ms          INTEGER NOT NULL,
  started_at_ms  INTEGER NOT NULL,
  finished_at_ms INTEGER NOT NULL,
  status         TEXT    NOT NULL,
  error          TEXT    NOT NULL,
  summary        TEXT    NOT NULL
) STRICT, WITHOUT ROWID;
CREATE TABLE reconciliation_lines (
  run_id  TEXT    NOT NULL REFERENCES reconciliation_runs (id),
  seq     INTEGER NOT NULL,
  verdict TEXT    NOT NULL,
  line    TEXT    NOT NULL,
  PRIMARY KEY (run_id, seq)
) STRICT, WITHOUT ROWID;
CREATE INDEX reconciliation_lines_verdict ON reconciliation_lines (run_id, verdict, seq);
)sql"},
    Migration{11, "raw events: receive times in log order, no time or type index",
              // Two indexes fewer for every ingest insert (raw_event_filter.hpp: 18.7-18.9k
              // against 20.3-21.6k webhooks/s). A time range becomes a range of seq, which
              // needs receive times that never decrease along seq: appends keep them so from
              // now on, and the events already in the log take the latest time before them
              // (they were out of order by the few milliseconds between several threads).
              R"sql(
UPDATE raw_events SET received_at_ms = ordered.latest
FROM (SELECT seq, max(received_at_ms) OVER (ORDER BY seq) AS latest FROM raw_events) AS ordered
WHERE raw_events.seq = ordered.seq AND raw_events.received_at_ms < ordered.latest;
DROP INDEX raw_events_type_received;
DROP INDEX raw_events_received;
)sql"},
    Migration{12, "canonical records: each source once, one row per record",
              // Each field kept its source (connector, 64-hex event id, time, seq: ~130 bytes),
              // so an invoice record was 3.9 KB, most of it the same few sources over and over,
              // and spilled into overflow pages of a WITHOUT ROWID table (whose rows should be
              // small). Now {"sources": [...], "fields": {name: [value, source index]}}, 1.2 KB,
              // in a rowid table that keeps it in its leaf. The index of a field's source is
              // looked up in the list built for its record, so nothing depends on the order an
              // aggregate visits rows in. A value that is not a JSON object (damaged) is kept as
              // it was: it read as a record without fields before and still does.
              R"sql(
CREATE TABLE canonical_records_compact (
  canonical_id  TEXT    NOT NULL UNIQUE,
  kind          TEXT    NOT NULL,
  fields_json   TEXT    NOT NULL,
  updated_at_ms INTEGER NOT NULL
) STRICT;
WITH field AS (
  SELECT r.canonical_id, f.key AS name, f.value -> '$.value' AS value,
         json_object('connector', f.value ->> '$.connector', 'event_id', f.value ->> '$.event_id',
                     'time_ms', f.value ->> '$.time_ms', 'seq', f.value ->> '$.seq') AS source
  FROM canonical_records r, json_each(r.fields_json) f
  WHERE json_valid(r.fields_json) AND json_type(r.fields_json) = 'object'),
sources AS (
  SELECT canonical_id, json_group_array(json(source)) AS list
  FROM (SELECT DISTINCT canonical_id, source FROM field) GROUP BY canonical_id),
fields AS (
  SELECT field.canonical_id,
         json_group_object(field.name, json_array(json(field.value),
             (SELECT s.key FROM json_each(sources.list) s WHERE s.value = field.source))) AS map
  FROM field JOIN sources USING (canonical_id) GROUP BY field.canonical_id)
INSERT INTO canonical_records_compact (canonical_id, kind, fields_json, updated_at_ms)
SELECT r.canonical_id, r.kind,
       CASE WHEN json_valid(r.fields_json) AND json_type(r.fields_json) = 'object'
            THEN json_object('sources', json(coalesce(sources.list, '[]')),
                             'fields', json(coalesce(fields.map, '{}')))
            ELSE r.fields_json END,
       r.updated_at_ms
FROM canonical_records r LEFT JOIN sources USING (canonical_id) LEFT JOIN fields USING (canonical_id);
DROP TABLE canonical_records;
ALTER TABLE canonical_records_compact RENAME TO canonical_records;
)sql"},
    Migration{13, "canonical events and instances keyed by log position",
              // A canonical event's position (its raw event's seq × 1024 + its place among that
              // event's outputs; the pipeline's kEventsPerRawEvent) is 1:1 with its hash id, and
              // an instance's order_seq is its trigger's position. Keyed by position instead of
              // by hash, the mapping stage's two uniqueness checks insert at the ends of their
              // B-trees instead of into a random leaf each: at 2,000 workflows/s that was 59 of
              // the ~138 pages each mapping commit wrote. Rows already there get the position
              // their id was made from: the outputs of one raw event were inserted together, in
              // order, so their rank by rowid is their place (a replay adds only outputs beyond
              // the earlier ones).
              R"sql(
CREATE TABLE canonical_events_by_position (
  order_seq      INTEGER PRIMARY KEY,
  id             TEXT    NOT NULL,
  type           TEXT    NOT NULL,
  business_key   TEXT    NOT NULL,
  raw_seq        INTEGER NOT NULL,
  occurred_at_ms INTEGER NOT NULL,
  correlation_id TEXT    NOT NULL,
  json           TEXT    NOT NULL
) STRICT;
INSERT INTO canonical_events_by_position
  (order_seq, id, type, business_key, raw_seq, occurred_at_ms, correlation_id, json)
SELECT raw_seq * 1024 + row_number() OVER (PARTITION BY raw_seq ORDER BY rowid) - 1,
       id, type, business_key, raw_seq, occurred_at_ms, correlation_id, json
FROM canonical_events;
DROP TABLE canonical_events;
ALTER TABLE canonical_events_by_position RENAME TO canonical_events;
-- One platform object's events in log order: the key ends with the rowid, its position.
CREATE INDEX canonical_events_business_key ON canonical_events (business_key);

CREATE TABLE workflow_instances_by_position (
  id               TEXT    PRIMARY KEY,
  workflow         TEXT    NOT NULL,
  version          INTEGER NOT NULL,
  business_key     TEXT    NOT NULL,
  trigger_event_id TEXT    NOT NULL,
  order_seq        INTEGER NOT NULL,
  status           TEXT    NOT NULL
                   CHECK (status IN ('running', 'waiting', 'completed', 'failed', 'discarded')),
  state_json       TEXT    NOT NULL,
  cursor_json      TEXT    NOT NULL,
  revision         INTEGER NOT NULL,
  correlation_id   TEXT    NOT NULL,
  created_at_ms    INTEGER NOT NULL,
  updated_at_ms    INTEGER NOT NULL,
  due_at_ms        INTEGER,
  -- One instance per workflow and trigger: a replayed event starts nothing twice.
  UNIQUE (workflow, order_seq)
) STRICT;
INSERT INTO workflow_instances_by_position
  (id, workflow, version, business_key, trigger_event_id, order_seq, status, state_json,
   cursor_json, revision, correlation_id, created_at_ms, updated_at_ms, due_at_ms)
SELECT id, workflow, version, business_key, trigger_event_id, order_seq, status, state_json,
       cursor_json, revision, correlation_id, created_at_ms, updated_at_ms, due_at_ms
FROM workflow_instances;
DROP TABLE workflow_instances;
ALTER TABLE workflow_instances_by_position RENAME TO workflow_instances;
CREATE INDEX workflow_instances_due ON workflow_instances (due_at_ms)
  WHERE status IN ('running', 'waiting');
CREATE INDEX workflow_instances_workflow_status ON workflow_instances (workflow, status, id);
CREATE INDEX workflow_instances_business_key ON workflow_instances (business_key);
CREATE INDEX workflow_instances_correlation ON workflow_instances (correlation_id);
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
