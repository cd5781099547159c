#pragma once
// Per-key request rates for /v1: one token bucket per API key (delivery/rate_limiter.hpp's
// GCRA), created at the key's first request. A refused request gets 429 with Retry-After;
// every answer carries RateLimit-Limit, RateLimit-Remaining and RateLimit-Reset (the IETF
// httpapi RateLimit header fields draft), so clients can pace themselves before they are refused.
//
// The buckets live in this process: with several hub nodes each enforces its own share.
//
// Threads: any.

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "delivery/rate_limiter.hpp"
#include "weft/http.hpp"

namespace weft::api {

class KeyRateLimits {
 public:
  explicit KeyRateLimits(delivery::RateLimit limit);  // throws std::invalid_argument on a bad limit

  // Takes one request of `key_id`'s rate at `now`; sets the RateLimit-* headers (and
  // Retry-After when refused) on `headers`; whether the request may go on.
  bool admit(const std::string& key_id, std::chrono::steady_clock::time_point now,
             http::Headers& headers);

 private:
  delivery::RateLimit limit_;
  std::mutex mutex_;
  std::map<std::string, std::unique_ptr<delivery::RateLimiter>> buckets_;
};

}  // namespace weft::api
