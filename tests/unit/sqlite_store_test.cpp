// The SQLite store through the Store interface, on real files in a temporary directory.

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "weft/store.hpp"
#include "store/memory/memory_store.hpp"
#include "support/process.hpp"
#include "support/raw_event_log.hpp"

namespace weft {
namespace {

namespace fs = std::filesystem;

using test::TempDir;

using test::ids_of;
using test::make_event;
using test::RawDb;

class SqliteStoreTest : public ::testing::Test {
 protected:
  fs::path db_file() const { return dir_.path() / "data" / "weft.db"; }
  std::string url() const { return "sqlite:" + db_file().string(); }

  StorePtr open(const StoreOptions& options = {}) {
    auto store = open_store(url(), options);
    EXPECT_TRUE(store.ok()) << store.error().message;
    return store.ok() ? std::move(store).value() : nullptr;
  }

  TempDir dir_;
};

TEST_F(SqliteStoreTest, OpenCreatesDirectoriesAndAppliesEveryMigration) {
  auto store = open();
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(fs::exists(db_file()));

  auto status = store->schema_status();
  ASSERT_TRUE(status.ok()) << status.error().message;
  EXPECT_GE(status->expected_version, 1);
  EXPECT_EQ(status->current_version, status->expected_version);
  EXPECT_TRUE(status->up_to_date());

  RawDb db(db_file());
  EXPECT_EQ(db.rows("PRAGMA journal_mode"), std::vector<std::string>{"wal"});
  auto applied = db.rows("SELECT version, name, applied_at_ms > 0 FROM schema_migrations");
  ASSERT_EQ(applied.size(), static_cast<std::size_t>(status->expected_version));
  EXPECT_EQ(applied[0], "1|create raw_events|1");
  // The indexes the readers rely on, and no more (each costs every ingest insert); time
  // ranges are ranges of seq (raw_event_filter.hpp).
  EXPECT_EQ(db.rows("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = "
                    "'raw_events' AND sql IS NOT NULL ORDER BY name"),
            (std::vector<std::string>{"raw_events_business_key", "raw_events_unprocessed"}));
}

// A new database gets 8 KiB pages (database.cpp: three raw events to a page); one created with
// another size keeps it, since changing it means rewriting the file (README, operations).
TEST_F(SqliteStoreTest, NewDatabasesGet8KiBPagesAndOthersKeepTheirs) {
  open().reset();
  EXPECT_EQ(RawDb(db_file()).rows("PRAGMA page_size"), std::vector<std::string>{"8192"});

  const fs::path older = dir_.path() / "older.db";
  RawDb(older).exec("PRAGMA page_size = 4096; CREATE TABLE made_by_an_older_build (x);");
  auto store = open_store("sqlite:" + older.string());
  ASSERT_TRUE(store.ok()) << store.error().message;
  store->reset();
  EXPECT_EQ(RawDb(older).rows("PRAGMA page_size"), std::vector<std::string>{"4096"});
}

TEST_F(SqliteStoreTest, ReopeningAppliesNothingTwice) {
  open().reset();
  auto store = open();
  ASSERT_NE(store, nullptr);
  auto status = store->schema_status();
  ASSERT_TRUE(status.ok()) << status.error().message;
  EXPECT_TRUE(status->up_to_date());
  store.reset();
  RawDb db(db_file());
  EXPECT_EQ(db.rows("SELECT count(*) FROM schema_migrations"),
            std::vector<std::string>{std::to_string(status->expected_version)});
}

TEST_F(SqliteStoreTest, RefusesDatabaseFromNewerBuild) {
  open().reset();
  {
    RawDb db(db_file());
    db.exec("INSERT INTO schema_migrations VALUES (999, 'from the future', 1)");
  }
  auto store = open_store(url());
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().code, StoreErrc::internal);
  EXPECT_NE(store.error().message.find("999"), std::string::npos) << store.error().message;
  EXPECT_NE(store.error().message.find("newer"), std::string::npos) << store.error().message;
}

TEST_F(SqliteStoreTest, RefusesFileThatIsNotADatabase) {
  fs::create_directories(db_file().parent_path());
  std::ofstream(db_file()) << std::string(8192, 'x');
  auto store = open_store(url());
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().code, StoreErrc::internal);
}

