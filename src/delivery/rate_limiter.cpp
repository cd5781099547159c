#include "delivery/rate_limiter.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace weft::delivery {

namespace {

std::chrono::nanoseconds interval_of(const RateLimit& limit) {
  const double ns = std::round(1e9 / limit.per_second);
  return std::chrono::nanoseconds(std::max<std::int64_t>(1, static_cast<std::int64_t>(ns)));
}

const RateLimit& checked(const RateLimit& limit) {
  if (auto problem = find_problem(limit)) throw std::invalid_argument("rate limit: " + *problem);
  return limit;
}

}  // namespace

std::optional<std::string> find_problem(const RateLimit& limit) {
  // Below one request a day, a limit is a typo rather than a wish.
  if (!std::isfinite(limit.per_second) || limit.per_second < 1.0 / 86400.0) {
    return "per_second must be a positive number";
  }
  if (limit.burst < 1) return "burst must be at least 1";
  // Beyond this the bucket's arithmetic would overflow, and no platform means it.
  if (limit.burst / limit.per_second > 365.0 * 86400.0) {
    return "burst must refill within a year at per_second";
  }
  return std::nullopt;
}

RateLimiter::RateLimiter(RateLimit limit)
    : limit_(checked(limit)),
      interval_(interval_of(limit_)),
      tolerance_(interval_ * (limit_.burst - 1)) {}

RateDecision RateLimiter::try_acquire(TimePoint now) {
  std::lock_guard lock(mutex_);
  // The bucket is full when the theoretical arrival time lies in the past; each grant moves it
  // one interval on, and at most `tolerance_` ahead of now is allowed.
  const TimePoint arrival = std::max(arrival_, now);
  const auto ahead = arrival - now;
  if (ahead > tolerance_) return {false, ahead - tolerance_, 0, ahead};
  arrival_ = arrival + interval_;
  const auto now_ahead = arrival_ - now;
  const int remaining = now_ahead > tolerance_ ? 0 : static_cast<int>((tolerance_ - now_ahead) / interval_) + 1;
  return {true, {}, remaining, now_ahead};
}

int RateLimiter::available(TimePoint now) const {
  std::lock_guard lock(mutex_);
  const auto ahead = std::max(arrival_, now) - now;
  if (ahead > tolerance_) return 0;
  return static_cast<int>((tolerance_ - ahead) / interval_) + 1;
}

void RateLimiter::penalise_until(TimePoint until) {
  std::lock_guard lock(mutex_);
  penalty_until_ = std::max(penalty_until_, until);
  // An empty bucket that yields its first request exactly at `until`.
  arrival_ = std::max(arrival_, until + tolerance_);
}

std::optional<RateLimiter::TimePoint> RateLimiter::penalty_until(TimePoint now) const {
  std::lock_guard lock(mutex_);
  if (penalty_until_ > now) return penalty_until_;
  return std::nullopt;
}

}  // namespace weft::delivery
