// The WAL write buffer (src/store/sqlite/wal_write_buffer.cpp): what SQLite writes to a WAL
// through it must reach the file before any reader or a crash can need it. Each test uses
// plain SQLite connections with the buffer registered as the default VFS, as Database::open
// registers it.

#include "store/sqlite/wal_write_buffer.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <string>

namespace weft::store::sqlite {
namespace {

class WalWriteBuffer : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(register_wal_write_buffer(), SQLITE_OK);
    ASSERT_STREQ(sqlite3_vfs_find(nullptr)->zName, "weft-wal-buffer");
    dir_ = std::filesystem::temp_directory_path() /
           ("weft-walbuf-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    file_ = (dir_ / "t.db").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  sqlite3* open(const char* synchronous = "FULL") {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open(file_.c_str(), &db), SQLITE_OK);
    exec(db, "PRAGMA journal_mode = WAL");
    exec(db, std::string("PRAGMA synchronous = ") + synchronous);
    exec(db, "PRAGMA wal_autocheckpoint = 0");  // the WAL keeps every frame: readers use it
    return db;
  }
  static void exec(sqlite3* db, const std::string& sql) {
    char* error = nullptr;
    const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
    EXPECT_EQ(rc, SQLITE_OK) << sql << ": " << (error != nullptr ? error : "");
    sqlite3_free(error);
  }
  static std::int64_t scalar(sqlite3* db, const std::string& sql) {
    sqlite3_stmt* stmt = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK) << sql;
    EXPECT_EQ(sqlite3_step(stmt), SQLITE_ROW) << sql;
    const std::int64_t value = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    return value;
  }
  // SQLite's own check of the whole file finds nothing wrong.
  static bool intact(sqlite3* db) {
    return scalar(db,
                  "SELECT count(*) FROM pragma_integrity_check WHERE integrity_check <> 'ok'") == 0;
  }
  // n rows of ~2 KB, in one transaction.
  static void insert_rows(sqlite3* db, int from, int n) {
    exec(db, "WITH RECURSIVE s(v) AS (SELECT " + std::to_string(from) +
                 " UNION ALL SELECT v + 1 FROM s WHERE v < " + std::to_string(from + n - 1) +
                 ") INSERT INTO t (id, body) SELECT v, randomblob(2000) FROM s");
  }

  std::filesystem::path dir_;
  std::string file_;
};

// A reader sees every commit at once, also with synchronous=NORMAL, where SQLite writes the
// commit without a sync that would pass the buffer on.
TEST_F(WalWriteBuffer, AnotherConnectionReadsEachCommitAtOnce) {
  for (const char* synchronous : {"FULL", "NORMAL"}) {
    sqlite3* writer = open(synchronous);
    exec(writer, "DROP TABLE IF EXISTS t; CREATE TABLE t (id INTEGER PRIMARY KEY, body BLOB)");
    sqlite3* reader = open(synchronous);
    int rows = 0;
    for (int round = 0; round < 20; ++round) {
      const int n = 1 + round * 37;  // from one page to more than the buffer holds
      insert_rows(writer, rows + 1, n);
      rows += n;
      ASSERT_EQ(scalar(reader, "SELECT count(*) FROM t"), rows) << synchronous << " " << round;
    }
    EXPECT_TRUE(intact(reader));
    sqlite3_close(reader);
    sqlite3_close(writer);
  }
}

// A transaction that writes some pages twice after they went to the WAL (a small page cache
// spills them) has SQLite write over frames it wrote before: the file must end up with the
// last version.
TEST_F(WalWriteBuffer, FramesWrittenAgainInOneTransactionKeepTheirLastVersion) {
  sqlite3* writer = open("NORMAL");
  exec(writer, "PRAGMA cache_size = 10");
  exec(writer, "CREATE TABLE t (id INTEGER PRIMARY KEY, body BLOB, n INTEGER)");
  insert_rows(writer, 1, 200);
  exec(writer, "BEGIN");
  for (int pass = 1; pass <= 5; ++pass) {
    exec(writer, "UPDATE t SET n = " + std::to_string(pass) + ", body = randomblob(2000)");
  }
  exec(writer, "COMMIT");
  sqlite3* reader = open("NORMAL");
  EXPECT_EQ(scalar(reader, "SELECT count(*) FROM t WHERE n = 5"), 200);
  EXPECT_TRUE(intact(reader));
  sqlite3_close(reader);
  sqlite3_close(writer);
}

// A process that dies in the middle of a transaction (frames in the WAL, and maybe in its
// buffer, without their commit) leaves the committed rows and nothing else.
TEST_F(WalWriteBuffer, AProcessThatDiesMidTransactionLeavesTheCommittedRows) {
  {
    sqlite3* db = open();
    exec(db, "CREATE TABLE t (id INTEGER PRIMARY KEY, body BLOB)");
    insert_rows(db, 1, 100);
    sqlite3_close(db);
  }
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    sqlite3* db = open();
    exec(db, "PRAGMA cache_size = 10");  // pages go to the WAL before the commit
    exec(db, "BEGIN");
    insert_rows(db, 101, 2000);
    ::_exit(0);  // no commit, no close
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  sqlite3* db = open();
  EXPECT_EQ(scalar(db, "SELECT count(*) FROM t"), 100);
  EXPECT_TRUE(intact(db));
  insert_rows(db, 101, 10);
  EXPECT_EQ(scalar(db, "SELECT count(*) FROM t"), 110);
  sqlite3_close(db);
}

// A checkpoint copies what was committed into the database file, and a log that starts over
// (after a checkpoint that empties it) is written from its start again.
TEST_F(WalWriteBuffer, CheckpointsAndALogStartingOverKeepEveryCommit) {
  sqlite3* writer = open();
  exec(writer, "CREATE TABLE t (id INTEGER PRIMARY KEY, body BLOB)");
  int rows = 0;
  for (int round = 0; round < 6; ++round) {
    insert_rows(writer, rows + 1, 300);
    rows += 300;
    exec(writer, round % 2 == 0 ? "PRAGMA wal_checkpoint(TRUNCATE)" : "PRAGMA wal_checkpoint");
  }
  sqlite3_close(writer);
  sqlite3* reader = open();
  EXPECT_EQ(scalar(reader, "SELECT count(*) FROM t"), rows);
  EXPECT_TRUE(intact(reader));
  sqlite3_close(reader);
}

}  // namespace
}  // namespace weft::store::sqlite
