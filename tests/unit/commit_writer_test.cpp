// The shared commit writer: lanes whose writes queued during a round share the next round's
// one commit; a lane's failed write fails that lane only, a failed shared commit fails them all.
#include "store/commit_writer.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "store/group_commit.hpp"
#include "weft/manual_clock.hpp"

namespace weft {
namespace {

using Lane = GroupCommit<int, int>;

// What the writer did, in order: lanes' writes ("a:1,2"), shared transactions ("begin",
// "commit"), hooks ("a committed 2").
class Journal {
 public:
  void add(std::string entry) {
    std::lock_guard lock(mutex_);
    entries_.push_back(std::move(entry));
  }
  std::vector<std::string> entries() {
    std::lock_guard lock(mutex_);
    return entries_;
  }

 private:
  std::mutex mutex_;
  std::vector<std::string> entries_;
};

// A lane's write as the journal shows it: "a:1,2".
std::string entry_of(const std::string& lane, std::span<const int> items) {
  std::string entry = lane + ":";
  for (std::size_t i = 0; i < items.size(); ++i) entry += (i ? "," : "") + std::to_string(items[i]);
  return entry;
}

class FakeScope : public WriteScope {
 public:
  FakeScope(Journal& journal, std::optional<StoreError> failure)
      : journal_(journal), failure_(std::move(failure)) {
    journal_.add("begin");
  }
  StoreResult<void> commit() override {
    if (failure_) {
      journal_.add("commit failed");
      return fail(*failure_);
    }
    journal_.add("commit");
    return {};
  }

 private:
  Journal& journal_;
  std::optional<StoreError> failure_;
};

// A gate the first write of lane "a" waits at, so that a test can queue writes behind it.
class Gate {
 public:
  void wait_here() {
    std::unique_lock lock(mutex_);
    reached_ = true;
    changed_.notify_all();
    changed_.wait(lock, [this] { return open_; });
  }
  void wait_until_reached() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [this] { return reached_; });
  }
  void open() {
    std::lock_guard lock(mutex_);
    open_ = true;
    changed_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  bool reached_ = false;
  bool open_ = false;
};

// Counts answers.
struct Answers {
  std::atomic<int> ok{0};
  std::atomic<int> failed{0};
  Lane::Done done() {
    return [this](StoreResult<int> r) { (r.ok() ? ok : failed)++; };
  }
};

// A writer with two lanes, "a" and `second` ("bad" fails every write), whose first round is
// held at the gate while writing a:1, so that a test can queue writes behind it.
struct Fixture {
  explicit Fixture(const std::string& second = "b") : a(lane("a")), b(lane(second)) {
    a->submit(1, first.done());
    gate.wait_until_reached();
  }

  Journal journal;
  Gate gate;
  std::optional<StoreError> commit_failure;
  std::shared_ptr<ManualClock> clock = std::make_shared<ManualClock>();
  CommitWriter writer{[this] { return std::make_unique<FakeScope>(journal, commit_failure); }};
  Answers first;  // a:1's
  // Declared after the writer: they detach from it before it goes.
  std::unique_ptr<Lane> a;
  std::unique_ptr<Lane> b;

