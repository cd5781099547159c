#include "api/key_rate_limits.hpp"

#include <stdexcept>

namespace weft::api {

namespace {

// Whole seconds, rounded up: "retry after 0 seconds" would invite an immediate retry.
std::string ceil_seconds(std::chrono::steady_clock::duration d) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
  return std::to_string(ms <= 0 ? 0 : (ms + 999) / 1000);
}

}  // namespace

KeyRateLimits::KeyRateLimits(delivery::RateLimit limit) : limit_(limit) {
  if (auto problem = delivery::find_problem(limit_))
    throw std::invalid_argument("api rate limit: " + *problem);
}

bool KeyRateLimits::admit(const std::string& key_id, std::chrono::steady_clock::time_point now,
                          http::Headers& headers) {
  delivery::RateLimiter* bucket = nullptr;
  {
    std::lock_guard lock(mutex_);
    auto& slot = buckets_[key_id];
    if (!slot) slot = std::make_unique<delivery::RateLimiter>(limit_);
    bucket = slot.get();  // buckets are never removed: the pointer stays valid
  }
  const delivery::RateDecision decision = bucket->try_acquire(now);
  headers.set("RateLimit-Limit", std::to_string(limit_.burst));
  headers.set("RateLimit-Remaining", std::to_string(decision.remaining));
  headers.set("RateLimit-Reset", ceil_seconds(decision.full_in));
  if (!decision.granted) {
    std::string wait = ceil_seconds(decision.wait);
    headers.set("Retry-After", wait == "0" ? "1" : wait);
  }
  return decision.granted;
}

}  // namespace weft::api
