// The IdentityStore contract, one suite run against the in-memory store and SQLite: links
// (first wins), keys, canonical records updated only by newer data, audited merges that
// re-point everything. Then what only SQLite can show: a merge that fails half-way leaves
// nothing of it, everything survives a reopen, and records written before migration 12 read
// back the same after it.

#include "weft/identity_store.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <memory>
#include <string>
#include <vector>

#include "store/memory/memory_identity_store.hpp"
#include "support/process.hpp"
#include "support/raw_event_log.hpp"
#include "unit/expect_ok.hpp"
#include "weft/workflow_store.hpp"

namespace weft {
namespace {

using test::TempDir;

IdentityEntity entity(const std::string& id, const std::string& kind = "customer") {
  return IdentityEntity{id, kind, 1000, ""};
}

IdentityLink link(const std::string& connector, const std::string& platform_id, const std::string& canonical_id,
                  const std::string& matched_by = "new") {
  return IdentityLink{"customer", connector, platform_id, canonical_id, matched_by, 1000};
}

IdentityKey key(const std::string& attribute, const std::string& block, const std::string& canonical_id) {
  return IdentityKey{"customer", attribute, block, block, canonical_id};
}

RecordUpdate update(const std::string& canonical_id, std::int64_t time_ms, std::int64_t seq,
                    std::map<std::string, std::string> fields, const std::string& event_id = "ce_1") {
  return RecordUpdate{canonical_id, "customer", "stripe", event_id, time_ms, seq, std::move(fields)};
}

IdentityRelation belongs(const std::string& canonical_id, const std::string& customer_id, std::int64_t time_ms,
                          const std::string& event_id = "ce_1") {
  return IdentityRelation{canonical_id, "case", "customer", customer_id, "zendesk", event_id, time_ms, 0};
}

std::vector<std::string> ids(const std::vector<CanonicalRecord>& records) {
  std::vector<std::string> out;
  for (const auto& r : records) out.push_back(r.canonical_id);
  return out;
}

std::vector<std::string> changed(const std::vector<RecordChange>& changes) {
  return changes.empty() ? std::vector<std::string>{} : changes.front().changed_fields;
}

enum class Backend { memory, sqlite };

std::string backend_name(const ::testing::TestParamInfo<Backend>& param) {
  return param.param == Backend::memory ? "Memory" : "Sqlite";
}

class IdentityStoreContract : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override { open(); }

  void open() {
    if (GetParam() == Backend::memory) {
      if (!store_) store_ = std::make_unique<MemoryIdentityStore>();
      return;
    }
    store_.reset();
    auto storage = open_storage("sqlite:" + (dir_ / "weft.db").string());
    ASSERT_TRUE(storage.ok()) << storage.error().message;
    store_ = std::move(storage->identity);
  }

  IdentityStore& store() { return *store_; }

  std::vector<RecordChange> write(IdentityWrites writes, std::int64_t at_ms = 5000) {
    return ok(store().write(writes, at_ms));
  }

  // Two customers, cus_a (stripe + zendesk links) and cus_b (netsuite).
  void two_customers() {
    IdentityWrites w;
    w.entities = {entity("cus_a"), entity("cus_b")};
    w.links = {link("stripe", "cus_1", "cus_a"), link("zendesk", "org_9", "cus_a", "email_domain"),
               link("netsuite", "77", "cus_b")};
    w.keys = {key("email_domain", "acme.de", "cus_a"), key("tax_id", "DE123", "cus_b"),
              key("email_domain", "acme.de", "cus_b")};
    write(w);
  }

  TempDir dir_{"weft-identity"};
  IdentityStorePtr store_;
};

TEST_P(IdentityStoreContract, WrittenEntitiesLinksAndKeysReadBack) {
  two_customers();
  auto found = ok(store().find_link("customer", "zendesk", "org_9"));
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->canonical_id, "cus_a");
  EXPECT_EQ(found->matched_by, "email_domain");
  EXPECT_FALSE(ok(store().find_link("customer", "zendesk", "org_10")).has_value());
  EXPECT_FALSE(ok(store().find_link("invoice", "zendesk", "org_9")).has_value());

