#include "store/commit_writer.hpp"

#include <utility>

#include "core/thread_role.hpp"

namespace weft {

CommitWriter::CommitWriter(OpenScope open_scope) : open_scope_(std::move(open_scope)) {
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

void CommitWriter::wake() {
  {
    std::lock_guard lock(mutex_);
    work_ = true;
  }
  cv_.notify_one();
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
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      cv_.wait(lock, [this] { return work_ || stopping_; });
      if (!work_) return;  // stopping, and every lane is written out
      work_ = false;
    }
    // What arrives meanwhile waits for the next round, which starts as soon as this one's
    // commit returns.
    if (round()) {
      std::lock_guard lock(mutex_);
      work_ = true;
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
