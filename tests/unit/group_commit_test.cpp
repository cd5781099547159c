// Group commit: one transaction for many requests, each answered only with its own outcome.
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>

#include "ingest/webhook_ingest.hpp"
#include "store/group_commit.hpp"
#include "store/memory/memory_store.hpp"
#include "weft/manual_clock.hpp"

namespace weft::ingest {
namespace {

// A store whose appends block until released, so a test can pile requests up behind a commit.
class GatedStore : public MemoryStore {
 public:
  StoreResult<std::vector<AppendOutcome>> append_raw_events(std::span<const NewRawEvent> events) override {
    {
      std::unique_lock lock(mutex_);
      ++calls_;
      batches_.push_back(events.size());
      entered_.notify_all();
      released_.wait(lock, [this] { return open_; });
    }
    return MemoryStore::append_raw_events(events);
  }
  void wait_for_calls(int n) {
    std::unique_lock lock(mutex_);
    entered_.wait(lock, [&] { return calls_ >= n; });
  }
  void open() {
    std::lock_guard lock(mutex_);
    open_ = true;
    released_.notify_all();
  }
  std::vector<std::size_t> batches() {
    std::lock_guard lock(mutex_);
    return batches_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable entered_, released_;
  int calls_ = 0;
  bool open_ = false;
  std::vector<std::size_t> batches_;
};

NewRawEvent ev(const std::string& id) {
  NewRawEvent e;
  e.connector = "stripe";
  e.event_id = id;
  e.event_type = "x";
  e.body = "{}";
  return e;
}

struct Fixture {
  metrics::Registry registry;
  metrics::Histogram& seconds = registry.histogram("s", "s", {}, metrics::latency_buckets()).get();
  metrics::Histogram& sizes = registry.histogram("b", "b", {}, metrics::batch_size_buckets()).get();
  std::shared_ptr<ManualClock> clock = std::make_shared<ManualClock>();
};

TEST(GroupCommitter, RequestsQueuedDuringACommitShareTheNextOne) {
  Fixture f;
  GatedStore store;
  RawEventCommitter committer("test", append_to(store), {&f.seconds, &f.sizes}, f.clock, {1024, 1000});
  std::atomic<int> inserted{0}, duplicates{0};
  auto done = [&](StoreResult<AppendOutcome> r) {
    ASSERT_TRUE(r.ok());
    (*r == AppendOutcome::inserted ? inserted : duplicates)++;
  };
  committer.submit(ev("first"), done);
  store.wait_for_calls(1);  // the first commit is in progress and holds the writer
  for (int i = 0; i < 10; ++i) committer.submit(ev("e" + std::to_string(i)), done);
  committer.submit(ev("e3"), done);  // a duplicate inside the same batch
  store.open();
  committer.stop();
  EXPECT_EQ(inserted, 11);
  EXPECT_EQ(duplicates, 1);
  EXPECT_EQ(store.batches(), (std::vector<std::size_t>{1, 11}));
  EXPECT_EQ(f.sizes.count(), 2u);
}

TEST(GroupCommitter, LargeQueuesAreSplitIntoMaxBatch) {
  Fixture f;
  GatedStore store;
  RawEventCommitter committer("test", append_to(store), {&f.seconds, &f.sizes}, f.clock, {4, 1000});
  std::atomic<int> answered{0};
  committer.submit(ev("first"), [&](auto) { ++answered; });
  store.wait_for_calls(1);
  for (int i = 0; i < 10; ++i) committer.submit(ev("e" + std::to_string(i)), [&](auto) { ++answered; });
  store.open();
  committer.stop();
  EXPECT_EQ(answered, 11);
  EXPECT_EQ(store.batches(), (std::vector<std::size_t>{1, 4, 4, 2}));
}

TEST(GroupCommitter, AFailedCommitFailsEveryRequestInIt) {
  Fixture f;
  MemoryStore memory;
  FaultInjectingStore faulty(memory);
  faulty.fail_with(StoreError{StoreErrc::unavailable, "disk gone"});
  RawEventCommitter committer("test", append_to(faulty), {&f.seconds, &f.sizes}, f.clock, {1024, 1000});
  std::atomic<int> failed{0};
  for (int i = 0; i < 5; ++i) {
    committer.submit(ev("e" + std::to_string(i)), [&](StoreResult<AppendOutcome> r) {
      if (!r.ok() && r.error().code == StoreErrc::unavailable) ++failed;
    });
  }
  committer.stop();
  EXPECT_EQ(failed, 5);
  EXPECT_EQ(memory.count_unprocessed().value(), 0);
}

TEST(GroupCommitter, RefusesWhenTheQueueIsFullAndAfterStop) {
  Fixture f;
  GatedStore store;
  RawEventCommitter committer("test", append_to(store), {&f.seconds, &f.sizes}, f.clock, {1024, 2});
  std::atomic<int> refused{0}, ok{0};
  auto done = [&](StoreResult<AppendOutcome> r) { (r.ok() ? ok : refused)++; };
  committer.submit(ev("first"), done);
  store.wait_for_calls(1);
  committer.submit(ev("a"), done);
  committer.submit(ev("b"), done);
  committer.submit(ev("c"), done);  // queue holds two: refused at once
  EXPECT_EQ(refused, 1);
  store.open();
  committer.stop();
  committer.submit(ev("late"), done);
  EXPECT_EQ(refused, 2);
  EXPECT_EQ(ok, 3);
}

}  // namespace
}  // namespace weft::ingest