TEST_F(SqliteStoreTest, AppendTellsInsertedFromDuplicate) {
  auto store = open();
  ASSERT_NE(store, nullptr);
  const std::vector<NewRawEvent> first = {make_event("stripe", "evt_1"),
                                          make_event("stripe", "evt_2"),
                                          make_event("stripe", "evt_1")};  // again, same batch
  auto outcomes = store->append_raw_events(first);
  ASSERT_TRUE(outcomes.ok()) << outcomes.error().message;
  EXPECT_EQ(*outcomes, (std::vector<AppendOutcome>{AppendOutcome::inserted, AppendOutcome::inserted,
                                                   AppendOutcome::duplicate}));

  // The same platform id from another connector is another event.
  const std::vector<NewRawEvent> second = {
      make_event("stripe", "evt_2"), make_event("zendesk", "evt_1"), make_event("stripe", "evt_3")};
  outcomes = store->append_raw_events(second);
  ASSERT_TRUE(outcomes.ok()) << outcomes.error().message;
  EXPECT_EQ(*outcomes,
            (std::vector<AppendOutcome>{AppendOutcome::duplicate, AppendOutcome::inserted,
                                        AppendOutcome::inserted}));

  auto all = store->query_raw_events({});
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(ids_of(*all), (std::vector<std::string>{"evt_1", "evt_2", "evt_1", "evt_3"}));
  EXPECT_TRUE(std::is_sorted(all->begin(), all->end(),
                             [](const auto& a, const auto& b) { return a.seq < b.seq; }));

  auto empty = store->append_raw_events({});
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

TEST_F(SqliteStoreTest, DuplicateKeepsTheFirstCopy) {
  auto store = open();
  ASSERT_NE(store, nullptr);
  NewRawEvent original = make_event("stripe", "evt_1");
  NewRawEvent retry = original;
  retry.body = "a different body";
  ASSERT_TRUE(store->append_raw_events({&original, 1}).ok());
  ASSERT_TRUE(store->append_raw_events({&retry, 1}).ok());
  auto found = store->find_raw_event("stripe", "evt_1");
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->body, original.body);
}

TEST_F(SqliteStoreTest, EventsSurviveReopen) {
  NewRawEvent event = make_event("stripe", "evt_bin", "charge.refunded", "ch_9", 1'700'000'000'123);
  event.body = std::string("\x00\x01\xff{}\x00", 6);  // raw bytes, NULs included
  event.occurred_at_ms = 0;
  event.correlation_id = "";
  {
    auto store = open();
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->append_raw_events({&event, 1}).ok());
  }
  auto store = open();
  ASSERT_NE(store, nullptr);
  auto found = store->find_raw_event("stripe", "evt_bin");
  ASSERT_TRUE(found.ok()) << found.error().message;
  ASSERT_TRUE(found->has_value());
  const RawEvent& got = **found;
  EXPECT_GT(got.seq, 0);
  EXPECT_EQ(got.connector, "stripe");
  EXPECT_EQ(got.event_type, "charge.refunded");
  EXPECT_EQ(got.business_key, "ch_9");
  EXPECT_EQ(got.occurred_at_ms, 0);
  EXPECT_EQ(got.received_at_ms, 1'700'000'000'123);
  EXPECT_EQ(got.correlation_id, "");
  EXPECT_EQ(got.body, event.body);
  EXPECT_FALSE(got.processed_at_ms.has_value());

  auto missing = store->find_raw_event("stripe", "evt_none");
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());
  // A repeat after the restart is still a duplicate.
  auto again = store->append_raw_events({&event, 1});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->at(0), AppendOutcome::duplicate);
}

