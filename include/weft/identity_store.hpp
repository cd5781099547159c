#pragma once
// IdentityStore: the identity (xref) service's durable state — one canonical id per business
// entity (customer, subscription, invoice, case, …), the links from each platform's id to it,
// the normalised identifying attributes rules match on, audited merges, and the canonical
// record (latest known state, with the source and platform time of each field).
//
// SQLite implements it now, PostgreSQL next, memory for tests; nothing here depends on one of
// them: ids are text, times Unix milliseconds, field values JSON text. Every write method is
// one transaction, durable when it returns success, and all or nothing.
//
// Resolution (identity/resolver.hpp) only reads from this store: it plans its writes as an
// IdentityWrites, which write() applies — or which a caller that already holds a transaction
// (the event pipeline's record_mappings) applies inside it, so a raw event is marked
// processed together with the identities it created (docs/identity.md).
//
// Threads: every method may be called from any thread.

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "weft/store.hpp"

namespace weft {

// A canonical entity. Merged entities stay, pointing at the survivor, so an old id still
// resolves (events, exceptions and workflow state may quote it).
struct IdentityEntity {
  std::string id;    // deterministic: see identity/resolver.hpp
  std::string kind;  // customer, subscription, invoice, case, …
  std::int64_t created_at_ms = 0;
  std::string merged_into;  // empty while live
};

// A platform's id for an entity. (kind, connector, platform_id) is unique.
struct IdentityLink {
  std::string kind;
  std::string connector;    // the connector's name in the config
  std::string platform_id;  // e.g. cus_123, a Zendesk organization id
  std::string canonical_id;
  std::string matched_by;  // how it was linked: new, external_id, email_domain, tax_id, name, manual, merge
  std::int64_t linked_at_ms = 0;
};

// A normalised identifying attribute of an entity, as rules match on it. `block` is what
// find_keys looks up: the value itself for exact attributes (external_id, email_domain,
// tax_id), each word of the normalised name for `name` (whose `value` is the whole name, so
// a candidate found by one word is scored on all of it).
struct IdentityKey {
  std::string kind;
  std::string attribute;
  std::string block;
  std::string value;
  std::string canonical_id;
};

// One field of a canonical record and where its value came from.
struct FieldState {
  std::string value_json;
  std::string connector;
  std::string event_id;                // the canonical event that set it
  std::int64_t platform_time_ms = 0;  // the platform's time of the change
  std::int64_t platform_seq = 0;      // the platform's own sequence/version; 0 when it has none
  bool operator==(const FieldState&) const = default;
};

struct CanonicalRecord {
  std::string canonical_id;
  std::string kind;
  std::map<std::string, FieldState> fields;
  std::int64_t updated_at_ms = 0;  // when a field last changed (our clock)
};

// A canonical event's fields for one entity. Each field is applied only where the update is
// newer than what the record holds for it (is_newer below).
struct RecordUpdate {
  std::string canonical_id;
  std::string kind;
  std::string connector;
  std::string event_id;
  std::int64_t platform_time_ms = 0;
  std::int64_t platform_seq = 0;
  std::map<std::string, std::string> fields;  // name → JSON text of the value
};

// What an update changed: fields whose value differs from before (a newer event that repeats
// the value refreshes the field's source and time but is no change).
struct RecordChange {
  std::string canonical_id;  // after following merges
  std::string event_id;
  std::vector<std::string> changed_fields;  // sorted
};

// An entity belongs to another: a case to its customer, an invoice to its customer, a credit
// memo to its invoice — what an event that names both said (its schema's x-weft-identity: the
// entity whose record the event updates, and each other entity it names). One per (entity,
// related kind), kept like a record field: the newer platform change wins (is_newer), so a
// ticket moved to another organization belongs to the new one only. Both ids are live after a
// write or merge: writes follow merged ids to the survivor, and a merge re-points relations
// from and to the entity merged away.
struct IdentityRelation {
  std::string canonical_id;  // the entity (case_…)
  std::string kind;          // its kind
  std::string related_kind;  // customer
  std::string related_id;    // customer_…
  std::string connector;     // the source of the event that said so
  std::string event_id;
  std::int64_t platform_time_ms = 0;
  std::int64_t platform_seq = 0;
  bool operator==(const IdentityRelation&) const = default;
};

// Everything resolving a batch produced, applied as one transaction. Ids that name an entity
// merged meanwhile are followed to the survivor. A link whose (kind, connector, platform_id)
// exists already keeps its target (the first link wins); keys are a set.
struct IdentityWrites {
  std::vector<IdentityEntity> entities;
  std::vector<IdentityLink> links;
  std::vector<IdentityKey> keys;
  std::vector<RecordUpdate> updates;
  std::vector<IdentityRelation> relations;
  bool empty() const {
    return entities.empty() && links.empty() && keys.empty() && updates.empty() && relations.empty();
  }

