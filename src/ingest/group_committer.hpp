#pragma once
// Group commit for the ingest path. Concurrent webhooks queue their raw events here; one
// writer thread takes everything queued, writes it in ONE transaction with ONE fsync, then
// answers each request. A request therefore waits only for the commit that contains it, and
// under load many requests share each fsync (see weft_storage_commit_batch_size).
//
// Threads: submit() from any thread; `done` runs on the writer thread (or inline when the
// event is refused), exactly once.

#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "weft/clock.hpp"
#include "weft/metrics.hpp"
#include "weft/store.hpp"

namespace weft::ingest {

struct CommitMetrics {
  metrics::Histogram& commit_seconds;
  metrics::Histogram& batch_size;
};

class GroupCommitter {
 public:
  using Done = std::function<void(StoreResult<AppendOutcome>)>;
  struct Options {
    std::size_t max_batch = 1024;   // events per transaction
    std::size_t max_queue = 65536;  // queued events beyond which submit refuses (503)
  };

  GroupCommitter(Store& store, CommitMetrics metrics, ClockPtr clock, Options options);
  ~GroupCommitter();  // stop()
  GroupCommitter(const GroupCommitter&) = delete;
  GroupCommitter& operator=(const GroupCommitter&) = delete;

  void submit(NewRawEvent event, Done done);
  // Commits everything already queued, then stops; later submits are refused.
  void stop();

 private:
  struct Pending {
    NewRawEvent event;
    Done done;
  };
  void run();
  void commit(std::vector<Pending>& batch);

  Store& store_;
  CommitMetrics metrics_;
  ClockPtr clock_;
  Options options_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<Pending> queue_;
  bool stopping_ = false;
  std::thread writer_;
};

}  // namespace weft::ingest
