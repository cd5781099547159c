#pragma once
// The thread that makes writes durable for one or more group commits (group_commit.hpp), each a
// lane with its own queue: ingest's raw events, the engine's transitions. Each round takes what
// every lane has queued and writes it all in one transaction with one fsync when the store can
// share one (Store::write_scope), so that the writers of a busy hub share their commits instead
// of queueing for the database's writer one after another, each with a commit of its own. A
// lane's write that fails undoes itself only; a shared commit that fails fails every lane of
// the round. Without a shared transaction each lane commits on its own, as before.
//
// Rounds can be paced (CommitWriterOptions::min_interval): under load a round then takes what
// arrived during a few milliseconds instead of during the last fsync, so there are fewer fsyncs
// and a page that several writes change (the tail of a table, an index's newest leaf) is written
// to the log once for all of them, not once per round. A round after a quiet spell starts at
// once, so pacing costs latency only when rounds follow each other closely; and a lane with a
// full batch queued (its max_batch) ends the wait, so pacing never caps a lane's throughput.
//
// Threads: wake() from any thread; the lanes are served on the writer's own thread. Lanes attach
// before their first submit and detach (stopped, drained) before they are destroyed.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "weft/store.hpp"

namespace weft {

// One queue of writes the CommitWriter serves (GroupCommit). Its calls come from the writer's
// thread, in this order within a round: take, then (if it took anything) write, undone when the
// round's shared commit failed, deliver.
class CommitLane {
 public:
  virtual ~CommitLane() = default;
  // Moves the next batch of queued writes into the round; false: nothing queued.
  virtual bool take() = 0;
  // Whether writes are queued still (beyond the batch taken).
  virtual bool has_queued() = 0;
  // Writes the batch taken (inside the round's shared transaction, if there is one).
  virtual void write() = 0;
  // The round's shared commit failed: what write() wrote is undone.
  virtual void undone(const StoreError& error) = 0;
  // Answers each write of the batch with its outcome.
  virtual void deliver() = 0;
  // Refuses writes from now on (the writer is stopping); those queued are still written.
  virtual void close() = 0;
};

struct CommitWriterOptions {
  // The shortest time from the start of one round to the start of the next; what is queued
  // meanwhile waits for the next round. Zero: a round starts as soon as anything is queued.
  std::chrono::microseconds min_interval{0};
};

class CommitWriter {
 public:
  // Opens the transaction a round's lanes share (Store::write_scope); empty, or returning
  // nullptr: each lane commits on its own.
  using OpenScope = std::function<std::unique_ptr<WriteScope>()>;

  explicit CommitWriter(OpenScope open_scope = {}, CommitWriterOptions options = {});
  ~CommitWriter();
  CommitWriter(const CommitWriter&) = delete;
  CommitWriter& operator=(const CommitWriter&) = delete;

  void attach(CommitLane& lane);
  void detach(CommitLane& lane);
  // A lane has something queued; `full_batch`: as much as one round takes from it, or all the
  // lane will ever hold (it is stopping), so a paced round need not wait any longer.
  void wake(bool full_batch = false);
  // Closes every lane, writes what they hold, and stops the thread.
  void stop();

 private:
  void run();
  bool round();  // whether writes are left for another round

  OpenScope open_scope_;
  const CommitWriterOptions options_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool work_ = false;      // guarded by mutex_
  bool full_ = false;      // guarded by mutex_: a lane has a full batch queued
  bool stopping_ = false;  // guarded by mutex_
  // Held for a whole round: a lane detaches between rounds only.
  std::mutex lanes_mutex_;
  std::vector<CommitLane*> lanes_;  // guarded by lanes_mutex_
  std::thread thread_;              // last: starts once everything above is ready
};

}  // namespace weft