TEST_F(SqliteStoreTest, DiskFullWritesNothingOfTheBatch) {
  StoreOptions options;
  // 2 MiB of 8 KiB pages: the schema and a few small events fit; the batch below does not (200
  // bodies of 8 KiB, each over a page: 3.2 MB of pages).
  options.max_page_count = 256;
  auto store = open(options);
  ASSERT_NE(store, nullptr);
  const std::vector<NewRawEvent> before = {make_event("stripe", "evt_before")};
  ASSERT_TRUE(store->append_raw_events(before).ok());

  std::vector<NewRawEvent> big;
  for (int i = 0; i < 200; ++i) {
    big.push_back(make_event("stripe", "evt_big_" + std::to_string(i)));
    big.back().body = std::string(8192, static_cast<char>('a' + i % 26));
  }
  big.push_back(make_event("stripe", "evt_before"));  // a duplicate in the batch changes nothing
  auto failed = store->append_raw_events(big);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().code, StoreErrc::full) << failed.error().message;

  auto all = store->query_raw_events({});
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(ids_of(*all), std::vector<std::string>{"evt_before"});
  EXPECT_FALSE(store->find_raw_event("stripe", "evt_big_0")->has_value());
  EXPECT_FALSE(store->find_raw_event("stripe", "evt_big_199")->has_value());

  // The store stays usable: a batch that fits still commits.
  const std::vector<NewRawEvent> after = {make_event("stripe", "evt_after")};
  auto ok = store->append_raw_events(after);
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ(ok->at(0), AppendOutcome::inserted);

  // And after a restart without the quota, the failed batch is still absent and can be retried.
  store.reset();
  store = open();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(ids_of(*store->query_raw_events({})),
            (std::vector<std::string>{"evt_before", "evt_after"}));
  auto retried = store->append_raw_events(big);
  ASSERT_TRUE(retried.ok()) << retried.error().message;
  EXPECT_EQ(retried->front(), AppendOutcome::inserted);
  EXPECT_EQ(retried->back(), AppendOutcome::duplicate);
}

