#include "core/thread_role.hpp"

#include <gtest/gtest.h>
#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

#include <string>
#include <thread>

namespace weft {
namespace {

struct Observed {
  std::string name;
  int policy_before = -1;
  int policy_after = -1;
  int nice_before = 0;
  int nice_after = 0;
};

int this_thread_nice() { return getpriority(PRIO_PROCESS, static_cast<id_t>(gettid())); }

// Runs set_thread_role on a thread of its own (a test thread's name and policy would leak into
// the rest of the test binary otherwise) and reports what it changed.
Observed run_as(std::string_view role, ThreadRank rank) {
  Observed seen;
  std::thread([&] {
    seen.policy_before = sched_getscheduler(0);
    seen.nice_before = this_thread_nice();
    set_thread_role(role, rank);
    char name[16] = {};
    pthread_getname_np(pthread_self(), name, sizeof name);
    seen.name = name;
    seen.policy_after = sched_getscheduler(0);
    seen.nice_after = this_thread_nice();
  }).join();
  return seen;
}

TEST(ThreadRoleTest, NamesTheThreadAfterItsRole) {
  const Observed seen = run_as("pipeline", ThreadRank::foreground);
  EXPECT_EQ(seen.name, "weft-pipeline");
  EXPECT_EQ(seen.policy_after, seen.policy_before);
  EXPECT_EQ(seen.nice_after, seen.nice_before);
}

TEST(ThreadRoleTest, KeepsTheFirstFifteenCharactersOfALongName) {
  EXPECT_EQ(run_as("checkpointing-thread", ThreadRank::foreground).name, "weft-checkpoint");
}

TEST(ThreadRoleTest, BackgroundWorkRunsOnlyOnTheCpuForegroundWorkLeaves) {
  const Observed seen = run_as("engine", ThreadRank::background);
  EXPECT_EQ(seen.name, "weft-engine");
  ASSERT_EQ(seen.policy_before, SCHED_OTHER);
  // Any thread may move itself to SCHED_IDLE.
  EXPECT_EQ(seen.policy_after, SCHED_IDLE);
  EXPECT_EQ(seen.nice_after, seen.nice_before);
}

TEST(ThreadRoleTest, ABackgroundThreadRunsAsAnOrdinaryThreadWhileHoldingASharedLock) {
  int before = -1, background = -1, held = -1, after = -1;
  int nice_before = 0, nice_held = 0;
  std::thread([&] {
    before = sched_getscheduler(0);
    nice_before = this_thread_nice();
    set_thread_role("pipeline", ThreadRank::background);
    background = sched_getscheduler(0);
    {
      ForegroundWhileHeld boost;
      held = sched_getscheduler(0);
      nice_held = this_thread_nice();
    }
    after = sched_getscheduler(0);
  }).join();
  EXPECT_EQ(before, SCHED_OTHER);
  EXPECT_EQ(background, SCHED_IDLE);
  // Leaving SCHED_IDLE for SCHED_OTHER at one's own nice value needs no privilege.
  EXPECT_EQ(held, SCHED_OTHER);
  EXPECT_EQ(nice_held, nice_before);
  EXPECT_EQ(after, SCHED_IDLE);
}

TEST(ThreadRoleTest, AForegroundThreadIsLeftAsItIsWhileHoldingALock) {
  int before = -1, held = -1;
  std::thread([&] {
    set_thread_role("http");
    before = sched_getscheduler(0);
    ForegroundWhileHeld boost;
    held = sched_getscheduler(0);
  }).join();
  EXPECT_EQ(held, before);
}

}  // namespace
}  // namespace weft
