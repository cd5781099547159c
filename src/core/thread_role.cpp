#include "core/thread_role.hpp"

#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <optional>
#include <string>

namespace weft {

namespace {

// Nice values above the process's own for background threads: weight 335 against 1024, so
// foreground threads get three quarters of a core both want.
constexpr int kBackgroundNiceIncrement = 5;

// The calling thread's nice value before it became background work; set only on such threads.
thread_local std::optional<int> foreground_nice;

id_t this_thread_id() { return static_cast<id_t>(gettid()); }

}  // namespace

void set_thread_role(std::string_view role, ThreadRank rank) {
  std::string name = "weft-" + std::string(role);
  name.resize(std::min<std::size_t>(name.size(), 15));
  pthread_setname_np(pthread_self(), name.c_str());

  if (rank == ThreadRank::background) {
    // On Linux, PRIO_PROCESS with a thread id sets that thread's nice value alone.
    errno = 0;
    const int current = getpriority(PRIO_PROCESS, this_thread_id());
    if (errno == 0 && setpriority(PRIO_PROCESS, this_thread_id(), current + kBackgroundNiceIncrement) == 0) {
      foreground_nice = current;
    }
  }
}

ForegroundWhileHeld::ForegroundWhileHeld() {
  if (foreground_nice) raised_ = setpriority(PRIO_PROCESS, this_thread_id(), *foreground_nice) == 0;
}

ForegroundWhileHeld::~ForegroundWhileHeld() {
  if (raised_) setpriority(PRIO_PROCESS, this_thread_id(), *foreground_nice + kBackgroundNiceIncrement);
}

}  // namespace weft
