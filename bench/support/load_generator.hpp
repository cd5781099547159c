#pragma once
// The open-loop load generator: one thread, `connections` keep-alive connections to the hub.
// Request i is due at start + i/rate, whatever happened to earlier requests; it goes out on an
// idle connection or waits here until one is free, and its latency is measured from the due
// time, so a slow hub cannot hide its slowness by slowing the generator down (no coordinated
// omission).
//
// Threads: run() blocks the calling thread for the phase and its drain.

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <vector>

#include "support/stripe_workload.hpp"

namespace weft::bench {

using Clock = std::chrono::steady_clock;
using Nanos = std::chrono::nanoseconds;

struct RunResult {
  std::size_t offered = 0;  // requests due during the phase
  std::size_t sent = 0;     // written to a connection
  std::map<int, std::size_t> by_status;
  std::size_t transport_errors = 0;          // connection failed before an answer
  std::size_t unanswered = 0;                // sent, and no answer by the end of the drain period
  std::size_t unsent = 0;                    // still waiting for a free connection at that point
  std::vector<std::int64_t> ack_ns;          // 2xx: from the due time to the answer
  std::vector<std::int64_t> wire_ns;         // 2xx: from the actual write to the answer
  std::vector<std::int64_t> ack_by_request;  // ack_ns of request i, or -1 without a 2xx
  std::vector<std::int64_t> send_lag_ns;     // every request sent: from its due time to its write
  Clock::time_point start;                   // request i was due at start + i/rate
  std::vector<Clock::time_point> sent_at;    // request i's write (default: never sent)
  double elapsed_s = 0;  // from start to the last answer (at least the duration)
  double client_cpu_s = 0;
};

class LoadRun {
 public:
  LoadRun(std::uint16_t port, const Workload& workload, double rate, double duration,
          int connections, double drain_timeout);
  ~LoadRun();
  LoadRun(const LoadRun&) = delete;
  LoadRun& operator=(const LoadRun&) = delete;

  // Connects every connection first (not timed), then runs the phase.
  RunResult run();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace weft::bench
