// PeriodicTask: runs at once, then every interval; stop() ends the wait at once (an hour's
// interval would otherwise hold the test up) and waits for a run in progress; a stopped task
// starts again.

#include "core/periodic_task.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>

namespace weft {
namespace {

using namespace std::chrono_literals;

struct Counter {
  std::mutex mutex;
  std::condition_variable changed;
  int runs = 0;

  void bump() {
    std::lock_guard lock(mutex);
    ++runs;
    changed.notify_all();
  }
  void wait_for_runs(int n) {
    std::unique_lock lock(mutex);
    changed.wait(lock, [&] { return runs >= n; });
  }
  int count() {
    std::lock_guard lock(mutex);
    return runs;
  }
};

TEST(PeriodicTask, RunsAtOnceAndStopEndsTheWait) {
  Counter counter;
  PeriodicTask task;
  task.start(std::chrono::hours(1), [&] { counter.bump(); });
  counter.wait_for_runs(1);
  task.stop();  // returns without the hour
  EXPECT_EQ(counter.count(), 1);
  task.stop();  // again: nothing
}

TEST(PeriodicTask, RepeatsEveryIntervalUntilStopped) {
  Counter counter;
  PeriodicTask task;
  task.start(1ms, [&] { counter.bump(); });
  counter.wait_for_runs(3);  // three runs of a 1 ms interval: it repeats
  task.stop();                // joins: returns only once the thread has ended
  EXPECT_GE(counter.count(), 3);
}

TEST(PeriodicTask, AStoppedTaskStartsAgainAndASecondStartIsIgnored) {
  Counter counter;
  PeriodicTask task;
  task.start(std::chrono::hours(1), [&] { counter.bump(); });
  task.start(std::chrono::hours(1), [&] { counter.bump(); });  // ignored: one thread
  counter.wait_for_runs(1);
  task.stop();
  EXPECT_EQ(counter.count(), 1);
  task.start(std::chrono::hours(1), [&] { counter.bump(); });
  counter.wait_for_runs(2);
  task.stop();
  EXPECT_EQ(counter.count(), 2);
}

}  // namespace
}  // namespace weft
