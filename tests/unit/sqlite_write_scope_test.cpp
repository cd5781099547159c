// Store::write_scope on SQLite: the writes of every store of one database, made on the scope's
// thread, share one transaction and become durable and visible together, at its commit; each
// write keeps its own all or nothing (a savepoint).
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "store/memory/memory_store.hpp"
#include "store/sqlite/database.hpp"
#include "support/process.hpp"
#include "support/raw_event_log.hpp"
#include "weft/api_store.hpp"
#include "weft/workflow_store.hpp"

namespace weft {
namespace {

namespace fs = std::filesystem;
using test::ids_of;
using test::make_event;
using test::TempDir;

class SqliteWriteScopeTest : public ::testing::Test {
 protected:
  Storage open() {
    auto storage = open_storage("sqlite:" + (dir_.path() / "weft.db").string());
    EXPECT_TRUE(storage.ok()) << storage.error().message;
    return std::move(storage).value();
  }

  // The raw events' ids as another thread (the console, the mapping stage) reads them.
  static std::vector<std::string> seen_elsewhere(Store& store) {
    std::vector<std::string> ids;
    std::thread([&] {
      if (auto all = store.query_raw_events({}); all.ok()) ids = ids_of(*all);
    }).join();
    return ids;
  }

  static std::size_t audit_records(ApiStore& api) {
    auto records = api.query_audit({});
    EXPECT_TRUE(records.ok()) << records.error().message;
    return records.ok() ? records->size() : 0;
  }

  static AuditRecord audit(std::string action) {
    AuditRecord record;
    record.at_ms = 1000;
    record.actor = "cli:test";
    record.action = std::move(action);
    record.target = "t";
    return record;
  }

  TempDir dir_;
};

TEST_F(SqliteWriteScopeTest,
       WritesOfEveryStoreInTheScopeBecomeDurableAndVisibleTogetherAtItsCommit) {
  Storage s = open();
  auto scope = s.events->write_scope();
  ASSERT_NE(scope, nullptr);
  EXPECT_EQ(s.events->write_scope(), nullptr) << "this thread holds one already";

  const NewRawEvent event = make_event("stripe", "evt_1");
  auto appended = s.events->append_raw_events({&event, 1});
  ASSERT_TRUE(appended.ok()) << appended.error().message;
  ASSERT_TRUE(s.api->append_audit(audit("replay")).ok());
  EXPECT_TRUE(seen_elsewhere(*s.events).empty()) << "nothing is committed before the scope is";

  ASSERT_TRUE(scope->commit().ok());
  EXPECT_EQ(seen_elsewhere(*s.events), (std::vector<std::string>{"evt_1"}));
  EXPECT_EQ(audit_records(*s.api), 1u);

  // Reopened: the commit was durable.
  s = Storage{};
  Storage reopened = open();
  EXPECT_EQ(seen_elsewhere(*reopened.events), (std::vector<std::string>{"evt_1"}));
  EXPECT_EQ(audit_records(*reopened.api), 1u);
}

TEST_F(SqliteWriteScopeTest, AScopeEndedWithoutItsCommitUndoesEverythingWrittenInIt) {
  Storage s = open();
  {
    auto scope = s.events->write_scope();
    ASSERT_NE(scope, nullptr);
    const NewRawEvent event = make_event("stripe", "evt_1");
    ASSERT_TRUE(s.events->append_raw_events({&event, 1}).ok());
    ASSERT_TRUE(s.api->append_audit(audit("replay")).ok());
  }
  EXPECT_TRUE(seen_elsewhere(*s.events).empty());
  EXPECT_EQ(audit_records(*s.api), 0u);
  // The writer is free again, for this thread and the others.
  const NewRawEvent later = make_event("stripe", "evt_2");
  ASSERT_TRUE(s.events->append_raw_events({&later, 1}).ok());
  EXPECT_EQ(seen_elsewhere(*s.events), (std::vector<std::string>{"evt_2"}));
}

TEST_F(SqliteWriteScopeTest, AWriteThatFailsInTheScopeLeavesTheOthersToCommit) {
  Storage s = open();
  ApiKeyRecord key{"key_1", "ops", "support-ops", std::string(64, 'a'), 1000, 0};
  ASSERT_TRUE(s.api->create_key(key, audit("key.create")).ok());

  auto scope = s.events->write_scope();
  ASSERT_NE(scope, nullptr);
  const NewRawEvent event = make_event("stripe", "evt_1");
  ASSERT_TRUE(s.events->append_raw_events({&event, 1}).ok());
  auto again = s.api->create_key(key, audit("key.create"));
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, StoreErrc::conflict);
  ASSERT_TRUE(s.api->append_audit(audit("replay")).ok());
  ASSERT_TRUE(scope->commit().ok());

  EXPECT_EQ(seen_elsewhere(*s.events), (std::vector<std::string>{"evt_1"}));
  EXPECT_EQ(audit_records(*s.api), 2u);  // the first key's, and the replay's
}

// At the connection: a write that fails half-way undoes its own first half only.
TEST_F(SqliteWriteScopeTest, ATransactionInTheScopeIsASavepoint) {
  using store::sqlite::Database;
  using store::sqlite::Transaction;
  auto database = Database::open(dir_.path() / "probe.db", {});
  ASSERT_TRUE(database.ok()) << database.error().message;
  Database& db = **database;
  {
    auto [lock, writer] = db.writer();
    ASSERT_TRUE(writer.exec("CREATE TABLE probe(x INTEGER)", "create").ok());
  }
  auto write = [&db](const char* sql, bool commit) {
    auto [lock, writer] = db.writer();  // lent without locking again: the scope holds it
    Transaction tx(writer);
    ASSERT_TRUE(tx.begin_immediate().ok());
    ASSERT_TRUE(writer.exec(sql, "insert").ok());
    if (commit) {
      ASSERT_TRUE(tx.commit().ok());
    }
  };
  auto rows = [&db] {
    std::vector<int> xs;
    std::thread([&] {
      auto [lock, reader] = db.reader();
      auto stmt = reader.prepare("SELECT x FROM probe ORDER BY x");
      ASSERT_TRUE(stmt.ok());
      while (stmt->step() == SQLITE_ROW) xs.push_back(static_cast<int>(stmt->column_int(0)));
      stmt->reset();
    }).join();
    return xs;
  };

  auto scope = db.write_scope();
  ASSERT_NE(scope, nullptr);
  write("INSERT INTO probe VALUES (1)", true);
  write("INSERT INTO probe VALUES (2), (3)", false);  // ends without its commit: undone
  write("INSERT INTO probe VALUES (4)", true);
  EXPECT_TRUE(rows().empty());
  ASSERT_TRUE(scope->commit().ok());
  EXPECT_FALSE(scope->commit().ok()) << "a scope commits once";
  EXPECT_EQ(rows(), (std::vector<int>{1, 4}));
}

TEST(WriteScopeTest, StoresWithNothingToShareHaveNone) {
  MemoryStore memory;
  EXPECT_EQ(memory.write_scope(), nullptr);
}

}  // namespace
}  // namespace weft
