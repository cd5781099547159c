#pragma once
// A connector's circuit breaker. When the platform is down, calls stop and work waits — it
// is not failed — until a single probe shows the platform is back.
//
//   closed ──K consecutive counted failures──▶ open ──cool-down over──▶ half-open
//     ▲                                         ▲                          │ one probe
//     │                                         └───── probe failed ───────┤ (cool-down
//     └─────────────────── probe succeeded ────────────────────────────────┘  doubled, to max)
//
// "Counted" failures are those whose class counts toward the breaker (failure.hpp); any other
// answer, even a validation error, shows the platform is up and is reported as a success.
//
// Threads: every method may be called from any thread; one breaker is shared by all workers
// calling its connector.

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

namespace weft::delivery {

enum class BreakerState { closed, open, half_open };
const char* to_string(BreakerState state);

struct CircuitBreakerConfig {
  int failure_threshold = 5;                                         // K
  std::chrono::milliseconds open_for{std::chrono::seconds(30)};      // the first cool-down
  std::chrono::milliseconds max_open_for{std::chrono::minutes(10)};  // cap of the doubling
  // A probe that has not reported by then is presumed lost (its worker died), and the next
  // caller becomes the probe, so that a lost report cannot hold the connector forever.
  std::chrono::milliseconds probe_timeout{std::chrono::minutes(2)};
  // How long work waits before asking again while a probe is out.
  std::chrono::milliseconds probe_recheck{std::chrono::seconds(1)};
};
// nullopt when usable, else what is wrong, naming the field.
std::optional<std::string> find_problem(const CircuitBreakerConfig& config);

// The breaker's answer to "may I call the platform now?".
struct Admission {
  enum class Kind {
    go,     // closed: call
    probe,  // half-open: call; this call decides whether the breaker closes
    wait,   // open, or a probe is out: come back after `wait`; the work is not failed
  };
  Kind kind = Kind::go;
  std::chrono::steady_clock::duration wait{0};  // when kind == wait
  std::uint64_t probe_id = 0;                   // when kind == probe; hand back with the report

  bool may_call() const { return kind != Kind::wait; }
};

struct BreakerSnapshot {
  BreakerState state = BreakerState::closed;
  int consecutive_failures = 0;
  std::chrono::milliseconds cool_down{0};              // the current (possibly doubled) one
  std::chrono::steady_clock::time_point open_until{};  // when state is open
};

class CircuitBreaker {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  // Throws std::invalid_argument on a config find_problem rejects (a start-up error).
  explicit CircuitBreaker(CircuitBreakerConfig config);

  Admission allow(TimePoint now);

  // Report how a call admitted by `admission` ended. While the breaker is open or half-open,
  // only the current probe's report counts: late reports of calls admitted before it opened
  // say nothing about the platform now.
  void on_success(const Admission& admission);
  void on_failure(const Admission& admission, TimePoint now);

  // For the weft_circuit_open metric: open once the cool-down is over reads as half_open.
  BreakerState state(TimePoint now) const;
  BreakerSnapshot snapshot(TimePoint now) const;

 private:
  void open(TimePoint now);
  BreakerState state_locked(TimePoint now) const;

  const CircuitBreakerConfig config_;
  mutable std::mutex mutex_;
  BreakerState state_ = BreakerState::closed;
  int consecutive_failures_ = 0;
  std::chrono::milliseconds cool_down_;
  TimePoint open_until_{};
  std::uint64_t probe_id_ = 0;  // of the probe out, 0 when none
  std::uint64_t probes_issued_ = 0;
  TimePoint probe_deadline_{};
};

}  // namespace weft::delivery
