#include "store/commit_writer.hpp"

#include <utility>

#include "core/thread_role.hpp"

namespace weft {

CommitWriter::CommitWriter(OpenScope open_scope, CommitWriterOptions options)
    : open_scope_(std::move(open_scope)), options_(options) {
  thread_ = std::thread([this] {
    set_thread_role("commit");
    run();
  });
}

CommitWriter::~CommitWriter() { stop(); }

void CommitWriter::attach(CommitLane& lane) {
  std::lock_guard lock(lanes_mutex_);
  lanes_.push_back(&lane);
}

void CommitWriter::detach(CommitLane& lane) {
  std::lock_guard lock(lanes_mutex_);
  std::erase(lanes_, &lane);
}

void CommitWriter::wake(bool full_batch) {
  bool news = false;
  {
    std::lock_guard lock(mutex_);
    news = !work_ || (full_batch && !full_);
    work_ = true;
    full_ = full_ || full_batch;
  }
  // What the writer knows already it is not woken for again, which matters while it paces:
  // every lane's first write of a round would wake it only to wait on.
  if (news) cv_.notify_one();
}

void CommitWriter::stop() {
  {
    std::lock_guard lock(lanes_mutex_);
    for (CommitLane* lane : lanes_) lane->close();
  }
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    work_ = true;  // one more round: whatever the lanes hold
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void CommitWriter::run() {
  const auto interval = options_.min_interval;
  // As if the last round was long ago: the first one starts at once.
  auto last_start = std::chrono::steady_clock::now() - interval;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      cv_.wait(lock, [this] { return work_ || stopping_; });
      if (!work_) return;  // stopping, and every lane is written out
      // Pacing, which a full batch ends, and stopping, so that the lanes are written out at once.
      if (interval.count() > 0) {
        cv_.wait_until(lock, last_start + interval, [this] { return stopping_ || full_; });
      }
      work_ = false;
      full_ = false;
    }
    last_start = std::chrono::steady_clock::now();
    // What arrives meanwhile waits for the next round, which starts as soon as this one's
    // commit returns, or once the interval since this one started has passed. A lane that held
    // more than a batch has a full one waiting.
    if (round()) {
      std::lock_guard lock(mutex_);
      work_ = true;
      full_ = true;
    }
  }
}

bool CommitWriter::round() {
  std::lock_guard lock(lanes_mutex_);
  std::vector<CommitLane*> taken;
  bool more = false;
  for (CommitLane* lane : lanes_) {
    if (lane->take()) taken.push_back(lane);
    more = more || lane->has_queued();
  }
  if (taken.empty()) return more;
  // Only worth a shared transaction when it is shared.
  auto scope = taken.size() > 1 && open_scope_ ? open_scope_() : nullptr;
  for (CommitLane* lane : taken) lane->write();
  if (scope) {
    if (auto committed = scope->commit(); !committed) {
      for (CommitLane* lane : taken) lane->undone(committed.error());
    }
  }
  for (CommitLane* lane : taken) lane->deliver();
  return more;
}

}  // namespace weft
