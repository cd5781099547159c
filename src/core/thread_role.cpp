#include "core/thread_role.hpp"

#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <string>

namespace weft {

namespace {

// Nice values above the process's own for background threads: weight 335 against 1024, so
// foreground threads get three quarters of a core both want.
constexpr int kBackgroundNiceIncrement = 5;

}  // namespace

void set_thread_role(std::string_view role, ThreadRank rank) {
  std::string name = "weft-" + std::string(role);
  name.resize(std::min<std::size_t>(name.size(), 15));
  pthread_setname_np(pthread_self(), name.c_str());

  if (rank == ThreadRank::background) {
    // On Linux, PRIO_PROCESS with a thread id sets that thread's nice value alone.
    const auto tid = static_cast<id_t>(gettid());
    errno = 0;
    const int current = getpriority(PRIO_PROCESS, tid);
    if (errno == 0) setpriority(PRIO_PROCESS, tid, current + kBackgroundNiceIncrement);
  }
}

}  // namespace weft
