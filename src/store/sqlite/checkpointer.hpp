#pragma once
// Copies the WAL back into the database file on a thread and connection of its own, never
// inside a commit: a commit that also checkpointed would hold up every writer waiting on it for
// tens of milliseconds. The WAL therefore runs ahead of the database file by some MiB
// (kCheckpointStartBytes). SQLite starts a WAL over only when a write begins with all of it
// copied, so the checkpointer ends with a short pass (about 1 MiB) during which it holds
// commits off; a WAL that still outgrows its limit gets a blocking checkpoint, which bounds its
// size whatever the load.
//
// Threads: on_commit runs on the writer's thread (registered with sqlite3_wal_hook); the rest
// runs on the checkpointer's own thread. The owner must unregister the hook before destroying
// the checkpointer.

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

#include "store/sqlite/sqlite_handle.hpp"

namespace weft::store::sqlite {

// The background checkpointer starts when the WAL holds this much, and blocks writers to
// start the WAL over when it holds more than the limit (also the size it is truncated to).
inline constexpr std::int64_t kCheckpointStartBytes = 16 << 20;
inline constexpr std::int64_t kWalLimitBytes = 64 << 20;

class Checkpointer {
 public:
  // `writer_mutex` guards the writer connection; the last pass of a checkpoint holds it.
  Checkpointer(Connection connection, std::mutex& writer_mutex, std::int64_t page_bytes);
  ~Checkpointer();
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;

  // sqlite3_wal_hook's callback: runs on the writer's thread after each commit, so it only
  // wakes the checkpointer. Registering it also turns SQLite's inline auto-checkpoint off.
  static int on_commit(void* self, sqlite3* db, const char* schema, int wal_frames);

 private:
  void wal_grew(int wal_frames);
  void run();
  int passive(int& wal_frames, int& copied);
  void checkpoint();

  Connection connection_;  // used by thread_ only
  std::mutex& writer_mutex_;
  const int start_frames_;
  const int catch_up_frames_;
  const int limit_frames_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool pending_ = false;   // guarded by mutex_
  bool stopping_ = false;  // guarded by mutex_
  std::thread thread_;     // last: starts once everything above is ready
};

}  // namespace weft::store::sqlite
