// SqliteIdentityStore: reads go through the reader connection (last commit); writes and merges
// through the writer, one transaction each. Every statement is plain SQL that PostgreSQL also
// accepts (ON CONFLICT DO NOTHING, INSERT … SELECT), so its store can follow this one.

#include "store/sqlite/sqlite_identity_store.hpp"

#include <algorithm>
#include <cassert>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "store/identity_merge.hpp"
#include "store/sqlite/workflow_rows.hpp"

namespace weft::store::sqlite {

namespace {

using nlohmann::json;
using rows::Binder;

constexpr const char* kSelectEntity =
    "SELECT id, kind, created_at_ms, merged_into FROM identity_entities WHERE id = ?1";
constexpr const char* kInsertEntity =
    "INSERT INTO identity_entities (id, kind, created_at_ms, merged_into) VALUES (?1, ?2, ?3, '') "
    "ON CONFLICT (id) DO NOTHING";
constexpr const char* kSelectLink =
    "SELECT kind, connector, platform_id, canonical_id, matched_by, linked_at_ms FROM "
    "identity_links "
    "WHERE kind = ?1 AND connector = ?2 AND platform_id = ?3";
constexpr const char* kSelectLinksOf =
    "SELECT kind, connector, platform_id, canonical_id, matched_by, linked_at_ms FROM "
    "identity_links "
    "WHERE canonical_id = ?1 ORDER BY connector, platform_id";
constexpr const char* kInsertLink =
    "INSERT INTO identity_links (kind, connector, platform_id, canonical_id, matched_by, "
    "linked_at_ms) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (kind, connector, platform_id) DO NOTHING";
constexpr const char* kSelectKeys =
    "SELECT kind, attribute, block, value, canonical_id FROM identity_keys "
    "WHERE kind = ?1 AND attribute = ?2 AND block = ?3 ORDER BY canonical_id";
constexpr const char* kSelectKeysOf =
    "SELECT kind, attribute, block, value, canonical_id FROM identity_keys "
    "WHERE canonical_id = ?1 ORDER BY attribute, block";
constexpr const char* kInsertKey =
    "INSERT INTO identity_keys (kind, attribute, block, value, canonical_id) VALUES (?1, ?2, ?3, "
    "?4, ?5) "
    "ON CONFLICT (kind, attribute, block, canonical_id) DO NOTHING";
constexpr const char* kSelectRecord =
    "SELECT canonical_id, kind, fields_json, updated_at_ms FROM canonical_records WHERE "
    "canonical_id = ?1";
constexpr const char* kUpsertRecord =
    "INSERT INTO canonical_records (canonical_id, kind, fields_json, updated_at_ms) VALUES (?1, "
    "?2, ?3, ?4) "
    "ON CONFLICT (canonical_id) DO UPDATE SET fields_json = excluded.fields_json, "
    "updated_at_ms = excluded.updated_at_ms";
constexpr const char* kDeleteRecord = "DELETE FROM canonical_records WHERE canonical_id = ?1";
constexpr const char* kSelectMerges =
    "SELECT id, kind, from_id, into_id, merged_by, reason, at_ms, links_moved FROM identity_merges "
    "WHERE from_id = ?1 OR into_id = ?1 ORDER BY at_ms, id";
constexpr const char* kInsertMerge =
    "INSERT INTO identity_merges (id, kind, from_id, into_id, merged_by, reason, at_ms, "
    "links_moved) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
// A merge: the entity merged away and those merged into it before now point at the survivor.
constexpr const char* kRepointEntities =
    "UPDATE identity_entities SET merged_into = ?2 WHERE id = ?1 OR merged_into = ?1";
constexpr const char* kRepointLinks =
    "UPDATE identity_links SET canonical_id = ?2 WHERE canonical_id = ?1";
// Keys are a set: copy those the survivor lacks, then drop the merged entity's.
constexpr const char* kCopyKeys =
    "INSERT INTO identity_keys (kind, attribute, block, value, canonical_id) "
    "SELECT kind, attribute, block, value, ?2 FROM identity_keys WHERE canonical_id = ?1 "
    "ON CONFLICT (kind, attribute, block, canonical_id) DO NOTHING";
constexpr const char* kDeleteKeys = "DELETE FROM identity_keys WHERE canonical_id = ?1";
constexpr const char* kSelectRelation =
    "SELECT canonical_id, kind, related_kind, related_id, connector, event_id, platform_time_ms, "
    "platform_seq "
    "FROM identity_relations WHERE canonical_id = ?1 AND related_kind = ?2";
constexpr const char* kSelectRelationsOf =
    "SELECT canonical_id, kind, related_kind, related_id, connector, event_id, platform_time_ms, "
    "platform_seq "
    "FROM identity_relations WHERE canonical_id = ?1 ORDER BY related_kind";
constexpr const char* kUpsertRelation =
    "INSERT INTO identity_relations (canonical_id, kind, related_kind, related_id, connector, "
    "event_id, "
    "platform_time_ms, platform_seq) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
    "ON CONFLICT (canonical_id, related_kind) DO UPDATE SET related_id = excluded.related_id, "
    "connector = excluded.connector, event_id = excluded.event_id, "
    "platform_time_ms = excluded.platform_time_ms, platform_seq = excluded.platform_seq";
constexpr const char* kDeleteRelationsOf = "DELETE FROM identity_relations WHERE canonical_id = ?1";
constexpr const char* kRepointRelationsTo =
    "UPDATE identity_relations SET related_id = ?2 WHERE related_id = ?1";
// The records of a customer's cases (…): the relations index finds the entities; one without
// a record yet reads as no fields.
constexpr const char* kSelectRelatedRecords =
    "SELECT r.canonical_id, r.kind, coalesce(c.fields_json, '{}'), coalesce(c.updated_at_ms, 0) "
    "FROM identity_relations r LEFT JOIN canonical_records c ON c.canonical_id = r.canonical_id "
    "WHERE r.related_id = ?1 AND r.kind = ?2 ORDER BY r.canonical_id";

IdentityEntity read_entity(const StmtLease& row) {
  return IdentityEntity{row.column_text(0), row.column_text(1), row.column_int(2),
                        row.column_text(3)};
}

IdentityLink read_link(const StmtLease& row) {
  return IdentityLink{row.column_text(0), row.column_text(1), row.column_text(2),
                      row.column_text(3), row.column_text(4), row.column_int(5)};
}

IdentityKey read_key(const StmtLease& row) {
  return IdentityKey{row.column_text(0), row.column_text(1), row.column_text(2), row.column_text(3),
                     row.column_text(4)};
}

MergeRecord read_merge(const StmtLease& row) {
  return MergeRecord{row.column_text(0), row.column_text(1), row.column_text(2), row.column_text(3),
                     row.column_text(4), row.column_text(5), row.column_int(6),  row.column_int(7)};
}

IdentityRelation read_relation(const StmtLease& row) {
  return IdentityRelation{row.column_text(0), row.column_text(1), row.column_text(2),
                          row.column_text(3), row.column_text(4), row.column_text(5),
                          row.column_int(6),  row.column_int(7)};
}

// A record's fields as stored (migration 12): {"sources": [{"connector", "event_id", "time_ms",
// "seq"}, …], "fields": {name: [value, index into sources]}}. An event usually sets most of a
// record's fields, so its provenance is written once, not once per field: an invoice record is
// 1.2 KB instead of 3.9 KB, which the mapping stage parses and rewrites for every event about it.
bool same_source(const FieldState& a, const FieldState& b) {
  return a.connector == b.connector && a.event_id == b.event_id &&
         a.platform_time_ms == b.platform_time_ms && a.platform_seq == b.platform_seq;
}

// Each field's value is spliced in as it is kept (nlohmann's compact print of the value, see
// record_update), not parsed and printed again: the mapping stage writes a record for nearly
// every event. The key order is the printed tree's ("fields" before "sources").
std::string fields_to_json(const CanonicalRecord& record) {
  std::vector<const FieldState*> sources;  // distinct, in order of first use
  std::string text = R"({"fields":{)";
  for (const auto& [name, f] : record.fields) {
    const auto found = std::find_if(sources.begin(), sources.end(),
                                    [&](const FieldState* s) { return same_source(*s, f); });
    const auto index = static_cast<std::size_t>(found - sources.begin());
    if (found == sources.end()) sources.push_back(&f);
    if (text.back() != '{') text += ',';
    text += json(name).dump();
    text += ":[";
    text += f.value_json;
    text += ',';
    text += std::to_string(index);
    text += ']';
  }
  json source_list = json::array();
  for (const FieldState* f : sources) {
    source_list.push_back({{"connector", f->connector},
                           {"event_id", f->event_id},
                           {"time_ms", f->platform_time_ms},
                           {"seq", f->platform_seq}});
  }
  text += R"(},"sources":)";
  text += source_list.dump();
  text += '}';
  // Debug builds: the text is what printing its tree gives, as before; a value kept in any
  // other form would not be.
  assert(json::parse(text).dump() == text);
  return text;
}

CanonicalRecord read_record(const StmtLease& row) {
  CanonicalRecord record{row.column_text(0), row.column_text(1), {}, row.column_int(3)};
  // Written by fields_to_json only; a value not in its shape reads as no fields, or fewer.
  const json stored = json::parse(row.column_text(2), nullptr, false);
  if (!stored.is_object()) return record;
  const auto sources = stored.find("sources");
  const auto fields = stored.find("fields");
  if (sources == stored.end() || !sources->is_array() || fields == stored.end() ||
      !fields->is_object()) {
    return record;
  }
  for (const auto& [name, f] : fields->items()) {
    if (!f.is_array() || f.size() != 2 || !f[1].is_number_unsigned()) continue;
    const auto index = f[1].get<std::size_t>();
    if (index >= sources->size() || !(*sources)[index].is_object()) continue;
    const json& source = (*sources)[index];
    record.fields[name] =
        FieldState{f[0].dump(), source.value("connector", ""), source.value("event_id", ""),
                   source.value("time_ms", std::int64_t{0}), source.value("seq", std::int64_t{0})};
  }
  return record;
}

StoreResult<std::optional<IdentityEntity>> entity_on(Connection& db, std::string_view id) {
  return first(query_rows(
      db, kSelectEntity, [&](StmtLease& s) { return s.bind_text(1, id); }, read_entity,
      "load canonical entity"));
}

// The live entity `id` resolves to. Merges are compressed (see kRepointEntities), so one hop
// suffices; the bound only guards against a damaged database.
StoreResult<std::optional<IdentityEntity>> live_on(Connection& db, std::string_view id) {
  std::string next(id);
  for (int hops = 0; hops < 64; ++hops) {
    auto entity = entity_on(db, next);
    if (!entity || !entity->has_value() || (*entity)->merged_into.empty()) return entity;
    next = (*entity)->merged_into;
  }
  return std::optional<IdentityEntity>();
}

StoreResult<std::optional<CanonicalRecord>> record_on(Connection& db, std::string_view id) {
  return first(query_rows(
      db, kSelectRecord, [&](StmtLease& s) { return s.bind_text(1, id); }, read_record,
      "load canonical record"));
}

StoreResult<int> save_record(Connection& db, const CanonicalRecord& record) {
  const std::string fields = fields_to_json(record);
  return execute(
      db, kUpsertRecord,
      [&](StmtLease& s) {
        return Binder(s)
            .text(record.canonical_id)
            .text(record.kind)
            .text(fields)
            .integer(record.updated_at_ms)
            .rc();
      },
      "save canonical record", record.canonical_id);
}

// The live entities one write_identity names, each looked up once: nothing there merges, so
// what an id resolves to holds for the whole write, and an entity it has just created is live.
// (Five lookups an event otherwise: its links, its record and both ends of its relation.)
class LiveEntities {
 public:
  explicit LiveEntities(Connection& db) : db_(db) {}

