#pragma once
// Gives each long-lived thread of the hub a name (seen in `top -H`, `perf`, gdb, /proc/PID/task)
// and its rank for the CPU.
//
// Ranks: answering platforms comes first. A webhook is acknowledged once it is durable; until
// then the platform waits, and past its timeout it retries the whole delivery. What ingest has
// accepted is in the log, so mapping and workflows lose nothing by running later: when the CPU
// is short, they give way (nice +5 for their threads: about a quarter of a contended core), the
// unprocessed backlog grows (weft_events_unprocessed) and drains when the burst is over.

#include <string_view>

namespace weft {

enum class ThreadRank {
  foreground,  // network, durable commits, checkpoints, pollers, API work
  background,  // mapping and workflow execution: catch up from the durable log
};

// Names the calling thread "weft-<role>" (Linux keeps the first 15 characters) and, for
// background work, lowers its priority. Best effort: a system that refuses either leaves the
// thread as it was (neither is needed for correctness).
void set_thread_role(std::string_view role, ThreadRank rank = ThreadRank::foreground);

// While it lives, a background thread runs at its foreground priority again: held with a lock
// that foreground threads wait for (the SQLite writer), so that a mapping transaction preempted
// for a network thread does not hold ingest's commits up for longer (priority inversion;
// measured: p99 ack at 2,000/s 9.1-9.3 ms with the inversion, 7.8-7.9 ms without). Raising a
// priority needs CAP_SYS_NICE or an RLIMIT_NICE that allows it; without either this does
// nothing. On other threads it does nothing.
class ForegroundWhileHeld {
 public:
  ForegroundWhileHeld();
  ~ForegroundWhileHeld();
  ForegroundWhileHeld(const ForegroundWhileHeld&) = delete;
  ForegroundWhileHeld& operator=(const ForegroundWhileHeld&) = delete;

 private:
  bool raised_ = false;
};

}  // namespace weft
