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

}  // namespace
}  // namespace weft
