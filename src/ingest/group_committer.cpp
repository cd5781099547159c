#include "ingest/group_committer.hpp"

#include <chrono>

#include "weft/log.hpp"

namespace weft::ingest {

GroupCommitter::GroupCommitter(Store& store, CommitMetrics metrics, ClockPtr clock, Options options)
    : store_(store), metrics_(metrics), clock_(std::move(clock)), options_(options) {
  writer_ = std::thread([this] { run(); });
}

GroupCommitter::~GroupCommitter() { stop(); }

void GroupCommitter::submit(NewRawEvent event, Done done) {
  const char* refused = nullptr;
  {
    std::lock_guard lock(mutex_);
    if (stopping_) {
      refused = "the hub is shutting down";
    } else if (queue_.size() >= options_.max_queue) {
      refused = "ingest queue is full";
    } else {
      queue_.push_back({std::move(event), std::move(done)});
      if (queue_.size() == 1) cv_.notify_one();
      return;
    }
  }
  done(fail(StoreError{StoreErrc::unavailable, refused}));
}

void GroupCommitter::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_one();
  if (writer_.joinable()) writer_.join();
}

void GroupCommitter::run() {
  std::vector<Pending> taken;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and everything queued is committed
      taken.swap(queue_);
    }
    // Commit what was taken in chunks of max_batch; whatever arrives meanwhile waits for the
    // next round, which starts as soon as this commit returns.
    std::vector<Pending> chunk;
    for (std::size_t begin = 0; begin < taken.size(); begin += options_.max_batch) {
      const std::size_t end = std::min(taken.size(), begin + options_.max_batch);
      chunk.assign(std::make_move_iterator(taken.begin() + static_cast<std::ptrdiff_t>(begin)),
                   std::make_move_iterator(taken.begin() + static_cast<std::ptrdiff_t>(end)));
      commit(chunk);
    }
    taken.clear();
  }
}

void GroupCommitter::commit(std::vector<Pending>& batch) {
  std::vector<NewRawEvent> events;
  events.reserve(batch.size());
  for (auto& p : batch) events.push_back(std::move(p.event));

  const auto start = clock_->monotonic();
  auto result = store_.append_raw_events(events);
  const std::chrono::duration<double> took = clock_->monotonic() - start;
  metrics_.commit_seconds.observe(took.count());
  metrics_.batch_size.observe(static_cast<double>(batch.size()));

  if (!result) {
    log::error("ingest.commit_failed", {{"error", result.error().message},
                                        {"code", to_string(result.error().code)},
                                        {"batch", batch.size()}});
    for (auto& p : batch) p.done(fail(result.error()));
    return;
  }
  for (std::size_t i = 0; i < batch.size(); ++i) batch[i].done((*result)[i]);
}

}  // namespace weft::ingest
