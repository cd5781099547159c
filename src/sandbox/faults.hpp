#pragma once
// Injected faults, per platform: an outage (every request 503), a share of requests answered
// with an error status, a share answered 429 with Retry-After, and added latency. Set through
// POST /_sandbox/faults, shown by GET /_sandbox/faults, cleared by POST /_sandbox/reset.
//
// Which requests fail is drawn from one seeded PRNG, so a run with the same seed and the same
// request order fails the same requests (`weft sandbox --seed N`).
//
// Threads: every method may be called from any thread.

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "weft/result.hpp"

namespace weft::sandbox {

struct PlatformFaults {
  bool outage = false;            // every request: 503
  double error_rate = 0;          // share of requests answered `error_status`
  int error_status = 500;
  // The error is answered after the emulator applied the request (the client cannot tell
  // whether it took effect), instead of before it.
  bool error_after_effect = false;
  double rate_limit_rate = 0;     // share of requests answered 429
  int retry_after_seconds = 1;    // Retry-After on those
  std::chrono::milliseconds latency{0};  // added before every answer

  bool any() const;
  nlohmann::json to_json() const;
};

// What to do with one request.
struct FaultDecision {
  enum class Kind { none, outage, rate_limited, error_before, error_after };
  Kind kind = Kind::none;
  int status = 0;                 // for every kind but none
  int retry_after_seconds = 0;    // rate_limited
  std::chrono::milliseconds latency{0};
  const char* name() const;       // "", "outage", "rate_limit", "error"
};

class FaultInjector {
 public:
  explicit FaultInjector(std::uint64_t seed);

  // Applies a POST /_sandbox/faults body: {"<platform>": {...} | null, ...}. Each platform
  // named gets exactly the faults given (absent fields off); null or {} clears it. All or
  // nothing: the error names the first wrong field.
  Result<void, std::string> apply(const nlohmann::json& body, const std::vector<std::string>& platforms);
  void set(const std::string& platform, PlatformFaults faults);
  void clear();
  nlohmann::json to_json() const;  // {"<platform>": {...}} for platforms with faults

  FaultDecision decide(const std::string& platform);

 private:
  mutable std::mutex mutex_;
  std::map<std::string, PlatformFaults> faults_;
  std::mt19937_64 random_;
};

// Parses one platform's fault object; the error names the field ("stripe.error_rate: …").
Result<PlatformFaults, std::string> parse_platform_faults(const std::string& platform, const nlohmann::json& spec);

}  // namespace weft::sandbox