  auto entity_a = ok(store().load_entity("cus_a"));
  ASSERT_TRUE(entity_a.has_value());
  EXPECT_EQ(entity_a->kind, "customer");
  EXPECT_EQ(entity_a->merged_into, "");

  const std::vector<std::string> blocks{"acme.de", "nothing.de"};
  auto keys = ok(store().find_keys("customer", "email_domain", blocks));
  ASSERT_EQ(keys.size(), 2u);
  EXPECT_EQ(keys[0].canonical_id, "cus_a");
  EXPECT_EQ(keys[1].canonical_id, "cus_b");
  EXPECT_TRUE(ok(store().find_keys("customer", "tax_id", blocks)).empty());

  auto links = ok(store().links_of("cus_a"));
  ASSERT_EQ(links.size(), 2u);
  EXPECT_EQ(links[0].connector, "stripe");
  EXPECT_EQ(links[1].connector, "zendesk");

  auto keys_b = ok(store().keys_of("cus_b"));  // by (attribute, block)
  ASSERT_EQ(keys_b.size(), 2u);
  EXPECT_EQ(keys_b[0].attribute, "email_domain");
  EXPECT_EQ(keys_b[1].attribute, "tax_id");
  EXPECT_EQ(keys_b[1].value, "DE123");
  EXPECT_TRUE(ok(store().keys_of("cus_nobody")).empty());
}

TEST_P(IdentityStoreContract, TheFirstLinkOfAPlatformIdWins) {
  two_customers();
  IdentityWrites w;
  w.links = {link("stripe", "cus_1", "cus_b")};
  write(w);
  EXPECT_EQ(ok(store().find_link("customer", "stripe", "cus_1"))->canonical_id, "cus_a");
}

TEST_P(IdentityStoreContract, AWriteNamingAnUnknownEntityWritesNothing) {
  IdentityWrites w;
  w.entities = {entity("cus_new")};
  w.links = {link("stripe", "cus_5", "cus_new")};
  w.updates = {update("cus_missing", 1000, 0, {{"name", "\"X\""}})};
  auto result = store().write(w, 5000);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, StoreErrc::not_found);
  EXPECT_FALSE(ok(store().load_entity("cus_new")).has_value());
  EXPECT_FALSE(ok(store().find_link("customer", "stripe", "cus_5")).has_value());
}

