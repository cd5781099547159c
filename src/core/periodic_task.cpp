#include "core/periodic_task.hpp"

#include <utility>

namespace weft {

void PeriodicTask::start(std::chrono::milliseconds interval, std::function<void()> run) {
  if (thread_.joinable()) return;
  {
    std::lock_guard lock(mutex_);
    stopping_ = false;
  }
  thread_ = std::thread([this, interval, run = std::move(run)] {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
      lock.unlock();
      run();
      lock.lock();
      wake_.wait_for(lock, interval, [this] { return stopping_; });
    }
  });
}

void PeriodicTask::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace weft
