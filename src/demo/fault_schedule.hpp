#pragma once
// `weft demo --faults`: what the sandboxes inject while the scenario plays, so that the run
// shows retries, rate limits, lost answers and an outage being ridden out — and still ends
// consistent. The schedule follows the scenario's progress; the outage is timed (while
// NetSuite is down the scenario's own NetSuite operations wait too, so an outage that ended
// at a later operation would never end).
//
//   from 10% of the operations: every platform answers 5% of requests 429 (Retry-After 1 s)
//     and 5% with an error: 503 before the effect, or for Stripe 500 after it (the effect
//     happened but the answer was lost: only the idempotency key prevents a double effect);
//   at 40%: NetSuite is down (every request 503) for `outage`;
//   from 80%: no faults.
//
// Threads: FaultSchedule's methods from the thread playing the scenario; it runs one thread
// of its own that posts the faults to the sandbox's admin API.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

namespace weft::demo {

struct FaultPhase {
  double at_progress = 0;                  // start when this share of operations is done
  std::chrono::milliseconds after{0};      // ... and this long after the previous phase
  nlohmann::json faults;                   // the POST /_sandbox/faults body
  std::string description;                 // for the progress line
};

// The POST /_sandbox/faults body that clears every platform's faults.
nlohmann::json no_faults();

// The phases described above, in order.
std::vector<FaultPhase> demo_fault_phases(std::chrono::milliseconds outage);

class FaultSchedule {
 public:
  // `apply`: posts one body to the sandbox; `announce`: one progress line per phase.
  FaultSchedule(std::vector<FaultPhase> phases, std::function<void(const nlohmann::json&)> apply,
                std::function<void(const std::string&)> announce);
  ~FaultSchedule();  // finish()
  FaultSchedule(const FaultSchedule&) = delete;
  FaultSchedule& operator=(const FaultSchedule&) = delete;

  void progress(std::size_t done, std::size_t total);
  // The scenario has been played: the phases not reached are skipped, and the faults cleared
  // (announced as "faults off" when some phase had been applied).
  void finish();

 private:
  void run();

  std::vector<FaultPhase> phases_;
  std::function<void(const nlohmann::json&)> apply_;
  std::function<void(const std::string&)> announce_;
  std::mutex mutex_;
  std::condition_variable changed_;
  double progress_ = 0;
  bool finished_ = false;
  std::thread thread_;
};

}  // namespace weft::demo
