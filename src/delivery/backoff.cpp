#include "delivery/backoff.hpp"

#include <algorithm>
#include <cmath>
#include <memory>
#include <mutex>
#include <random>

namespace weft::delivery {

using std::chrono::milliseconds;

const char* to_string(Jitter jitter) {
  switch (jitter) {
    case Jitter::none:
      return "none";
    case Jitter::full:
      return "full";
    case Jitter::equal:
      return "equal";
  }
  return "unknown";
}

std::optional<Jitter> parse_jitter(std::string_view text) {
  for (auto jitter : {Jitter::none, Jitter::full, Jitter::equal}) {
    if (text == to_string(jitter)) return jitter;
  }
  return std::nullopt;
}

std::optional<std::string> find_problem(const RetryPolicy& policy) {
  if (policy.max_attempts < 1) return "max_attempts must be at least 1";
  if (policy.initial_delay < milliseconds(0)) return "initial_delay must not be negative";
  if (!(policy.multiplier >= 1.0) || !std::isfinite(policy.multiplier)) {
    return "multiplier must be a finite number of at least 1";
  }
  if (policy.max_delay < policy.initial_delay) return "max_delay must be at least initial_delay";
  if (policy.deadline < milliseconds(0)) return "deadline must not be negative";
  return std::nullopt;
}

RandomSource seeded_random(std::uint64_t seed) {
  struct State {
    std::mutex mutex;
    std::mt19937_64 engine;
    std::uniform_real_distribution<double> uniform{0.0, 1.0};
  };
  auto state = std::make_shared<State>();
  state->engine.seed(seed);
  return [state] {
    std::lock_guard lock(state->mutex);
    return state->uniform(state->engine);
  };
}

milliseconds backoff_delay(const RetryPolicy& policy, int failed_attempt, double u) {
  const double cap = static_cast<double>(policy.max_delay.count());
  const double initial = static_cast<double>(policy.initial_delay.count());
  const int exponent = std::max(0, failed_attempt - 1);
  // pow may overflow to infinity, which the cap absorbs; a zero initial delay stays zero.
  double delay =
      initial <= 0.0 ? 0.0 : std::min(cap, initial * std::pow(policy.multiplier, exponent));
  // A source that strays outside [0, 1) must not stretch the delay past the cap.
  u = std::clamp(u, 0.0, 1.0);
  switch (policy.jitter) {
    case Jitter::none:
      break;
    case Jitter::full:
      delay *= u;
      break;
    case Jitter::equal:
      delay = delay / 2.0 + delay / 2.0 * u;
      break;
  }
  return milliseconds(static_cast<milliseconds::rep>(std::min(cap, std::floor(delay))));
}

const char* to_string(RetryVerdict verdict) {
  switch (verdict) {
    case RetryVerdict::retry:
      return "retry";
    case RetryVerdict::not_retryable:
      return "not_retryable";
    case RetryVerdict::attempts_exhausted:
      return "attempts_exhausted";
    case RetryVerdict::deadline_exceeded:
      return "deadline_exceeded";
  }
  return "unknown";
}

bool within_deadline(const RetryPolicy& policy, milliseconds elapsed) {
  return policy.deadline == milliseconds(0) || elapsed <= policy.deadline;
}

RetryDecision decide_retry(const RetryPolicy& policy, const Failure& failure, int attempts_made,
                           milliseconds elapsed, const RandomSource& random) {
  if (!default_handling(failure.cls).retryable) return {RetryVerdict::not_retryable, {}};
  if (attempts_made >= policy.max_attempts) return {RetryVerdict::attempts_exhausted, {}};
  milliseconds delay = backoff_delay(policy, attempts_made, random());
  if (failure.retry_after) delay = std::max(delay, *failure.retry_after);
  if (!within_deadline(policy, elapsed + delay)) return {RetryVerdict::deadline_exceeded, {}};
  return {RetryVerdict::retry, delay};
}

}  // namespace weft::delivery
