#pragma once
// Gives each long-lived thread of the hub a name (seen in `top -H`, `perf`, gdb, /proc/PID/task)
// and its rank for the CPU.
//
// Ranks: answering platforms comes first. A webhook is acknowledged once it is durable; until
// then the platform waits, and past its timeout it retries the whole delivery. What ingest has
// accepted is in the log, so mapping and workflows lose nothing by running later. Their threads
// run under SCHED_IDLE: they have whatever CPU the foreground threads leave, and none while those
// want all of it. During a burst the unprocessed backlog grows (weft_events_unprocessed) and
// drains when the burst is over. (With nice +5 they kept a quarter of a contended core, and the
// transactions they held the writer lock for cost ingest 40 % of its throughput: measured with
// bench/ingest_bench, 9.5-11.3k/s with mapping against 16.5-18.4k/s without.)

#include <string_view>

namespace weft {

enum class ThreadRank {
  foreground,  // network, durable commits, checkpoints, pollers, API work
  background,  // mapping and workflow execution: catch up from the durable log
};

// Names the calling thread "weft-<role>" (Linux keeps the first 15 characters) and, for
// background work, moves it to SCHED_IDLE. Best effort: a system that refuses either leaves the
// thread as it was (neither is needed for correctness).
void set_thread_role(std::string_view role, ThreadRank rank = ThreadRank::foreground);

// While it lives, a background thread runs under SCHED_OTHER again, at its nice value: held with
// a lock that foreground threads wait for (the SQLite writer), so that a mapping transaction is
// not left without CPU by the very threads waiting for its lock (priority inversion; measured
// with nice +5 already: p99 ack at 2,000/s 9.1-9.3 ms with the inversion, 7.8-7.9 ms without).
// Linux lets any thread leave SCHED_IDLE for SCHED_OTHER at a nice value its RLIMIT_NICE
// allows, its own included. On other threads it does nothing.
class ForegroundWhileHeld {
 public:
  ForegroundWhileHeld();
  // For a lock no foreground thread waits for: changes nothing.
  struct NotNeeded {};
  explicit ForegroundWhileHeld(NotNeeded) {}
  ~ForegroundWhileHeld();
  ForegroundWhileHeld(const ForegroundWhileHeld&) = delete;
  ForegroundWhileHeld& operator=(const ForegroundWhileHeld&) = delete;

 private:
  bool raised_ = false;
};

}  // namespace weft
