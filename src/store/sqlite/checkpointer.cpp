#include "store/sqlite/checkpointer.hpp"

#include "core/thread_role.hpp"
#include "weft/log.hpp"

namespace weft::store::sqlite {

namespace {

// A pass that leaves less than this to copy is followed by one with commits held off.
constexpr std::int64_t kCheckpointCatchUpBytes = 1 << 20;
constexpr int kMaxPasses = 4;

}  // namespace

Checkpointer::Checkpointer(Connection connection, std::mutex& writer_mutex, std::int64_t page_bytes)
    : connection_(std::move(connection)),
      writer_mutex_(writer_mutex),
      start_frames_(static_cast<int>(kCheckpointStartBytes / page_bytes)),
      catch_up_frames_(static_cast<int>(kCheckpointCatchUpBytes / page_bytes)),
      limit_frames_(static_cast<int>(kWalLimitBytes / page_bytes)),
      thread_([this] {
        set_thread_role("checkpoint");
        run();
      }) {}

Checkpointer::~Checkpointer() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_one();
  thread_.join();
}

int Checkpointer::on_commit(void* self, sqlite3* /*db*/, const char* /*schema*/, int wal_frames) {
  static_cast<Checkpointer*>(self)->wal_grew(wal_frames);
  return SQLITE_OK;
}

void Checkpointer::wal_grew(int wal_frames) {
  if (wal_frames < start_frames_) return;
  {
    std::lock_guard lock(mutex_);
    if (pending_) return;
    pending_ = true;
  }
  cv_.notify_one();
}

void Checkpointer::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    cv_.wait(lock, [this] { return pending_ || stopping_; });
    if (stopping_) return;
    pending_ = false;
    lock.unlock();
    checkpoint();
    lock.lock();
  }
}

// PASSIVE copies what no reader still needs and waits for no one: commits carry on.
int Checkpointer::passive(int& wal_frames, int& copied) {
  return sqlite3_wal_checkpoint_v2(connection_.get(), nullptr, SQLITE_CHECKPOINT_PASSIVE,
                                   &wal_frames, &copied);
}

void Checkpointer::checkpoint() {
  int wal_frames = 0;
  int copied = 0;
  int rc = passive(wal_frames, copied);
  // The WAL starts over (instead of growing) only when a transaction begins with all of it
  // copied, which the commits landing during a pass prevent. Each further pass copies what
  // they added; once that is little, commits are held off for one short last pass.
  for (int pass = 1; rc == SQLITE_OK && copied < wal_frames && pass < kMaxPasses; ++pass) {
    if (wal_frames - copied <= catch_up_frames_) {
      std::lock_guard lock(writer_mutex_);
      rc = passive(wal_frames, copied);
      break;
    }
    rc = passive(wal_frames, copied);
  }
  if (rc == SQLITE_OK && wal_frames > limit_frames_) {
    // Commits outran the passes. RESTART waits for the current writer (busy timeout), holds
    // new ones off while it copies the rest, and starts the WAL over: its size stays bounded.
    rc = sqlite3_wal_checkpoint_v2(connection_.get(), nullptr, SQLITE_CHECKPOINT_RESTART,
                                   &wal_frames, &copied);
  }
  // BUSY: another checkpoint is running or the writer did not yield in time; the next commit
  // wakes us again. Anything else means the WAL keeps growing: say so.
  if (rc != SQLITE_OK && (rc & 0xff) != SQLITE_BUSY && (rc & 0xff) != SQLITE_LOCKED) {
    const StoreError error = sqlite_error(connection_.get(), rc, "checkpoint");
    log::warn("store.checkpoint_failed", {{"error", error.message}, {"wal_frames", wal_frames}});
  }
}

}  // namespace weft::store::sqlite