TEST_P(IdentityStoreContract, ARecordTakesOnlyNewerFieldsAndReportsRealChanges) {
  two_customers();
  IdentityWrites first;
  first.updates = {update("cus_a", 10'000, 0, {{"name", "\"Acme\""}, {"status", "\"active\""}}, "ce_1")};
  EXPECT_EQ(changed(write(first, 6000)), (std::vector<std::string>{"name", "status"}));

  // Out of order: an older event (earlier platform time) changes nothing.
  IdentityWrites older;
  older.updates = {update("cus_a", 9'000, 0, {{"name", "\"Acme Old\""}, {"status", "\"trial\""}}, "ce_0")};
  EXPECT_TRUE(changed(write(older, 7000)).empty());

  // Newer, with one field repeating its value: only the other is a change.
  IdentityWrites newer;
  newer.updates = {update("cus_a", 11'000, 0, {{"name", "\"Acme\""}, {"status", "\"past_due\""}}, "ce_2")};
  EXPECT_EQ(changed(write(newer, 8000)), (std::vector<std::string>{"status"}));

  auto record = ok(store().load_record("cus_a"));
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(record->kind, "customer");
  EXPECT_EQ(record->fields.at("status").value_json, "\"past_due\"");
  EXPECT_EQ(record->fields.at("status").event_id, "ce_2");
  EXPECT_EQ(record->fields.at("status").connector, "stripe");
  EXPECT_EQ(record->fields.at("status").platform_time_ms, 11'000);
  // The repeated value refreshed its source.
  EXPECT_EQ(record->fields.at("name").event_id, "ce_2");
  EXPECT_EQ(record->updated_at_ms, 8000);

  // A replay of the same event changes nothing.
  EXPECT_TRUE(changed(write(newer, 9000)).empty());
}

TEST_P(IdentityStoreContract, FieldsOfAnyNameAndValueReadBackAsWritten) {
  two_customers();
  // Values in the form record_update keeps them: nlohmann's compact print.
  const std::map<std::string, std::string> fields{
      {"name", R"("Müller \"& Söhne\" GmbH")"},
      {"note\twith \"quotes\" and ünïcode", R"({"empty":{},"lines":["a\nb",null,1.5,-2,true]})"},
      {"", "[]"},
      {"count", "12345678901234"}};
  IdentityWrites w;
  w.updates = {update("cus_a", 10'000, 3, fields, "ce_1"),
               update("cus_a", 11'000, 4, {{"status", R"("active")"}}, "ce_2")};
  write(w);
  open();  // the SQLite store: read back from the stored text
  auto record = ok(store().load_record("cus_a"));
  ASSERT_TRUE(record.has_value());
  ASSERT_EQ(record->fields.size(), fields.size() + 1);
  for (const auto& [name, value] : fields) {
    EXPECT_EQ(record->fields.at(name).value_json, value) << name;
    EXPECT_EQ(record->fields.at(name).event_id, "ce_1") << name;
    EXPECT_EQ(record->fields.at(name).platform_seq, 3) << name;
  }
  EXPECT_EQ(record->fields.at("status").event_id, "ce_2");
  EXPECT_EQ(record->fields.at("status").platform_time_ms, 11'000);
}

TEST_P(IdentityStoreContract, WithinOneSecondThePlatformSequenceOrdersEvents) {
  two_customers();
  // Both at 20 s (Stripe stamps whole seconds); seq 7 came after seq 5 on the platform.
  IdentityWrites later;
  later.updates = {update("cus_a", 20'000, 7, {{"status", "\"canceled\""}}, "ce_7")};
  IdentityWrites earlier;
  earlier.updates = {update("cus_a", 20'000, 5, {{"status", "\"active\""}}, "ce_5")};
  EXPECT_EQ(changed(write(later)), (std::vector<std::string>{"status"}));
  EXPECT_TRUE(changed(write(earlier)).empty());
  EXPECT_EQ(ok(store().load_record("cus_a"))->fields.at("status").value_json, "\"canceled\"");

  // The sequence outranks the milliseconds inside a second…
  IdentityWrites seq_8_earlier_ms;
  seq_8_earlier_ms.updates = {update("cus_a", 19'999, 8, {{"status", "\"x\""}}, "ce_8")};
  EXPECT_TRUE(changed(write(seq_8_earlier_ms)).empty()) << "19.999 s is another, earlier second";
  IdentityWrites seq_9_same_second;
  seq_9_same_second.updates = {update("cus_a", 20'000, 9, {{"status", "\"reactivated\""}}, "ce_9")};
  EXPECT_EQ(changed(write(seq_9_same_second)), (std::vector<std::string>{"status"}));
  // …but a later second wins whatever its sequence.
  IdentityWrites next_second;
  next_second.updates = {update("cus_a", 21'000, 1, {{"status", "\"closed\""}}, "ce_10")};
  EXPECT_EQ(changed(write(next_second)), (std::vector<std::string>{"status"}));
}

TEST_P(IdentityStoreContract, AMergeRepointsEveryLinkKeyAndRecordAndIsAudited) {
  two_customers();
  IdentityWrites records;
  records.updates = {update("cus_a", 10'000, 0, {{"name", "\"Acme\""}, {"phone", "\"1\""}}, "ce_a"),
                     update("cus_b", 12'000, 0, {{"name", "\"ACME GmbH\""}, {"vat", "\"DE123\""}}, "ce_b")};
  write(records);

  auto merge = ok(store().merge("cus_b", "cus_a", "ops@example.com", "same company", 9000));
  EXPECT_EQ(merge.from_id, "cus_b");
  EXPECT_EQ(merge.into_id, "cus_a");
  EXPECT_EQ(merge.links_moved, 1);

  EXPECT_EQ(ok(store().find_link("customer", "netsuite", "77"))->canonical_id, "cus_a");
  EXPECT_TRUE(ok(store().links_of("cus_b")).empty());
  EXPECT_EQ(ok(store().links_of("cus_a")).size(), 3u);
  const std::vector<std::string> tax{"DE123"};
  auto keys = ok(store().find_keys("customer", "tax_id", tax));
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_EQ(keys[0].canonical_id, "cus_a");
  const std::vector<std::string> domain{"acme.de"};
  EXPECT_EQ(ok(store().find_keys("customer", "email_domain", domain)).size(), 1u) << "keys are a set";

  // The old id still resolves, to the survivor.
  EXPECT_EQ(ok(store().load_entity("cus_b"))->merged_into, "cus_a");
  EXPECT_EQ(ok(store().resolve_id("cus_b"))->id, "cus_a");

  // Records combined field by field, the newer winning.
  auto record = ok(store().load_record("cus_a"));
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(record->fields.at("name").value_json, "\"ACME GmbH\"");
  EXPECT_EQ(record->fields.at("phone").value_json, "\"1\"");
  EXPECT_EQ(record->fields.at("vat").value_json, "\"DE123\"");
  EXPECT_FALSE(ok(store().load_record("cus_b")).has_value());

  auto audit = ok(store().merges_of("cus_b"));
  ASSERT_EQ(audit.size(), 1u);
  EXPECT_EQ(audit[0].by, "ops@example.com");
  EXPECT_EQ(audit[0].reason, "same company");
  EXPECT_EQ(audit[0].at_ms, 9000);
  EXPECT_EQ(ok(store().merges_of("cus_a")).size(), 1u);

  // Writes that still name the merged id land on the survivor.
  IdentityWrites late;
  late.links = {link("salesforce", "001X", "cus_b")};
  late.updates = {update("cus_b", 13'000, 0, {{"phone", "\"2\""}}, "ce_late")};
  auto changes = write(late);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].canonical_id, "cus_a");
  EXPECT_EQ(ok(store().find_link("customer", "salesforce", "001X"))->canonical_id, "cus_a");

  // A replayed write that creates the merged entity again leaves it merged, and what it links
  // lands on the survivor as well.
  IdentityWrites replayed;
  replayed.entities = {entity("cus_b")};
  replayed.links = {link("hubspot", "h_1", "cus_b")};
  replayed.updates = {update("cus_b", 14'000, 0, {{"phone", "\"3\""}}, "ce_replayed")};
  changes = write(replayed);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].canonical_id, "cus_a");
  EXPECT_EQ(ok(store().load_entity("cus_b"))->merged_into, "cus_a");
  EXPECT_EQ(ok(store().find_link("customer", "hubspot", "h_1"))->canonical_id, "cus_a");
  EXPECT_EQ(ok(store().load_record("cus_a"))->fields.at("phone").value_json, "\"3\"");
}

TEST_P(IdentityStoreContract, MergesChainToTheLastSurvivor) {
  two_customers();
  IdentityWrites w;
  w.entities = {entity("cus_c")};
  write(w);
  ASSERT_TRUE(store().merge("cus_a", "cus_b", "ops", "dup", 1).ok());
  ASSERT_TRUE(store().merge("cus_b", "cus_c", "ops", "dup", 2).ok());
  EXPECT_EQ(ok(store().resolve_id("cus_a"))->id, "cus_c");
  EXPECT_EQ(ok(store().find_link("customer", "stripe", "cus_1"))->canonical_id, "cus_c");
  EXPECT_EQ(ok(store().links_of("cus_c")).size(), 3u);
}

TEST_P(IdentityStoreContract, AMergeThatMayNotHappenIsRefusedAndChangesNothing) {
  two_customers();
  IdentityWrites w;
  w.entities = {entity("inv_1", "invoice")};
  write(w);
  const auto refused = [&](std::string_view from, std::string_view into, std::string_view by) {
    auto result = store().merge(from, into, by, "why", 1);
    return result.ok() ? std::optional<StoreErrc>() : std::optional<StoreErrc>(result.error().code);
  };
  EXPECT_EQ(refused("cus_a", "cus_a", "ops"), StoreErrc::invalid_argument);
  EXPECT_EQ(refused("cus_a", "inv_1", "ops"), StoreErrc::invalid_argument);
  EXPECT_EQ(refused("cus_a", "cus_b", ""), StoreErrc::invalid_argument);
  EXPECT_EQ(refused("cus_a", "cus_zzz", "ops"), StoreErrc::not_found);
  ASSERT_TRUE(store().merge("cus_a", "cus_b", "ops", "dup", 1).ok());
  EXPECT_EQ(refused("cus_a", "cus_b", "ops"), StoreErrc::conflict);
  EXPECT_EQ(refused("cus_b", "cus_a", "ops"), StoreErrc::conflict);
  EXPECT_EQ(ok(store().merges_of("cus_b")).size(), 1u);
}

TEST_P(IdentityStoreContract, AnEntityBelongsToWhatItsNewestEventSaid) {
  two_customers();
  IdentityWrites w;
  w.entities = {entity("case_1", "case"), entity("case_2", "case")};
  w.updates = {RecordUpdate{"case_1", "case", "zendesk", "ce_1", 10'000, 0, {{"status", "\"open\""}}}};
  w.relations = {belongs("case_1", "cus_a", 10'000), belongs("case_2", "cus_a", 10'000)};
  write(w);
  auto records = ok(store().related_records("cus_a", "case"));
  EXPECT_EQ(ids(records), (std::vector<std::string>{"case_1", "case_2"}));
  EXPECT_EQ(records[0].fields.at("status").value_json, "\"open\"");
  EXPECT_TRUE(records[1].fields.empty()) << "no record yet: no fields";
  EXPECT_TRUE(ok(store().related_records("cus_a", "invoice")).empty());
  EXPECT_TRUE(ok(store().related_records("cus_b", "case")).empty());

  // An older event naming another customer changes nothing; a newer one moves the case.
  IdentityWrites older;
  older.relations = {belongs("case_1", "cus_b", 9'000, "ce_0")};
  write(older);
  EXPECT_EQ(ok(store().relations_of("case_1")), (std::vector<IdentityRelation>{belongs("case_1", "cus_a", 10'000)}));
  IdentityWrites newer;
  newer.relations = {belongs("case_1", "cus_b", 11'000, "ce_2")};
  write(newer);
  EXPECT_EQ(ids(ok(store().related_records("cus_a", "case"))), (std::vector<std::string>{"case_2"}));
  EXPECT_EQ(ids(ok(store().related_records("cus_b", "case"))), (std::vector<std::string>{"case_1"}));
  EXPECT_EQ(ok(store().relations_of("case_1")),
            (std::vector<IdentityRelation>{belongs("case_1", "cus_b", 11'000, "ce_2")}));

  // A relation naming an unknown entity writes nothing of its batch.
  IdentityWrites bad;
  bad.entities = {entity("case_3", "case")};
  bad.relations = {belongs("case_3", "cus_missing", 12'000)};
  auto result = store().write(bad, 5000);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, StoreErrc::not_found);
  EXPECT_FALSE(ok(store().load_entity("case_3")).has_value());
}

TEST_P(IdentityStoreContract, AMergeCarriesRelationsFromAndToTheEntityMergedAway) {
  two_customers();
  IdentityWrites w;
  w.entities = {entity("case_1", "case"), entity("case_2", "case")};
  w.relations = {belongs("case_1", "cus_b", 10'000, "ce_1"), belongs("case_2", "cus_a", 12'000, "ce_2")};
  write(w);

  // Relations to the customer merged away now name the survivor.
  ASSERT_TRUE(store().merge("cus_b", "cus_a", "ops", "dup", 1).ok());
  EXPECT_EQ(ids(ok(store().related_records("cus_a", "case"))), (std::vector<std::string>{"case_1", "case_2"}));
  EXPECT_TRUE(ok(store().related_records("cus_b", "case")).empty());
  EXPECT_EQ(ok(store().relations_of("case_1")).at(0).related_id, "cus_a");

  // The relations of a case merged away combine with the survivor's, the newer winning.
  ASSERT_TRUE(store().merge("case_2", "case_1", "ops", "dup", 2).ok());
  EXPECT_EQ(ok(store().relations_of("case_1")),
            (std::vector<IdentityRelation>{belongs("case_1", "cus_a", 12'000, "ce_2")}));
  EXPECT_TRUE(ok(store().relations_of("case_2")).empty());
  EXPECT_EQ(ids(ok(store().related_records("cus_a", "case"))), (std::vector<std::string>{"case_1"}));

  // Writes that still name merged ids land on the survivors.
  IdentityWrites late;
  late.relations = {belongs("case_2", "cus_b", 13'000, "ce_3")};
  write(late);
  EXPECT_EQ(ok(store().relations_of("case_1")),
            (std::vector<IdentityRelation>{belongs("case_1", "cus_a", 13'000, "ce_3")}));
}

INSTANTIATE_TEST_SUITE_P(AllStores, IdentityStoreContract, ::testing::Values(Backend::memory, Backend::sqlite),
                         backend_name);

using SqliteIdentityStoreTest = IdentityStoreContract;

TEST_P(SqliteIdentityStoreTest, EverythingSurvivesAReopen) {
  two_customers();
  IdentityWrites w;
  w.entities = {entity("case_1", "case")};
  w.relations = {belongs("case_1", "cus_b", 10'000)};
  write(w);
  ASSERT_TRUE(store().merge("cus_b", "cus_a", "ops", "dup", 1).ok());
  open();
  EXPECT_EQ(ok(store().find_link("customer", "netsuite", "77"))->canonical_id, "cus_a");
  EXPECT_EQ(ok(store().merges_of("cus_a")).size(), 1u);
  EXPECT_EQ(ok(store().relations_of("case_1")), (std::vector<IdentityRelation>{belongs("case_1", "cus_a", 10'000)}));
}

// A crash or error half-way through a merge: the audit row is its last write, so an insert
// that fails there proves the earlier re-pointing rolled back with it.
TEST_P(SqliteIdentityStoreTest, AMergeThatFailsHalfWayLeavesNothingOfIt) {
  two_customers();
  {
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open((dir_ / "weft.db").string().c_str(), &raw), SQLITE_OK);
    char* message = nullptr;
    const int rc = sqlite3_exec(raw,
                                "CREATE TRIGGER fail_merges BEFORE INSERT ON identity_merges "
                                "BEGIN SELECT RAISE(ABORT, 'injected failure'); END",
                                nullptr, nullptr, &message);
    EXPECT_EQ(rc, SQLITE_OK) << (message ? message : "");
    sqlite3_free(message);
    sqlite3_close(raw);
  }
  auto merge = store().merge("cus_b", "cus_a", "ops", "dup", 1);
  ASSERT_FALSE(merge.ok());
  EXPECT_NE(merge.error().message.find("injected failure"), std::string::npos) << merge.error().message;
  EXPECT_EQ(ok(store().find_link("customer", "netsuite", "77"))->canonical_id, "cus_b");
  EXPECT_EQ(ok(store().load_entity("cus_b"))->merged_into, "");
  const std::vector<std::string> tax{"DE123"};
  EXPECT_EQ(ok(store().find_keys("customer", "tax_id", tax)).at(0).canonical_id, "cus_b");
  EXPECT_TRUE(ok(store().merges_of("cus_b")).empty());
}

// Migration 12 on records written before it, each field with its own copy of its source:
// every field reads back as it was, each source is stored once, and the table keeps its rows.
TEST_P(SqliteIdentityStoreTest, Migration12KeepsEveryFieldAndItsSource) {
  store_.reset();
  {
    test::RawDb db(dir_ / "weft.db");
    db.exec(R"sql(
DROP TABLE canonical_records;
CREATE TABLE canonical_records (
  canonical_id TEXT PRIMARY KEY, kind TEXT NOT NULL, fields_json TEXT NOT NULL,
  updated_at_ms INTEGER NOT NULL) STRICT, WITHOUT ROWID;
INSERT INTO canonical_records VALUES
  ('in_1', 'invoice', '{
     "amount":{"value":7600,"connector":"stripe","event_id":"ce_created","time_ms":1000,"seq":0},
     "lines":{"value":[{"b":1,"a":"x"}],"connector":"stripe","event_id":"ce_created",
              "time_ms":1000,"seq":0},
     "due":{"value":null,"connector":"stripe","event_id":"ce_created","time_ms":1000,"seq":0},
     "paid":{"value":true,"connector":"stripe","event_id":"ce_paid","time_ms":2000,"seq":7},
     "status":{"value":"paid","connector":"stripe","event_id":"ce_paid","time_ms":2000,"seq":7},
     "erp_ref":{"value":"INV-9","connector":"netsuite","event_id":"ce_ns","time_ms":1500,"seq":3}
   }', 2500),
  ('in_2', 'invoice', '{}', 10),
  ('in_3', 'invoice', 'damaged {', 20);
DELETE FROM schema_migrations WHERE version >= 12;
)sql");
  }
  open();

  const auto created = [](std::string value) {
    return FieldState{std::move(value), "stripe", "ce_created", 1000, 0};
  };
  const auto paid = [](std::string value) {
    return FieldState{std::move(value), "stripe", "ce_paid", 2000, 7};
  };
  const std::map<std::string, FieldState> expected{
      {"amount", created("7600")},
      {"lines", created(R"([{"a":"x","b":1}])")},
      {"due", created("null")},
      {"paid", paid("true")},
      {"status", paid(R"("paid")")},
      {"erp_ref", FieldState{R"("INV-9")", "netsuite", "ce_ns", 1500, 3}}};
  const auto in_1 = ok(store().load_record("in_1"));
  ASSERT_TRUE(in_1.has_value());
  EXPECT_EQ(in_1->kind, "invoice");
  EXPECT_EQ(in_1->updated_at_ms, 2500);
  EXPECT_EQ(in_1->fields, expected);
  const auto in_2 = ok(store().load_record("in_2"));
  ASSERT_TRUE(in_2.has_value());
  EXPECT_TRUE(in_2->fields.empty());
  EXPECT_EQ(in_2->updated_at_ms, 10);
  // A damaged value stays as it was, and reads as no fields as it did before.
  const auto in_3 = ok(store().load_record("in_3"));
  ASSERT_TRUE(in_3.has_value());
  EXPECT_TRUE(in_3->fields.empty());

  test::RawDb db(dir_ / "weft.db");
  EXPECT_EQ(db.rows("SELECT json_array_length(fields_json, '$.sources') FROM canonical_records "
                    "WHERE canonical_id IN ('in_1', 'in_2') ORDER BY canonical_id"),
            (std::vector<std::string>{"3", "0"}));
  EXPECT_EQ(db.rows("SELECT fields_json FROM canonical_records WHERE canonical_id = 'in_3'"),
            (std::vector<std::string>{"damaged {"}));
  EXPECT_EQ(db.rows("SELECT sql LIKE '%WITHOUT ROWID%' FROM sqlite_schema "
                    "WHERE name = 'canonical_records'"),
            (std::vector<std::string>{"0"}));

  // Written again by an update, the record keeps the one shape.
  IdentityWrites w;
  w.entities = {IdentityEntity{"in_1", "invoice", 1000, ""}};
  w.updates = {
      RecordUpdate{"in_1", "invoice", "stripe", "ce_void", 3000, 8, {{"status", R"("void")"}}}};
  write(w);
  auto updated = expected;
  updated["status"] = FieldState{R"("void")", "stripe", "ce_void", 3000, 8};
  EXPECT_EQ(ok(store().load_record("in_1"))->fields, updated);
  EXPECT_EQ(db.rows("SELECT json_array_length(fields_json, '$.sources') FROM canonical_records "
                    "WHERE canonical_id = 'in_1'"),
            (std::vector<std::string>{"4"}));
}

INSTANTIATE_TEST_SUITE_P(Durable, SqliteIdentityStoreTest, ::testing::Values(Backend::sqlite), backend_name);

}  // namespace
}  // namespace weft