 private:
  // A lane whose writes land in the journal; "a" waits at the gate once, "bad" fails.
  std::unique_ptr<Lane> lane(const std::string& name) {
    auto commit = [this, name, gated = name == "a"](
                      std::span<const int> items) mutable -> StoreResult<std::vector<int>> {
      if (gated) {
        gated = false;
        gate.wait_here();
      }
      journal.add(entry_of(name, items));
      if (name == "bad") return fail(StoreError{StoreErrc::conflict, "refused"});
      return std::vector<int>(items.begin(), items.end());
    };
    return std::make_unique<Lane>(
        name, commit, GroupCommitMetrics{}, clock, GroupCommitOptions{}, &writer,
        [this, name](std::size_t n) { journal.add(name + " committed " + std::to_string(n)); });
  }
};

TEST(CommitWriter, WritesQueuedOnSeveralLanesDuringARoundShareTheNextOnesCommit) {
  Fixture f;
  Answers answers;
  f.a->submit(2, answers.done());
  f.a->submit(3, answers.done());
  f.b->submit(10, answers.done());
  f.b->submit(11, answers.done());
  f.gate.open();
  f.writer.stop();
  EXPECT_EQ(f.first.ok, 1);
  EXPECT_EQ(answers.ok, 4);
  EXPECT_EQ(answers.failed, 0);
  // A round with one lane's writes commits them on its own; then both lanes in one commit,
  // each told only once it is durable.
  EXPECT_EQ(f.journal.entries(),
            (std::vector<std::string>{"a:1", "a committed 1", "begin", "a:2,3", "b:10,11", "commit",
                                      "a committed 2", "b committed 2"}));
}

TEST(CommitWriter, ALaneWhoseWriteFailsFailsAloneAndTheOthersCommit) {
  Fixture f("bad");
  Answers good, refused;
  f.a->submit(2, good.done());
  f.b->submit(7, refused.done());
  f.gate.open();
  f.writer.stop();
  EXPECT_EQ(good.ok, 1);
  EXPECT_EQ(refused.failed, 1);
  EXPECT_EQ(f.journal.entries(), (std::vector<std::string>{"a:1", "a committed 1", "begin", "a:2",
                                                           "bad:7", "commit", "a committed 1"}));
}

TEST(CommitWriter, ASharedCommitThatFailsFailsEveryLaneOfItsRound) {
  Fixture f;
  f.commit_failure = StoreError{StoreErrc::unavailable, "disk gone"};
  Answers round;
  f.a->submit(2, round.done());
  f.b->submit(10, round.done());
  f.gate.open();
  f.writer.stop();
  EXPECT_EQ(f.first.ok, 1);  // committed on its own, before
  EXPECT_EQ(round.ok, 0);
  EXPECT_EQ(round.failed, 2);
  EXPECT_EQ(f.journal.entries(), (std::vector<std::string>{"a:1", "a committed 1", "begin", "a:2",
                                                           "b:10", "commit failed"}));
}

TEST(CommitWriter, StoppingWritesWhatEveryLaneHoldsThenRefuses) {
  Fixture f;
  Answers answers;
  for (int i = 0; i < 3; ++i) f.b->submit(i, answers.done());
  std::thread stopper([&] { f.writer.stop(); });
  f.gate.open();
  stopper.join();
  EXPECT_EQ(f.first.ok, 1);
  EXPECT_EQ(answers.ok, 3);
  f.a->submit(5, answers.done());
  f.b->submit(6, answers.done());
  EXPECT_EQ(answers.failed, 2);
}

TEST(CommitWriter, ALaneStoppedAloneIsWrittenOutWhileTheOthersGoOn) {
  Fixture f;
  Answers answers;
  f.a->submit(2, answers.done());
  std::thread stopper([&] { f.a->stop(); });  // returns once a:2 is durable
  f.gate.open();
  stopper.join();
  EXPECT_EQ(answers.ok, 1);
  f.a->submit(3, answers.done());
  EXPECT_EQ(answers.failed, 1);
  f.b->submit(10, answers.done());
  f.b->stop();
  EXPECT_EQ(answers.ok, 2);
  f.a.reset();  // detaches from the writer, which serves the rest
  f.b.reset();
}

// A writer pacing its rounds an hour apart, with one lane "a": nothing can reach a round after
// the first but a full batch or stop.
struct Paced {
  explicit Paced(std::size_t max_batch = GroupCommitOptions{}.max_batch)
      : lane(
            "a",
            [this](std::span<const int> items) -> StoreResult<std::vector<int>> {
              journal.add(entry_of("a", items));
              return std::vector<int>(items.begin(), items.end());
            },
            GroupCommitMetrics{}, std::make_shared<ManualClock>(),
            GroupCommitOptions{.max_batch = max_batch}, &writer) {}

  // Submits `item`; the future is ready once it is durable.
  std::future<void> submit(int item) {
    auto promise = std::make_shared<std::promise<void>>();
    lane.submit(item, [promise](StoreResult<int> r) {
      EXPECT_TRUE(r.ok());
      promise->set_value();
    });
    return promise->get_future();
  }
  static bool ready(std::future<void>& f, std::chrono::seconds within = std::chrono::seconds(60)) {
    return f.wait_for(within) == std::future_status::ready;
  }

  Journal journal;
  CommitWriter writer{{}, CommitWriterOptions{std::chrono::hours(1)}};
  Lane lane;  // after the writer: detaches before it goes
};

TEST(CommitWriter, APacedWriterCommitsAtOnceAfterAQuietSpellAndGathersWhatFollowsIntoOneRound) {
  Paced p;
  auto first = p.submit(1);
  ASSERT_TRUE(Paced::ready(first)) << "the first write after a quiet spell waited for the interval";
  std::vector<std::future<void>> next;
  for (int i = 2; i <= 4; ++i) next.push_back(p.submit(i));
  EXPECT_FALSE(Paced::ready(next[0], std::chrono::seconds(0)));  // the next round is an hour away
  p.writer.stop();  // does not wait for it: writes everything out now
  for (auto& f : next) EXPECT_TRUE(Paced::ready(f, std::chrono::seconds(0)));
  EXPECT_EQ(p.journal.entries(), (std::vector<std::string>{"a:1", "a:2,3,4"}));
}

// A lane stopped on its own (the hub stops ingest and the engine one after the other) holds
// all it ever will: its last writes go without waiting for the interval.
TEST(CommitWriter, ALaneStoppedAloneIsWrittenOutWithoutWaitingForThePacedRound) {
  Paced p;
  auto first = p.submit(1);
  ASSERT_TRUE(Paced::ready(first));
  auto second = p.submit(2);
  auto third = p.submit(3);
  p.lane.stop();  // would take an hour if it waited for the next paced round
  EXPECT_TRUE(Paced::ready(second, std::chrono::seconds(0)));
  EXPECT_TRUE(Paced::ready(third, std::chrono::seconds(0)));
  EXPECT_EQ(p.journal.entries(), (std::vector<std::string>{"a:1", "a:2,3"}));
}

// Pacing never caps a lane: once it has a whole batch queued, the round starts.
TEST(CommitWriter, AFullBatchEndsThePacingWait) {
  Paced p(2);
  auto first = p.submit(1);
  ASSERT_TRUE(Paced::ready(first));
  auto second = p.submit(2);  // half a batch: waits for the interval
  auto third = p.submit(3);   // a whole batch: goes now
  ASSERT_TRUE(Paced::ready(third)) << "a full batch waited for the interval";
  EXPECT_TRUE(Paced::ready(second, std::chrono::seconds(0)));
  EXPECT_EQ(p.journal.entries(), (std::vector<std::string>{"a:1", "a:2,3"}));
}

}  // namespace
}  // namespace weft
