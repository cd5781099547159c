#pragma once
// Per-step retry policy: how many attempts, how far apart (exponential backoff with jitter,
// capped), and an overall deadline. Pure functions; randomness is passed in so that tests and
// simulations are deterministic.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "delivery/failure.hpp"

namespace weft::delivery {

// How the exponential delay is spread, so that many steps failing together (a platform
// outage) do not come back together.
enum class Jitter {
  none,   // exactly the exponential delay
  full,   // uniform in [0, delay): spreads most; some retries come quickly
  equal,  // uniform in [delay/2, delay): spreads less, but always waits at least half
};
const char* to_string(Jitter jitter);
std::optional<Jitter> parse_jitter(std::string_view text);

struct RetryPolicy {
  int max_attempts = 5;  // including the first attempt
  std::chrono::milliseconds initial_delay{1000};
  double multiplier = 2.0;
  std::chrono::milliseconds max_delay{std::chrono::minutes(5)};  // caps backoff, not Retry-After
  Jitter jitter = Jitter::full;
  // Time allowed from the start of the first attempt to the start of the last; zero: none.
  std::chrono::milliseconds deadline{std::chrono::hours(24)};
};
// nullopt when the policy is usable, else what is wrong with it, naming the field.
std::optional<std::string> find_problem(const RetryPolicy& policy);

// Uniform samples in [0, 1).
using RandomSource = std::function<double()>;
// A seeded source (64-bit Mersenne Twister): the same seed gives the same delays. Copies share
// one engine; it is thread-safe.
RandomSource seeded_random(std::uint64_t seed);

// The delay after attempt `failed_attempt` (1-based) failed, before the next one, given a
// sample `u` in [0, 1): min(max_delay, initial_delay * multiplier^(failed_attempt-1)), then
// jittered.
std::chrono::milliseconds backoff_delay(const RetryPolicy& policy, int failed_attempt, double u);

enum class RetryVerdict {
  retry,               // try again after `delay`
  not_retryable,       // the failure's class is never retried
  attempts_exhausted,  // max_attempts reached
  deadline_exceeded,   // the next attempt could not start before the deadline
};
const char* to_string(RetryVerdict verdict);

struct RetryDecision {
  RetryVerdict verdict = RetryVerdict::retry;
  std::chrono::milliseconds delay{0};  // meaningful when verdict == retry
};

// What to do after attempt number `attempts_made` (1-based) failed with `failure`, `elapsed`
// after the first attempt started. The delay is the jittered backoff, or the platform's
// Retry-After when that is longer: Retry-After is never shortened, not even by max_delay, and
// when it would land past the deadline the step gives up now rather than retry early.
// Every retry reuses the step's idempotency key (essential for unknown_outcome).
RetryDecision decide_retry(const RetryPolicy& policy, const Failure& failure, int attempts_made,
                           std::chrono::milliseconds elapsed, const RandomSource& random);

// Whether an attempt may still start `elapsed` after the first one started: for work that
// waited on a rate limiter or an open circuit breaker before its next attempt.
bool within_deadline(const RetryPolicy& policy, std::chrono::milliseconds elapsed);

}  // namespace weft::delivery