TEST_F(SqliteStoreTest, WalIsCopiedIntoTheDatabaseWhileOpen) {
  // Without checkpoints the WAL would grow for as long as the hub runs. They run in the
  // background, so this waits (bounded) for the database file to receive the events.
  auto store = open();
  ASSERT_NE(store, nullptr);
  const auto initial_size = fs::file_size(db_file());
  constexpr std::uintmax_t kWritten = 20u << 20;  // beyond the 16 MiB that start a checkpoint
  constexpr int kBatches = 40;
  for (int b = 0; b < kBatches; ++b) {
    std::vector<NewRawEvent> batch;
    for (int i = 0; i < 64; ++i) {
      batch.push_back(make_event("stripe", "evt_" + std::to_string(b) + "_" + std::to_string(i)));
      batch.back().body = std::string(8192, 'x');
    }
    ASSERT_TRUE(store->append_raw_events(batch).ok());
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (fs::file_size(db_file()) < initial_size + kWritten / 2 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_GE(fs::file_size(db_file()), initial_size + kWritten / 2);
  EXPECT_EQ(*store->count_unprocessed(), kBatches * 64);
}

TEST_F(SqliteStoreTest, InvalidEventRejectsTheWholeBatch) {
  auto store = open();
  ASSERT_NE(store, nullptr);
  const std::vector<NewRawEvent> batch = {make_event("stripe", "evt_1"), make_event("stripe", "")};
  auto result = store->append_raw_events(batch);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, StoreErrc::invalid_argument);
  EXPECT_TRUE(store->query_raw_events({})->empty());
}

class SqliteStoreQueryTest : public SqliteStoreTest {
 protected:
  void SetUp() override {
    store_ = open();
    ASSERT_NE(store_, nullptr);
    const std::vector<NewRawEvent> events = {
        make_event("stripe", "e1", "invoice.created", "in_1", 1000),
        make_event("stripe", "e2", "invoice.paid", "in_1", 2000),
        make_event("zendesk", "e3", "ticket.created", "tk_1", 3000),
        make_event("stripe", "e4", "invoice.created", "in_2", 4000),
        make_event("zendesk", "e5", "ticket.updated", "tk_1", 5000),
    };
    ASSERT_TRUE(store_->append_raw_events(events).ok());
  }

  std::vector<std::string> ids(const RawEventQuery& query) {
    auto result = store_->query_raw_events(query);
    EXPECT_TRUE(result.ok()) << result.error().message;
    return result.ok() ? ids_of(*result) : std::vector<std::string>{};
  }

  StorePtr store_;
};

using Ids = std::vector<std::string>;

TEST_F(SqliteStoreQueryTest, EachFilterNarrowsTheLog) {
  EXPECT_EQ(ids({}), (Ids{"e1", "e2", "e3", "e4", "e5"}));

  RawEventQuery q;
  q.connector = "zendesk";
  EXPECT_EQ(ids(q), (Ids{"e3", "e5"}));

  q = {};
  q.event_type = "invoice.created";
  EXPECT_EQ(ids(q), (Ids{"e1", "e4"}));

  q = {};
  q.business_key = "in_1";
  EXPECT_EQ(ids(q), (Ids{"e1", "e2"}));

  q = {};
  q.received_from_ms = 2000;  // inclusive
  q.received_to_ms = 4000;    // exclusive
  EXPECT_EQ(ids(q), (Ids{"e2", "e3"}));

  q = {};
  q.connector = "stripe";
  q.event_type = "invoice.created";
  q.received_from_ms = 2000;
  EXPECT_EQ(ids(q), (Ids{"e4"}));

  q = {};
  q.connector = "nobody";
  EXPECT_EQ(ids(q), Ids{});
}

TEST_F(SqliteStoreQueryTest, ProcessedFilterFollowsMarks) {
  auto all = store_->query_raw_events({});
  ASSERT_TRUE(all.ok());
  const std::vector<std::int64_t> seqs = {(*all)[1].seq, (*all)[3].seq};
  ASSERT_TRUE(store_->mark_processed(seqs, 9000).ok());

  RawEventQuery q;
  q.processed = true;
  EXPECT_EQ(ids(q), (Ids{"e2", "e4"}));
  q.processed = false;
  EXPECT_EQ(ids(q), (Ids{"e1", "e3", "e5"}));
  q.connector = "zendesk";
  EXPECT_EQ(ids(q), (Ids{"e3", "e5"}));
}

TEST_F(SqliteStoreQueryTest, KeysetPaginationVisitsEveryEventOnce) {
  RawEventQuery q;
  q.limit = 2;
  std::vector<Ids> pages;
  for (;;) {
    auto page = store_->query_raw_events(q);
    ASSERT_TRUE(page.ok());
    if (page->empty()) break;
    pages.push_back(ids_of(*page));
    q.after_seq = page->back().seq;
  }
  EXPECT_EQ(pages, (std::vector<Ids>{{"e1", "e2"}, {"e3", "e4"}, {"e5"}}));

  q = {};
  q.business_key = "tk_1";
  q.limit = 1;
  auto first = store_->query_raw_events(q);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(ids_of(*first), Ids{"e3"});
  q.after_seq = first->back().seq;
  EXPECT_EQ(ids(q), Ids{"e5"});
}

TEST_F(SqliteStoreTest, QueryLimitIsClampedTo1Through1000) {
  auto store = open();
  ASSERT_NE(store, nullptr);
  std::vector<NewRawEvent> events;
  for (int i = 0; i < 1005; ++i) events.push_back(make_event("stripe", std::to_string(i)));
  ASSERT_TRUE(store->append_raw_events(events).ok());

  RawEventQuery q;
  q.limit = 5000;
  EXPECT_EQ(store->query_raw_events(q)->size(), 1000u);
  q.limit = 0;
  EXPECT_EQ(store->query_raw_events(q)->size(), 1u);
  q.limit = -3;
  EXPECT_EQ(store->query_raw_events(q)->size(), 1u);
  q = {};
  EXPECT_EQ(store->query_raw_events(q)->size(), 100u);  // the default
}

TEST_F(SqliteStoreQueryTest, MarkProcessedCountsDownAndKeepsTheFirstMark) {
  ASSERT_EQ(*store_->count_unprocessed(), 5);
  auto all = store_->query_raw_events({});
  ASSERT_TRUE(all.ok());
  const std::vector<std::int64_t> two = {(*all)[0].seq, (*all)[2].seq};
  ASSERT_TRUE(store_->mark_processed(two, 7000).ok());
  EXPECT_EQ(*store_->count_unprocessed(), 3);

  // Marking again (a redelivery) changes neither the count nor the first time.
  ASSERT_TRUE(store_->mark_processed(two, 8000).ok());
  EXPECT_EQ(*store_->count_unprocessed(), 3);
  auto e1 = store_->find_raw_event("stripe", "e1");
  ASSERT_TRUE(e1.ok() && e1->has_value());
  EXPECT_EQ((*e1)->processed_at_ms, std::optional<std::int64_t>(7000));

  ASSERT_TRUE(store_->mark_processed({}, 8000).ok());
  EXPECT_EQ(*store_->count_unprocessed(), 3);
}

TEST_F(SqliteStoreQueryTest, MarkProcessedOfUnknownSeqChangesNothing) {
  auto all = store_->query_raw_events({});
  ASSERT_TRUE(all.ok());
  const std::vector<std::int64_t> seqs = {(*all)[0].seq, all->back().seq + 1000};
  auto result = store_->mark_processed(seqs, 7000);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, StoreErrc::not_found);
  EXPECT_EQ(*store_->count_unprocessed(), 5);
  EXPECT_FALSE((*store_->find_raw_event("stripe", "e1"))->processed_at_ms.has_value());
}

