#pragma once
// Group commit: concurrent writers queue items; a writer thread (commit_writer.hpp) takes what
// was queued while the previous commit ran and hands it to `commit` as one batch, that is one
// transaction and one fsync; then it answers each item with its own outcome. A writer waits
// only for the commit that contains its item, and under load many share each fsync.
//
// Used for raw events on the ingest path and for workflow transitions in the engine. Given a
// CommitWriter, the group commit is one lane of it and shares its rounds (and their commits)
// with the writer's other lanes; without one it has a writer of its own.
//
// Threads: submit() from any thread; `done` runs on the writer thread (or inline when the
// item is refused), exactly once.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "store/commit_writer.hpp"
#include "weft/clock.hpp"
#include "weft/log.hpp"
#include "weft/metrics.hpp"
#include "weft/store.hpp"

namespace weft {

struct GroupCommitOptions {
  std::size_t max_batch = 1024;   // items per transaction
  std::size_t max_queue = 65536;  // queued items beyond which submit refuses
};

struct GroupCommitMetrics {
  metrics::Histogram* commit_seconds = nullptr;  // optional
  metrics::Histogram* batch_size = nullptr;      // optional
};

template <class Item, class Outcome>
class GroupCommit final : private CommitLane {
 public:
  using Done = std::function<void(StoreResult<Outcome>)>;
  // Writes a batch in one transaction: one outcome per item, in order, or one error for all.
  using CommitFn = std::function<StoreResult<std::vector<Outcome>>(std::span<const Item>)>;
  // Runs once a batch is durable, before its items are answered, with the batch's size.
  using Committed = std::function<void(std::size_t)>;

  // `writer`: the shared writer this is a lane of (it must outlive this); nullptr: one of its
  // own.
  GroupCommit(std::string name, CommitFn commit, GroupCommitMetrics metrics, ClockPtr clock,
              GroupCommitOptions options, CommitWriter* writer = nullptr, Committed committed = {})
      : name_(std::move(name)),
        commit_(std::move(commit)),
        committed_(std::move(committed)),
        metrics_(metrics),
        clock_(std::move(clock)),
        options_(options) {
    if (writer == nullptr) {
      own_writer_ = std::make_unique<CommitWriter>();
      writer = own_writer_.get();
    }
    writer_ = writer;
    writer_->attach(*this);
  }
  ~GroupCommit() override {
    stop();
    writer_->detach(*this);
  }
  GroupCommit(const GroupCommit&) = delete;
  GroupCommit& operator=(const GroupCommit&) = delete;

  void submit(Item item, Done done) {
    const char* refused = nullptr;
    bool full_batch = false;
    {
      std::lock_guard lock(mutex_);
      if (closed_) {
        refused = "shutting down";
      } else if (queue_.size() >= options_.max_queue) {
        refused = "write queue is full";
      } else {
        queue_.push_back({std::move(item), std::move(done)});
        full_batch = queue_.size() == options_.max_batch;
        // The writer was woken for the first one, and is told once that a batch is full.
        if (queue_.size() > 1 && !full_batch) return;
      }
    }
    if (refused == nullptr) {
      writer_->wake(full_batch);
      return;
    }
    done(fail(StoreError{StoreErrc::unavailable, name_ + ": " + refused}));
  }

  // Commits everything already queued, then stops; later submits are refused.
  void stop() {
    {
      std::unique_lock lock(mutex_);
      closed_ = true;
      // Nothing more will come: a paced writer need not wait to gather more of this lane.
      if (!queue_.empty()) {
        lock.unlock();
        writer_->wake(true);
        lock.lock();
      }
      drained_.wait(lock, [this] { return queue_.empty() && !in_round_; });
    }
    if (own_writer_) own_writer_->stop();
  }

 private:
  struct Pending {
    Item item;
    Done done;
  };

  bool take() override {
    std::lock_guard lock(mutex_);
    if (queue_.empty()) return false;
    if (queue_.size() <= options_.max_batch) {
      taken_.swap(queue_);
    } else {
      const auto end = queue_.begin() + static_cast<std::ptrdiff_t>(options_.max_batch);
      taken_.assign(std::make_move_iterator(queue_.begin()), std::make_move_iterator(end));
      queue_.erase(queue_.begin(), end);
    }
    in_round_ = true;
    return true;
  }

  bool has_queued() override {
    std::lock_guard lock(mutex_);
    return !queue_.empty();
  }

  void write() override {
    items_.clear();
    for (Pending& p : taken_) items_.push_back(std::move(p.item));
    started_ = clock_->monotonic();
    result_ = commit_(std::span<const Item>(items_));
  }

  void undone(const StoreError& error) override {
    if (result_ && *result_) result_ = fail(error);
  }

  void deliver() override {
    const std::chrono::duration<double> took = clock_->monotonic() - started_;
    if (metrics_.commit_seconds != nullptr) metrics_.commit_seconds->observe(took.count());
    if (metrics_.batch_size != nullptr)
      metrics_.batch_size->observe(static_cast<double>(taken_.size()));
    const StoreResult<std::vector<Outcome>>& result = *result_;
    if (!result) {
      log::error("store.commit_failed", {{"writer", name_},
                                         {"code", to_string(result.error().code)},
                                         {"error", result.error().message},
                                         {"batch", taken_.size()}});
    } else if (committed_) {
      committed_(taken_.size());
    }
    for (std::size_t i = 0; i < taken_.size(); ++i) {
      if (result) {
        taken_[i].done((*result)[i]);
      } else {
        taken_[i].done(fail(result.error()));
      }
    }
    result_.reset();
    {
      std::lock_guard lock(mutex_);
      taken_.clear();
      in_round_ = false;
    }
    drained_.notify_all();
  }

  void close() override {
    std::lock_guard lock(mutex_);
    closed_ = true;
  }

  std::string name_;
  CommitFn commit_;
  Committed committed_;
  GroupCommitMetrics metrics_;
  ClockPtr clock_;
  GroupCommitOptions options_;
  std::mutex mutex_;
  std::condition_variable drained_;
  std::vector<Pending> queue_;  // guarded by mutex_
  bool closed_ = false;         // guarded by mutex_
  bool in_round_ = false;       // guarded by mutex_: taken_ is being written and answered
  // The round's batch: used by the writer's thread only, between take() and deliver().
  std::vector<Pending> taken_;
  std::vector<Item> items_;
  std::optional<StoreResult<std::vector<Outcome>>> result_;
  std::chrono::steady_clock::time_point started_{};
  CommitWriter* writer_ = nullptr;
  std::unique_ptr<CommitWriter> own_writer_;  // when not given a shared one
};

}  // namespace weft
