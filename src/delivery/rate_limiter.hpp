#pragma once
// A connector's request rate: a token bucket (rate per second, burst), plus a penalty that
// holds every request of the connector until a time the platform named (Retry-After).
//
// Implemented as GCRA, the token bucket's exact integer form: one "theoretical arrival time"
// instead of a fractional token count, so that grants never drift with rounding.
//
// Threads: every method may be called from any thread; one limiter is shared by all workers
// calling its connector.

#include <chrono>
#include <mutex>
#include <optional>
#include <string>

namespace weft::delivery {

struct RateLimit {
  double per_second = 10.0;  // sustained rate
  int burst = 10;            // requests allowed at once after a quiet spell
};
// nullopt when usable, else what is wrong, naming the field.
std::optional<std::string> find_problem(const RateLimit& limit);

struct RateDecision {
  bool granted = false;
  // When not granted: the earliest moment a request could be granted is now + wait (unless a
  // penalty arrives or others take the slot first). Work waits for it; it does not fail.
  std::chrono::steady_clock::duration wait{0};
  // After this decision: requests that could still be granted at once, and how long until the
  // bucket is full again (for RateLimit-* response headers).
  int remaining = 0;
  std::chrono::steady_clock::duration full_in{0};
};

class RateLimiter {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  // Starts with a full burst. Throws std::invalid_argument on a limit find_problem rejects
  // (a start-up configuration error).
  explicit RateLimiter(RateLimit limit);

  // Takes one request's worth of the rate if available at `now` (Clock::monotonic()). Never
  // blocks and never queues: a refused caller schedules itself after `wait`.
  RateDecision try_acquire(TimePoint now);

  // Refuses every request until `until`; afterwards one request goes at once and the rest
  // follow at the sustained rate, not at full burst, so we do not run straight back into the
  // limit. A later penalty extends the hold; an earlier one never shortens it.
  void penalise_until(TimePoint until);

  // Requests that could be granted at once at `now` (0 … burst), taking nothing: the
  // headroom status pages show.
  int available(TimePoint now) const;

  // The end of the penalty in force at `now`, if any (for status pages and metrics).
  std::optional<TimePoint> penalty_until(TimePoint now) const;

  const RateLimit& limit() const { return limit_; }

 private:
  const RateLimit limit_;
  const std::chrono::nanoseconds interval_;   // one request's share of a second
  const std::chrono::nanoseconds tolerance_;  // how far ahead the burst lets us run
  mutable std::mutex mutex_;
  // GCRA's theoretical arrival time: each grant moves it one interval on; the bucket is
  // full whenever it lies in the past.
  TimePoint arrival_ = TimePoint::min();
  TimePoint penalty_until_ = TimePoint::min();
};

}  // namespace weft::delivery