TEST_F(SqliteStoreTest, ProcessedMarksSurviveReopen) {
  std::int64_t seq = 0;
  {
    auto store = open();
    ASSERT_NE(store, nullptr);
    const std::vector<NewRawEvent> events = {make_event("stripe", "a"), make_event("stripe", "b")};
    ASSERT_TRUE(store->append_raw_events(events).ok());
    seq = (*store->find_raw_event("stripe", "a"))->seq;
    ASSERT_TRUE(store->mark_processed({&seq, 1}, 5000).ok());
  }
  auto store = open();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(*store->count_unprocessed(), 1);
  EXPECT_EQ((*store->find_raw_event("stripe", "a"))->processed_at_ms,
            std::optional<std::int64_t>(5000));
}

TEST_F(SqliteStoreTest, ReadSnapshotSeesOneStateOnItsThreadOnly) {
  auto store = open();
  ASSERT_NE(store, nullptr);
  const NewRawEvent first = make_event("stripe", "evt_1");
  const NewRawEvent second = make_event("stripe", "evt_2");
  ASSERT_TRUE(store->append_raw_events({&first, 1}).ok());

  auto snapshot = store->read_snapshot();
  ASSERT_NE(snapshot, nullptr);
  EXPECT_EQ(store->read_snapshot(), nullptr) << "this thread holds one already";
  auto before = store->query_raw_events({});
  ASSERT_TRUE(before.ok()) << before.error().message;
  EXPECT_EQ(ids_of(*before), (std::vector<std::string>{"evt_1"}));

  // Written meanwhile, by this thread: not in the snapshot, but other threads read it.
  ASSERT_TRUE(store->append_raw_events({&second, 1}).ok());
  auto inside = store->query_raw_events({});
  ASSERT_TRUE(inside.ok()) << inside.error().message;
  EXPECT_EQ(ids_of(*inside), (std::vector<std::string>{"evt_1"}));
  auto found = store->find_raw_event("stripe", "evt_2");
  ASSERT_TRUE(found.ok());
  EXPECT_FALSE(found->has_value());
  std::vector<std::string> elsewhere;
  std::thread([&] {
    if (auto all = store->query_raw_events({}); all.ok()) elsewhere = ids_of(*all);
  }).join();
  EXPECT_EQ(elsewhere, (std::vector<std::string>{"evt_1", "evt_2"}));

  snapshot.reset();
  auto after = store->query_raw_events({});
  ASSERT_TRUE(after.ok()) << after.error().message;
  EXPECT_EQ(ids_of(*after), (std::vector<std::string>{"evt_1", "evt_2"}));
}

TEST(ReadSnapshotTest, StoresWithOneConnectionHaveNone) {
  auto in_memory = open_store("sqlite::memory:");
  ASSERT_TRUE(in_memory.ok()) << in_memory.error().message;
  EXPECT_EQ((*in_memory)->read_snapshot(), nullptr);
  MemoryStore memory;
  EXPECT_EQ(memory.read_snapshot(), nullptr);
}

