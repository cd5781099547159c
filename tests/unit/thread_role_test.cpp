#include "core/thread_role.hpp"

#include <gtest/gtest.h>
#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <thread>

namespace weft {
namespace {

struct Observed {
  std::string name;
  int nice_before = 0;
  int nice_after = 0;
};

// Runs set_thread_role on a thread of its own (a test thread's name and nice value would leak
// into the rest of the test binary otherwise) and reports what it changed.
Observed run_as(std::string_view role, ThreadRank rank) {
  Observed seen;
  std::thread([&] {
    const auto tid = static_cast<id_t>(gettid());
    seen.nice_before = getpriority(PRIO_PROCESS, tid);
    set_thread_role(role, rank);
    char name[16] = {};
    pthread_getname_np(pthread_self(), name, sizeof name);
    seen.name = name;
    seen.nice_after = getpriority(PRIO_PROCESS, tid);
  }).join();
  return seen;
}

TEST(ThreadRoleTest, NamesTheThreadAfterItsRole) {
  const Observed seen = run_as("pipeline", ThreadRank::foreground);
  EXPECT_EQ(seen.name, "weft-pipeline");
  EXPECT_EQ(seen.nice_after, seen.nice_before);
}

TEST(ThreadRoleTest, KeepsTheFirstFifteenCharactersOfALongName) {
  EXPECT_EQ(run_as("checkpointing-thread", ThreadRank::foreground).name, "weft-checkpoint");
}

TEST(ThreadRoleTest, BackgroundWorkGivesWayToForegroundWork) {
  const Observed seen = run_as("engine", ThreadRank::background);
  EXPECT_EQ(seen.name, "weft-engine");
  // Raising one's own nice value is always allowed; the highest is 19.
  EXPECT_EQ(seen.nice_after, std::min(seen.nice_before + 5, 19));
}

// Whether this process may raise a thread's priority again (root, CAP_SYS_NICE or RLIMIT_NICE).
bool may_raise_priority() {
  bool allowed = false;
  std::thread([&] {
    const auto tid = static_cast<id_t>(gettid());
    const int before = getpriority(PRIO_PROCESS, tid);
    if (setpriority(PRIO_PROCESS, tid, before + 1) != 0) return;
    allowed = setpriority(PRIO_PROCESS, tid, before) == 0;
  }).join();
  return allowed;
}

TEST(ThreadRoleTest, ABackgroundThreadRunsAtItsForegroundPriorityWhileHoldingASharedLock) {
  const bool may_raise = may_raise_priority();
  int before = 0, background = 0, held = 0, after = 0;
  std::thread([&] {
    const auto tid = static_cast<id_t>(gettid());
    before = getpriority(PRIO_PROCESS, tid);
    set_thread_role("pipeline", ThreadRank::background);
    background = getpriority(PRIO_PROCESS, tid);
    {
      ForegroundWhileHeld boost;
      held = getpriority(PRIO_PROCESS, tid);
    }
    after = getpriority(PRIO_PROCESS, tid);
  }).join();
  EXPECT_EQ(background, std::min(before + 5, 19));
  // Without the right to raise a priority the thread simply stays background.
  EXPECT_EQ(held, may_raise ? before : background);
  EXPECT_EQ(after, background);
}

TEST(ThreadRoleTest, AForegroundThreadIsLeftAsItIsWhileHoldingALock) {
  int before = 0, held = 0;
  std::thread([&] {
    const auto tid = static_cast<id_t>(gettid());
    set_thread_role("http");
    before = getpriority(PRIO_PROCESS, tid);
    ForegroundWhileHeld boost;
    held = getpriority(PRIO_PROCESS, tid);
  }).join();
  EXPECT_EQ(held, before);
}

}  // namespace
}  // namespace weft
