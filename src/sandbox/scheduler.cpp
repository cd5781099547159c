#include "sandbox/scheduler.hpp"

#include <vector>

namespace weft::sandbox {

TimerThread::TimerThread() : thread_([this] { run(); }) {}

TimerThread::~TimerThread() { stop(); }

void TimerThread::after(std::chrono::milliseconds delay, std::function<void()> task) {
  {
    std::lock_guard lock(mutex_);
    if (!stopping_) {
      tasks_.emplace(std::chrono::steady_clock::now() + delay, std::move(task));
      changed_.notify_one();
      return;
    }
  }
  task();  // stopping: answer at once rather than never
}

void TimerThread::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void TimerThread::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    if (stopping_) break;
    if (tasks_.empty()) {
      changed_.wait(lock);
      continue;
    }
    const auto due = tasks_.begin()->first;
    if (due > std::chrono::steady_clock::now()) {
      changed_.wait_until(lock, due);
      continue;
    }
    auto task = std::move(tasks_.begin()->second);
    tasks_.erase(tasks_.begin());
    lock.unlock();
    task();
    lock.lock();
  }
  // Every request waiting for its delay still gets its answer.
  std::vector<std::function<void()>> left;
  for (auto& [due, task] : tasks_) left.push_back(std::move(task));
  tasks_.clear();
  lock.unlock();
  for (auto& task : left) task();
}

}  // namespace weft::sandbox