  // Where the plan stood, and taking back what was planned since (planning only appends), so
  // a caller can drop one event's decisions without copying the batch's.
  struct Mark {
    std::size_t entities, links, keys, updates, relations;
  };
  Mark mark() const { return {entities.size(), links.size(), keys.size(), updates.size(), relations.size()}; }
  void truncate(const Mark& m) {
    entities.resize(m.entities);
    links.resize(m.links);
    keys.resize(m.keys);
    updates.resize(m.updates);
    relations.resize(m.relations);
  }
};

// An audited merge: `from` now resolves to `into`.
struct MergeRecord {
  std::string id;  // deterministic: from and into
  std::string kind;
  std::string from_id;
  std::string into_id;
  std::string by;
  std::string reason;
  std::int64_t at_ms = 0;
  std::int64_t links_moved = 0;
};

class IdentityStore {
 public:
  virtual ~IdentityStore() = default;

  virtual StoreResult<std::optional<IdentityLink>> find_link(std::string_view kind, std::string_view connector,
                                                             std::string_view platform_id) = 0;
  // Keys of live entities whose block is one of `blocks`, ordered by (block, canonical_id).
  virtual StoreResult<std::vector<IdentityKey>> find_keys(std::string_view kind, std::string_view attribute,
                                                          std::span<const std::string> blocks) = 0;
  virtual StoreResult<std::optional<IdentityEntity>> load_entity(std::string_view id) = 0;
  // The live entity an id resolves to, following merges; nullopt for an unknown id.
  virtual StoreResult<std::optional<IdentityEntity>> resolve_id(std::string_view id) = 0;
  // An entity's links, ordered by (connector, platform_id).
  virtual StoreResult<std::vector<IdentityLink>> links_of(std::string_view canonical_id) = 0;
  // An entity's keys, ordered by (attribute, block).
  virtual StoreResult<std::vector<IdentityKey>> keys_of(std::string_view canonical_id) = 0;
  virtual StoreResult<std::optional<CanonicalRecord>> load_record(std::string_view canonical_id) = 0;
  // Merges that involved the entity, oldest first.
  virtual StoreResult<std::vector<MergeRecord>> merges_of(std::string_view canonical_id) = 0;
  // What the entity belongs to (IdentityRelation), ordered by related kind.
  virtual StoreResult<std::vector<IdentityRelation>> relations_of(std::string_view canonical_id) = 0;
  // The records of the entities of `kind` that belong to `related_id` (the customer's cases,
  // invoices, subscriptions), ordered by canonical id; an entity without a record yet has one
  // with no fields. `related_id` must be live (resolve_id first): relations name live ids only.
  virtual StoreResult<std::vector<CanonicalRecord>> related_records(std::string_view related_id,
                                                                    std::string_view kind) = 0;

  // Applies a batch of writes in one transaction; one RecordChange per update, in order.
  // An update, link or relation for an unknown entity fails the call with not_found, writing
  // nothing.
  virtual StoreResult<std::vector<RecordChange>> write(const IdentityWrites& writes, std::int64_t at_ms) = 0;

  // Merges `from` into `into` in one transaction: every link and key of `from` (and of
  // entities merged into it before) moves to `into`, the two records are combined field by
  // field (the newer wins, as in write()), so are `from`'s relations (per related kind),
  // relations to `from` now name `into`, and the merge is recorded. Errors: not_found (an
  // unknown id), invalid_argument (the same entity, different kinds, or an empty `by`),
  // conflict (either is already merged into another).
  virtual StoreResult<MergeRecord> merge(std::string_view from_id, std::string_view into_id, std::string_view by,
                                         std::string_view reason, std::int64_t at_ms) = 0;
};
using IdentityStorePtr = std::unique_ptr<IdentityStore>;

// Whether an update at (time, seq) is newer than a field set at (stored_time, stored_seq):
// a later platform second wins; within one second the platform's sequence decides when both
// have one, else the millisecond time. A tie is not newer, so a replayed event changes nothing.
bool is_newer(std::int64_t time_ms, std::int64_t seq, std::int64_t stored_time_ms, std::int64_t stored_seq);

// Applies `update` to `record` where it is newer, field by field; the fields whose value
// changed, sorted. Every store uses this one rule.
std::vector<std::string> apply_newer_fields(CanonicalRecord& record, const RecordUpdate& update, std::int64_t at_ms);

// Combines `from` into `into` with the same rule (merges).
void merge_records(CanonicalRecord& into, const CanonicalRecord& from, std::int64_t at_ms);

// Whether `incoming` replaces `stored` (the same entity and related kind): the same rule.
bool relation_is_newer(const IdentityRelation& incoming, const IdentityRelation& stored);

}  // namespace weft
