#include "core/thread_role.hpp"

#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <string>

namespace weft {

namespace {

// Set on the threads that became background work, so that ForegroundWhileHeld knows to act.
thread_local bool background = false;

bool set_policy(int policy) {
  sched_param param{};
  param.sched_priority = 0;  // the only priority of SCHED_OTHER and SCHED_IDLE
  return sched_setscheduler(0, policy, &param) == 0;  // 0: the calling thread, on Linux
}

}  // namespace

void set_thread_role(std::string_view role, ThreadRank rank) {
  std::string name = "weft-" + std::string(role);
  name.resize(std::min<std::size_t>(name.size(), 15));
  pthread_setname_np(pthread_self(), name.c_str());

  if (rank == ThreadRank::background) background = set_policy(SCHED_IDLE);
}

ForegroundWhileHeld::ForegroundWhileHeld() {
  if (background) raised_ = set_policy(SCHED_OTHER);
}

ForegroundWhileHeld::~ForegroundWhileHeld() {
  if (raised_) set_policy(SCHED_IDLE);
}

}  // namespace weft