  void created(const IdentityEntity& entity) { known_.insert_or_assign(entity.id, entity); }

  // The live entity `id` names, or not_found naming `what`.
  StoreResult<IdentityEntity> of(std::string_view id, const char* what) {
    if (const auto it = known_.find(id); it != known_.end()) return it->second;
    auto entity = live_on(db_, id);
    if (!entity) return fail(std::move(entity).error());
    if (!entity->has_value()) {
      return fail(StoreError{StoreErrc::not_found,
                             std::string(what) + " of an unknown entity " + std::string(id)});
    }
    known_.emplace(std::string(id), **entity);
    return std::move(**entity);
  }

 private:
  Connection& db_;
  std::map<std::string, IdentityEntity, std::less<>> known_;
};

StoreResult<RecordChange> update_record(Connection& db, LiveEntities& live,
                                        const RecordUpdate& update, std::int64_t at_ms) {
  auto entity = live.of(update.canonical_id, "record");
  if (!entity) return fail(std::move(entity).error());
  auto stored = record_on(db, entity->id);
  if (!stored) return fail(std::move(stored).error());
  CanonicalRecord record = stored->value_or(CanonicalRecord{entity->id, entity->kind, {}, at_ms});
  RecordChange change{entity->id, update.event_id, apply_newer_fields(record, update, at_ms)};
  if (!change.changed_fields.empty() || !stored->has_value() ||
      record.fields != (*stored)->fields) {
    if (auto saved = save_record(db, record); !saved) return fail(std::move(saved).error());
  }
  return change;
}

// Keeps `relation` (live ids) where it is newer than the one stored for its entity and
// related kind.
StoreResult<void> offer_relation(Connection& db, const IdentityRelation& relation) {
  auto stored = first(query_rows(
      db, kSelectRelation,
      [&](StmtLease& s) {
        return Binder(s).text(relation.canonical_id).text(relation.related_kind).rc();
      },
      read_relation, "load relation"));
  if (!stored) return fail(std::move(stored).error());
  if (stored->has_value() && !relation_is_newer(relation, **stored)) return {};
  auto done = execute(
      db, kUpsertRelation,
      [&](StmtLease& s) {
        return Binder(s)
            .text(relation.canonical_id)
            .text(relation.kind)
            .text(relation.related_kind)
            .text(relation.related_id)
            .text(relation.connector)
            .text(relation.event_id)
            .integer(relation.platform_time_ms)
            .integer(relation.platform_seq)
            .rc();
      },
      "save relation of", relation.canonical_id);
  if (!done) return fail(std::move(done).error());
  return {};
}

// A merge: `from`'s relations combine with `into`'s, relations to `from` name `into`.
StoreResult<void> merge_relations(Connection& db, std::string_view from_id,
                                  std::string_view into_id) {
  auto own = query_rows(
      db, kSelectRelationsOf, [&](StmtLease& s) { return s.bind_text(1, from_id); }, read_relation,
      "merge: load relations of");
  if (!own) return fail(std::move(own).error());
  const auto from_only = [&](StmtLease& s) { return s.bind_text(1, from_id); };
  if (auto done = execute(db, kDeleteRelationsOf, from_only, "merge: drop relations of", from_id);
      !done) {
    return fail(std::move(done).error());
  }
  const auto from_to = [&](StmtLease& s) { return Binder(s).text(from_id).text(into_id).rc(); };
  if (auto done =
          execute(db, kRepointRelationsTo, from_to, "merge: re-point relations to", from_id);
      !done) {
    return fail(std::move(done).error());
  }
  for (IdentityRelation& relation : *own) {
    relation.canonical_id = into_id;
    if (relation.related_id == from_id) relation.related_id = into_id;
    if (auto offered = offer_relation(db, relation); !offered) return offered;
  }
  return {};
}

}  // namespace

StoreResult<std::vector<RecordChange>> write_identity(Connection& db, const IdentityWrites& writes,
                                                      std::int64_t at_ms) {
  LiveEntities live(db);
  for (const IdentityEntity& e : writes.entities) {
    auto done = execute(
        db, kInsertEntity,
        [&](StmtLease& s) {
          return Binder(s).text(e.id).text(e.kind).integer(e.created_at_ms).rc();
        },
        "create canonical entity", e.id);
    if (!done) return fail(std::move(done).error());
    // Inserted now, so live and unmerged; one that existed (a replay) is looked up when named.
    if (*done == 1) live.created(IdentityEntity{e.id, e.kind, e.created_at_ms, ""});
  }
  for (const IdentityLink& link : writes.links) {
    auto entity = live.of(link.canonical_id, "link");
    if (!entity) return fail(std::move(entity).error());
    auto done = execute(
        db, kInsertLink,
        [&](StmtLease& s) {
          return Binder(s)
              .text(link.kind)
              .text(link.connector)
              .text(link.platform_id)
              .text(entity->id)
              .text(link.matched_by)
              .integer(link.linked_at_ms)
              .rc();
        },
        "link", link.platform_id);
    if (!done) return fail(std::move(done).error());
  }
  for (const IdentityKey& key : writes.keys) {
    auto entity = live.of(key.canonical_id, "key");
    if (!entity) return fail(std::move(entity).error());
    auto done = execute(
        db, kInsertKey,
        [&](StmtLease& s) {
          return Binder(s)
              .text(key.kind)
              .text(key.attribute)
              .text(key.block)
              .text(key.value)
              .text(entity->id)
              .rc();
        },
        "record identity key of", entity->id);
    if (!done) return fail(std::move(done).error());
  }
  std::vector<RecordChange> changes;
  for (const RecordUpdate& update : writes.updates) {
    auto change = update_record(db, live, update, at_ms);
    if (!change) return fail(std::move(change).error());
    changes.push_back(std::move(*change));
  }
  for (IdentityRelation relation : writes.relations) {
    auto entity = live.of(relation.canonical_id, "relation");
    if (!entity) return fail(std::move(entity).error());
    auto related = live.of(relation.related_id, "relation");
    if (!related) return fail(std::move(related).error());
    relation.canonical_id = entity->id;
    relation.related_id = related->id;
    if (auto offered = offer_relation(db, relation); !offered) return fail(offered.error());
  }
  return changes;
}

SqliteIdentityStore::SqliteIdentityStore(std::shared_ptr<Database> database)
    : database_(std::move(database)) {}

StoreResult<std::optional<IdentityLink>> SqliteIdentityStore::find_link(
    std::string_view kind, std::string_view connector, std::string_view platform_id) {
  auto [lock, db] = database_->reader();
  return first(query_rows(
      db, kSelectLink,
      [&](StmtLease& s) { return Binder(s).text(kind).text(connector).text(platform_id).rc(); },
      read_link, "find identity link"));
}

StoreResult<std::vector<IdentityKey>> SqliteIdentityStore::find_keys(
    std::string_view kind, std::string_view attribute, std::span<const std::string> blocks) {
  std::set<std::string> wanted(blocks.begin(), blocks.end());  // (block, canonical_id) order
  std::vector<IdentityKey> out;
  auto [lock, db] = database_->reader();
  for (const std::string& block : wanted) {
    auto found = query_rows(
        db, kSelectKeys,
        [&](StmtLease& s) { return Binder(s).text(kind).text(attribute).text(block).rc(); },
        read_key, "find identity keys");
    if (!found) return fail(std::move(found).error());
    out.insert(out.end(), found->begin(), found->end());
  }
  return out;
}

StoreResult<std::optional<IdentityEntity>> SqliteIdentityStore::load_entity(std::string_view id) {
  auto [lock, db] = database_->reader();
  return entity_on(db, id);
}

StoreResult<std::optional<IdentityEntity>> SqliteIdentityStore::resolve_id(std::string_view id) {
  auto [lock, db] = database_->reader();
  return live_on(db, id);
}

StoreResult<std::vector<IdentityLink>> SqliteIdentityStore::links_of(
    std::string_view canonical_id) {
  auto [lock, db] = database_->reader();
  return query_rows(
      db, kSelectLinksOf, [&](StmtLease& s) { return s.bind_text(1, canonical_id); }, read_link,
      "list identity links");
}

StoreResult<std::vector<IdentityKey>> SqliteIdentityStore::keys_of(std::string_view canonical_id) {
  auto [lock, db] = database_->reader();
  return query_rows(
      db, kSelectKeysOf, [&](StmtLease& s) { return s.bind_text(1, canonical_id); }, read_key,
      "list identity keys");
}

StoreResult<std::optional<CanonicalRecord>> SqliteIdentityStore::load_record(
    std::string_view canonical_id) {
  auto [lock, db] = database_->reader();
  return record_on(db, canonical_id);
}

StoreResult<std::vector<MergeRecord>> SqliteIdentityStore::merges_of(
    std::string_view canonical_id) {
  auto [lock, db] = database_->reader();
  return query_rows(
      db, kSelectMerges, [&](StmtLease& s) { return s.bind_text(1, canonical_id); }, read_merge,
      "list merges");
}

StoreResult<std::vector<IdentityRelation>> SqliteIdentityStore::relations_of(
    std::string_view canonical_id) {
  auto [lock, db] = database_->reader();
  return query_rows(
      db, kSelectRelationsOf, [&](StmtLease& s) { return s.bind_text(1, canonical_id); },
      read_relation, "list relations");
}

StoreResult<std::vector<CanonicalRecord>> SqliteIdentityStore::related_records(
    std::string_view related_id, std::string_view kind) {
  auto [lock, db] = database_->reader();
  return query_rows(
      db, kSelectRelatedRecords,
      [&](StmtLease& s) { return Binder(s).text(related_id).text(kind).rc(); }, read_record,
      "list related records");
}

StoreResult<std::vector<RecordChange>> SqliteIdentityStore::write(const IdentityWrites& writes,
                                                                  std::int64_t at_ms) {
  auto [lock, db] = database_->writer();
  Transaction tx(db);
  if (auto begun = tx.begin_immediate(); !begun) return fail(begun.error());
  auto changes = write_identity(db, writes, at_ms);
  if (!changes) return changes;
  if (auto committed = tx.commit(); !committed) return fail(committed.error());
  return changes;
}

StoreResult<MergeRecord> SqliteIdentityStore::merge(std::string_view from_id,
                                                    std::string_view into_id, std::string_view by,
                                                    std::string_view reason, std::int64_t at_ms) {
  auto [lock, db] = database_->writer();
  Transaction tx(db);
  if (auto begun = tx.begin_immediate(); !begun) return fail(begun.error());
  auto into =
      check_merge([&](std::string_view id) { return entity_on(db, id); }, from_id, into_id, by);
  if (!into) return fail(std::move(into).error());
  const auto from_to = [&](StmtLease& s) { return Binder(s).text(from_id).text(into_id).rc(); };
  MergeRecord merge{merge_id(from_id, into_id),
                    into->kind,
                    std::string(from_id),
                    std::string(into_id),
                    std::string(by),
                    std::string(reason),
                    at_ms,
                    0};

  if (auto done = execute(db, kRepointEntities, from_to, "merge: re-point entities", from_id);
      !done) {
    return fail(std::move(done).error());
  }
  auto moved = execute(db, kRepointLinks, from_to, "merge: re-point links of", from_id);
  if (!moved) return fail(std::move(moved).error());
  merge.links_moved = *moved;
  if (auto done = execute(db, kCopyKeys, from_to, "merge: move keys of", from_id); !done) {
    return fail(std::move(done).error());
  }
  const auto from_only = [&](StmtLease& s) { return s.bind_text(1, from_id); };
  if (auto done = execute(db, kDeleteKeys, from_only, "merge: drop keys of", from_id); !done) {
    return fail(std::move(done).error());
  }
  auto from_record = record_on(db, from_id);
  if (!from_record) return fail(std::move(from_record).error());
  if (from_record->has_value()) {
    auto into_record = record_on(db, into_id);
    if (!into_record) return fail(std::move(into_record).error());
    CanonicalRecord combined =
        into_record->value_or(CanonicalRecord{std::string(into_id), into->kind, {}, at_ms});
    merge_records(combined, **from_record, at_ms);
    if (auto saved = save_record(db, combined); !saved) return fail(std::move(saved).error());
    if (auto done = execute(db, kDeleteRecord, from_only, "merge: drop record of", from_id);
        !done) {
      return fail(std::move(done).error());
    }
  }
  if (auto done = merge_relations(db, from_id, into_id); !done) return fail(done.error());
  auto recorded = execute(
      db, kInsertMerge,
      [&](StmtLease& s) {
        return Binder(s)
            .text(merge.id)
            .text(merge.kind)
            .text(merge.from_id)
            .text(merge.into_id)
            .text(merge.by)
            .text(merge.reason)
            .integer(merge.at_ms)
            .integer(merge.links_moved)
            .rc();
      },
      "record merge", merge.id);
  if (!recorded) return fail(std::move(recorded).error());
  if (auto committed = tx.commit(); !committed) return fail(committed.error());
  return merge;
}

}  // namespace weft::store::sqlite