TEST_F(SqliteStoreTest, ConcurrentAppendsLandExactlyOnce) {
  auto store = open();
  ASSERT_NE(store, nullptr);
  // Every thread submits every event id, in its own order and batching, as webhook retries
  // racing each other would: each id must be inserted by exactly one of them.
  constexpr int kThreads = 4;
  constexpr int kEvents = 400;
  std::atomic<int> inserted{0};
  std::atomic<int> duplicates{0};
  std::atomic<int> errors{0};
  std::atomic<bool> writing{true};
  std::vector<std::thread> writers;
  for (int t = 0; t < kThreads; ++t) {
    writers.emplace_back([&, t] {
      std::vector<int> order(kEvents);
      for (int i = 0; i < kEvents; ++i) order[static_cast<std::size_t>(i)] = i;
      std::shuffle(order.begin(), order.end(), std::mt19937(static_cast<unsigned>(t)));
      const std::size_t batch_size = 7 + static_cast<std::size_t>(t) * 5;
      for (std::size_t begin = 0; begin < order.size(); begin += batch_size) {
        std::vector<NewRawEvent> batch;
        for (std::size_t i = begin; i < std::min(order.size(), begin + batch_size); ++i) {
          batch.push_back(make_event("stripe", "evt_" + std::to_string(order[i])));
        }
        auto outcomes = store->append_raw_events(batch);
        if (!outcomes.ok()) {
          ++errors;
          continue;
        }
        for (auto o : *outcomes) ++(o == AppendOutcome::inserted ? inserted : duplicates);
      }
    });
  }
  // Reads run alongside and always see a consistent, ordered log.
  std::atomic<int> bad_reads{0};
  std::thread reader([&] {
    while (writing) {
      auto page = store->query_raw_events({});
      if (!page.ok() || !std::is_sorted(page->begin(), page->end(),
                                        [](auto& a, auto& b) { return a.seq < b.seq; })) {
        ++bad_reads;
      }
      if (!store->count_unprocessed().ok()) ++bad_reads;
    }
  });
  for (auto& w : writers) w.join();
  writing = false;
  reader.join();

  EXPECT_EQ(errors, 0);
  EXPECT_EQ(bad_reads, 0);
  EXPECT_EQ(inserted, kEvents);
  EXPECT_EQ(duplicates, kEvents * (kThreads - 1));
  EXPECT_EQ(*store->count_unprocessed(), kEvents);
  std::set<std::string> seen;
  RawEventQuery q;
  q.limit = 1000;
  auto all = store->query_raw_events(q);
  ASSERT_TRUE(all.ok());
  for (const auto& e : *all) seen.insert(e.event_id);
  EXPECT_EQ(all->size(), static_cast<std::size_t>(kEvents));
  EXPECT_EQ(seen.size(), static_cast<std::size_t>(kEvents));
}

TEST(OpenStoreTest, AcceptsEverySqliteUrlForm) {
  TempDir dir;
  const std::string abs = (dir.path() / "a" / "one.db").string();
  ASSERT_EQ(abs.front(), '/');
  for (const std::string& url : {"sqlite:" + abs, "sqlite://" + abs, "SQLite://" + abs, abs}) {
    auto store = open_store(url);
    ASSERT_TRUE(store.ok()) << url << ": " << store.error().message;
    const std::vector<NewRawEvent> events = {make_event("stripe", "evt_" + url)};
    ASSERT_TRUE((*store)->append_raw_events(events).ok());
  }
  // All four name the same file.
  auto store = open_store(abs);
  ASSERT_TRUE(store.ok());
  EXPECT_EQ((*store)->query_raw_events({})->size(), 4u);
}

TEST(OpenStoreTest, PostgresIsReservedForALaterBuild) {
  for (const char* url : {"postgres://weft:secret@db/weft", "postgresql://db/weft"}) {
    auto store = open_store(url);
    ASSERT_FALSE(store.ok()) << url;
    EXPECT_EQ(store.error().code, StoreErrc::unavailable);
    EXPECT_EQ(store.error().message, "PostgreSQL storage is not available in this build yet");
  }
}

TEST(OpenStoreTest, RefusesWhatItCannotOpen) {
  for (const char* url : {"", "sqlite:", "sqlite://", "mysql://u:secret@h/db"}) {
    auto store = open_store(url);
    ASSERT_FALSE(store.ok()) << url;
    EXPECT_EQ(store.error().code, StoreErrc::invalid_argument) << url;
    EXPECT_EQ(store.error().message.find("secret"), std::string::npos) << store.error().message;
  }
  TempDir dir;
  StoreOptions options;
  options.synchronous = "off";
  auto store = open_store((dir.path() / "x.db").string(), options);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().code, StoreErrc::invalid_argument);
}

