#pragma once
// PeriodicTask: runs a function on a thread of its own, at once and then every `interval`, until
// stop(). The hub's background loops that only repeat one thing (the overview's sampling, the
// SLO evaluation) share it; stop() wakes the wait at once instead of letting it run out.
//
// Threads: start() and stop() from the owner's thread; the function runs on the task's thread,
// never twice at a time.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace weft {

class PeriodicTask {
 public:
  PeriodicTask() = default;
  PeriodicTask(const PeriodicTask&) = delete;
  PeriodicTask& operator=(const PeriodicTask&) = delete;
  ~PeriodicTask() { stop(); }

  // Starts the thread; a second start() while one runs does nothing.
  void start(std::chrono::milliseconds interval, std::function<void()> run);
  // Waits for a run in progress to finish, then ends the thread. Idempotent.
  void stop();

 private:
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace weft
