#pragma once
// Runs a function after a delay without blocking the caller: the sandbox's injected latency
// delays answers this way, so network threads never sleep. TimerThread is the real one;
// tests pass a fake that records the delays and runs the functions when told.
//
// Threads: after() from any thread; the function runs on the timer's thread.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

namespace weft::sandbox {

class Scheduler {
 public:
  virtual ~Scheduler() = default;
  virtual void after(std::chrono::milliseconds delay, std::function<void()> task) = 0;
};

class TimerThread final : public Scheduler {
 public:
  TimerThread();
  ~TimerThread() override;  // stop()
  TimerThread(const TimerThread&) = delete;
  TimerThread& operator=(const TimerThread&) = delete;

  void after(std::chrono::milliseconds delay, std::function<void()> task) override;
  // Runs every task still waiting at once (their answers go out early), then joins.
  void stop();

 private:
  void run();
  std::mutex mutex_;
  std::condition_variable changed_;
  std::multimap<std::chrono::steady_clock::time_point, std::function<void()>> tasks_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace weft::sandbox