TEST(OpenStoreTest, InMemoryDatabaseKeepsTheContract) {
  auto store = open_store("sqlite::memory:");
  ASSERT_TRUE(store.ok()) << store.error().message;
  Store& s = **store;
  EXPECT_TRUE(s.schema_status()->up_to_date());
  const std::vector<NewRawEvent> events = {make_event("stripe", "evt_1"),
                                           make_event("stripe", "evt_1")};
  EXPECT_EQ(*s.append_raw_events(events),
            (std::vector<AppendOutcome>{AppendOutcome::inserted, AppendOutcome::duplicate}));
  auto found = s.find_raw_event("stripe", "evt_1");
  ASSERT_TRUE(found.ok() && found->has_value());
  const std::int64_t seq = (*found)->seq;
  EXPECT_TRUE(s.mark_processed({&seq, 1}, 5).ok());
  EXPECT_EQ(*s.count_unprocessed(), 0);

  // Each in-memory store is a database of its own.
  auto other = open_store(":memory:");
  ASSERT_TRUE(other.ok()) << other.error().message;
  EXPECT_TRUE((*other)->query_raw_events({})->empty());
}

TEST(OpenStoreTest, SynchronousNormalOpens) {
  TempDir dir;
  StoreOptions options;
  options.synchronous = "normal";
  auto store = open_store((dir.path() / "x.db").string(), options);
  ASSERT_TRUE(store.ok()) << store.error().message;
  const std::vector<NewRawEvent> events = {make_event("stripe", "evt_1")};
  EXPECT_TRUE((*store)->append_raw_events(events).ok());
}

TEST(OpenStoreTest, UnwritableLocationIsUnavailable) {
  TempDir dir;
  const fs::path blocker = dir.path() / "file";
  std::ofstream(blocker) << "not a directory";
  auto store = open_store((blocker / "sub" / "x.db").string());
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().code, StoreErrc::unavailable) << store.error().message;
}

TEST(StoreErrcTest, NamesEveryCode) {
  EXPECT_STREQ(to_string(StoreErrc::unavailable), "unavailable");
  EXPECT_STREQ(to_string(StoreErrc::full), "full");
  EXPECT_STREQ(to_string(StoreErrc::invalid_argument), "invalid_argument");
  EXPECT_STREQ(to_string(StoreErrc::not_found), "not_found");
  EXPECT_STREQ(to_string(StoreErrc::conflict), "conflict");
  EXPECT_STREQ(to_string(StoreErrc::internal), "internal");
}

}  // namespace
}  // namespace weft

namespace weft {
namespace {

// Poll cursors: absent until saved, replaced by the next save, and durable across reopening.
void expect_cursor_contract(Store& store) {
  auto none = store.load_cursor("stripe.events");
  ASSERT_TRUE(none.ok()) << none.error().message;
  EXPECT_FALSE(none->has_value());
  ASSERT_TRUE(store.save_cursor("stripe.events", "evt_1", 1'000).ok());
  ASSERT_TRUE(store.save_cursor("zendesk.tickets", "cursor-a", 1'000).ok());
  ASSERT_TRUE(store.save_cursor("stripe.events", "evt_2", 2'000).ok());
  auto stripe = store.load_cursor("stripe.events");
  ASSERT_TRUE(stripe.ok());
  EXPECT_EQ(stripe->value_or(""), "evt_2");
  auto zendesk = store.load_cursor("zendesk.tickets");
  ASSERT_TRUE(zendesk.ok());
  EXPECT_EQ(zendesk->value_or(""), "cursor-a");
}

TEST_F(SqliteStoreTest, PollCursorsAreReplacedAndSurviveReopen) {
  {
    auto store = open();
    ASSERT_NE(store, nullptr);
    expect_cursor_contract(*store);
  }
  auto store = open();
  ASSERT_NE(store, nullptr);
  auto again = store->load_cursor("stripe.events");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->value_or(""), "evt_2");
}

TEST(MemoryStoreCursorTest, KeepsTheSameContract) {
  MemoryStore store;
  expect_cursor_contract(store);
}

TEST(MemoryStoreCursorTest, InjectedFaultChangesNoCursor) {
  MemoryStore inner;
  FaultInjectingStore store(inner);
  ASSERT_TRUE(store.save_cursor("stripe.events", "evt_1", 1).ok());
  store.fail_with(StoreError{StoreErrc::unavailable, "disk gone"});
  EXPECT_FALSE(store.save_cursor("stripe.events", "evt_2", 2).ok());
  EXPECT_FALSE(store.load_cursor("stripe.events").ok());
  store.fail_with(std::nullopt);
  EXPECT_EQ(store.load_cursor("stripe.events")->value_or(""), "evt_1");
}

}  // namespace
}  // namespace weft
