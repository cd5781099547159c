// Time ranges of the event log (store/sqlite/raw_event_filter.hpp): receive times never decrease
// along seq, so a range of times is a range of seq, found by binary search.

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <limits>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "store/memory/memory_store.hpp"
#include "store/sqlite/database.hpp"
#include "store/sqlite/raw_event_filter.hpp"
#include "support/process.hpp"
#include "support/raw_event_log.hpp"
#include "weft/store.hpp"

namespace weft {
namespace {

using test::ids_of;
using test::make_event;
using test::RawDb;
using Ids = std::vector<std::string>;

class RawEventTimeRangeTest : public ::testing::Test {
 protected:
  std::filesystem::path db_file() const { return dir_.path() / "weft.db"; }

  StorePtr open() {
    auto store = open_store("sqlite:" + db_file().string());
    EXPECT_TRUE(store.ok()) << store.error().message;
    return store.ok() ? std::move(store).value() : nullptr;
  }

  test::TempDir dir_;
};

// Receive times never decrease along the log, in every store: what time ranges rely on.
void expect_receive_times_in_log_order(Store& store) {
  const std::vector<NewRawEvent> first = {make_event("stripe", "a", "t", "k", 5000),
                                          make_event("stripe", "b", "t", "k", 4000)};
  ASSERT_TRUE(store.append_raw_events(first).ok());
  const std::vector<NewRawEvent> later = {make_event("stripe", "c", "t", "k", 3000),
                                          make_event("stripe", "d", "t", "k", 6000)};
  ASSERT_TRUE(store.append_raw_events(later).ok());
  auto all = store.query_raw_events({});
  ASSERT_TRUE(all.ok()) << all.error().message;
  std::vector<std::int64_t> times;
  for (const auto& e : *all) times.push_back(e.received_at_ms);
  EXPECT_EQ(times, (std::vector<std::int64_t>{5000, 5000, 5000, 6000}));

  RawEventQuery q;
  q.received_from_ms = 5000;
  q.received_to_ms = 6000;
  auto range = store.query_raw_events(q);
  ASSERT_TRUE(range.ok());
  EXPECT_EQ(ids_of(*range), (Ids{"a", "b", "c"}));
}

TEST_F(RawEventTimeRangeTest, ReceiveTimesNeverDecreaseAlongTheLog) {
  auto store = open();
  ASSERT_NE(store, nullptr);
  expect_receive_times_in_log_order(*store);
}

TEST(MemoryStoreTest, ReceiveTimesNeverDecreaseAlongTheLog) {
  MemoryStore store;
  expect_receive_times_in_log_order(store);
}

// Time ranges are found by binary search over seq: every range of a log with gaps in seq
// (deleted events) and many events per millisecond gives what a scan of the times gives.
TEST_F(RawEventTimeRangeTest, TimeRangesMatchAScanOfTheLog) {
  auto store = open();
  ASSERT_NE(store, nullptr);
  std::mt19937 random(7);
  std::vector<NewRawEvent> events;
  std::int64_t at = 1000;
  for (int i = 0; i < 300; ++i) {
    at += static_cast<std::int64_t>(random() % 3);  // often the same millisecond
    events.push_back(make_event("stripe", "e" + std::to_string(i), i % 2 == 0 ? "even" : "odd",
                                "k", at));
  }
  ASSERT_TRUE(store->append_raw_events(events).ok());
  {
    RawDb db(db_file());
    db.exec("DELETE FROM raw_events WHERE seq % 7 = 0 OR seq BETWEEN 100 AND 140");
  }
  RawEventQuery everything;
  everything.limit = 1000;
  auto all = store->query_raw_events(everything);
  ASSERT_TRUE(all.ok());
  ASSERT_GT(all->size(), 200u);

  auto scan = [&](std::optional<std::int64_t> from, std::optional<std::int64_t> to,
                  std::optional<std::string> type) {
    Ids out;
    for (const auto& e : *all) {
      if (from && e.received_at_ms < *from) continue;
      if (to && e.received_at_ms >= *to) continue;
      if (type && e.event_type != *type) continue;
      out.push_back(e.event_id);
    }
    return out;
  };
  for (std::int64_t from = 995; from <= at + 5; from += 3) {
    for (std::int64_t to : {from, from + 1, from + 17, at + 10}) {
      RawEventQuery q;
      q.limit = 1000;
      q.received_from_ms = from;
      q.received_to_ms = to;
      auto found = store->query_raw_events(q);
      ASSERT_TRUE(found.ok()) << found.error().message;
      EXPECT_EQ(ids_of(*found), scan(from, to, std::nullopt)) << from << ".." << to;
    }
    RawEventQuery q;
    q.limit = 1000;
    q.received_from_ms = from;
    q.event_type = "odd";
    EXPECT_EQ(ids_of(*store->query_raw_events(q)), scan(from, std::nullopt, "odd")) << from;
    q = {};
    q.limit = 1000;
    q.received_to_ms = from;
    EXPECT_EQ(ids_of(*store->query_raw_events(q)), scan(std::nullopt, from, std::nullopt)) << from;
  }
}

// The queries above stay exact even with loose seq bounds (they also test the times): the bound
// itself must be the first event at or after the time, not merely one before it.
TEST_F(RawEventTimeRangeTest, SeqBoundIsTheFirstEventReceivedAtOrAfterTheTime) {
  auto store = open();
  ASSERT_NE(store, nullptr);
  std::vector<NewRawEvent> events;
  for (int i = 0; i < 200; ++i) {
    events.push_back(make_event("stripe", "e" + std::to_string(i), "t", "k", 1000 + i / 3));
  }
  ASSERT_TRUE(store->append_raw_events(events).ok());
  store.reset();
  {
    RawDb db(db_file());
    db.exec("DELETE FROM raw_events WHERE seq % 5 = 0 OR seq BETWEEN 60 AND 90");
  }
  RawDb db(db_file());
  std::vector<std::pair<std::int64_t, std::int64_t>> stored;  // (seq, received_at_ms)
  for (const std::string& row : db.rows("SELECT seq, received_at_ms FROM raw_events ORDER BY seq")) {
    const auto bar = row.find('|');
    stored.emplace_back(std::stoll(row.substr(0, bar)), std::stoll(row.substr(bar + 1)));
  }
  auto database = store::sqlite::Database::open(db_file(), StoreOptions{});
  ASSERT_TRUE(database.ok()) << database.error().message;
  auto [lock, connection] = (*database)->reader();
  for (std::int64_t at = 990; at <= 1080; ++at) {
    std::int64_t expected = std::numeric_limits<std::int64_t>::max();
    for (const auto& [seq, received] : stored) {
      if (received >= at) {
        expected = seq;
        break;
      }
    }
    auto found = store::sqlite::first_seq_received_at_or_after(connection, at);
    ASSERT_TRUE(found.ok()) << found.error().message;
    EXPECT_EQ(*found, expected) << "at " << at;
  }
}

TEST_F(RawEventTimeRangeTest, TimeRangeOfAnEmptyLogIsEmpty) {
  auto store = open();
  ASSERT_NE(store, nullptr);
  RawEventQuery q;
  q.received_from_ms = 0;
  q.received_to_ms = 10'000;
  auto found = store->query_raw_events(q);
  ASSERT_TRUE(found.ok()) << found.error().message;
  EXPECT_TRUE(found->empty());
}

// Migration 11 on a log written before it: out-of-order receive times take the latest time
// before them, and the time and type indexes go.
TEST_F(RawEventTimeRangeTest, MigrationPutsEarlierReceiveTimesInLogOrder) {
  open().reset();
  {
    RawDb db(db_file());
    db.exec("CREATE INDEX raw_events_type_received ON raw_events (event_type, received_at_ms);"
            "CREATE INDEX raw_events_received ON raw_events (received_at_ms);"
            "DELETE FROM schema_migrations WHERE version >= 11;");
    for (const auto& [id, at] : {std::pair{"a", 2000}, {"b", 1990}, {"c", 2010}, {"d", 1000}}) {
      db.exec(std::string("INSERT INTO raw_events (connector, event_id, event_type, business_key, "
                          "occurred_at_ms, received_at_ms, correlation_id, body) VALUES "
                          "('stripe', '") + id + "', 't', 'k', 0, " + std::to_string(at) + ", 'c', x'7b7d')");
    }
  }
  auto store = open();
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(store->schema_status()->up_to_date());
  store.reset();
  RawDb db(db_file());
  EXPECT_EQ(db.rows("SELECT event_id, received_at_ms FROM raw_events ORDER BY seq"),
            (std::vector<std::string>{"a|2000", "b|2000", "c|2010", "d|2010"}));
  EXPECT_EQ(db.rows("SELECT count(*) FROM sqlite_master WHERE name IN "
                    "('raw_events_type_received', 'raw_events_received')"),
            std::vector<std::string>{"0"});
}

}  // namespace
}  // namespace weft
