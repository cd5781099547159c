#pragma once
// Group commit: concurrent writers queue items; one writer thread takes everything queued
// while the previous commit ran and hands it to `commit` as one batch, that is one
// transaction and one fsync; then it answers each item with its own outcome. A writer waits
// only for the commit that contains its item, and under load many share each fsync.
//
// Used for raw events on the ingest path and for workflow transitions in the engine.
//
// Threads: submit() from any thread; `done` runs on the writer thread (or inline when the
// item is refused), exactly once.

#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "core/thread_role.hpp"
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
class GroupCommit {
 public:
  using Done = std::function<void(StoreResult<Outcome>)>;
  // Writes a batch in one transaction: one outcome per item, in order, or one error for all.
  using CommitFn = std::function<StoreResult<std::vector<Outcome>>(std::span<const Item>)>;

  GroupCommit(std::string name, CommitFn commit, GroupCommitMetrics metrics, ClockPtr clock,
              GroupCommitOptions options)
      : name_(std::move(name)), commit_(std::move(commit)), metrics_(metrics),
        clock_(std::move(clock)), options_(options) {
    writer_ = std::thread([this] {
      set_thread_role("commit");
      run();
    });
  }
  ~GroupCommit() { stop(); }
  GroupCommit(const GroupCommit&) = delete;
  GroupCommit& operator=(const GroupCommit&) = delete;

  void submit(Item item, Done done) {
    const char* refused = nullptr;
    {
      std::lock_guard lock(mutex_);
      if (stopping_) {
        refused = "shutting down";
      } else if (queue_.size() >= options_.max_queue) {
        refused = "write queue is full";
      } else {
        queue_.push_back({std::move(item), std::move(done)});
        if (queue_.size() == 1) cv_.notify_one();
        return;
      }
    }
    done(fail(StoreError{StoreErrc::unavailable, name_ + ": " + refused}));
  }

  // Commits everything already queued, then stops; later submits are refused.
  void stop() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    cv_.notify_one();
    if (writer_.joinable()) writer_.join();
  }

 private:
  struct Pending {
    Item item;
    Done done;
  };

  void run() {
    std::vector<Pending> taken;
    std::vector<Item> items;
    for (;;) {
      {
        std::unique_lock lock(mutex_);
        cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) return;  // stopping, and everything queued is committed
        taken.swap(queue_);
      }
      // What arrives meanwhile waits for the next round, which starts as soon as this
      // commit returns.
      for (std::size_t begin = 0; begin < taken.size(); begin += options_.max_batch) {
        const std::size_t end = std::min(taken.size(), begin + options_.max_batch);
        items.clear();
        for (std::size_t i = begin; i < end; ++i) items.push_back(std::move(taken[i].item));
        const auto start = clock_->monotonic();
        auto result = commit_(std::span<const Item>(items));
        const std::chrono::duration<double> took = clock_->monotonic() - start;
        if (metrics_.commit_seconds != nullptr) metrics_.commit_seconds->observe(took.count());
        if (metrics_.batch_size != nullptr) metrics_.batch_size->observe(static_cast<double>(end - begin));
        if (!result) {
          log::error("store.commit_failed", {{"writer", name_},
                                             {"code", to_string(result.error().code)},
                                             {"error", result.error().message},
                                             {"batch", end - begin}});
        }
        for (std::size_t i = begin; i < end; ++i) {
          if (result) {
            taken[i].done((*result)[i - begin]);
          } else {
            taken[i].done(fail(result.error()));
          }
        }
      }
      taken.clear();
    }
  }

  std::string name_;
  CommitFn commit_;
  GroupCommitMetrics metrics_;
  ClockPtr clock_;
  GroupCommitOptions options_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<Pending> queue_;
  bool stopping_ = false;
  std::thread writer_;
};

}  // namespace weft
