#pragma once
// A fixed pool of threads for blocking work (storage reads for endpoints, engine steps),
// so that network threads never block. The queue is bounded: try_submit refuses work when
// full, and the caller answers "busy" instead of queueing without limit.

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace weft {

class WorkerPool {
 public:
  WorkerPool(std::string name, int threads, std::size_t max_queue);
  ~WorkerPool();  // finishes queued work, then joins
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // False when the queue is full or the pool is stopping; the task is then not run.
  bool try_submit(std::function<void()> task);
  void stop();

 private:
  void run();
  std::string name_;
  std::size_t max_queue_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace weft
