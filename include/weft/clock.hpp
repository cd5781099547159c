#pragma once
// Clock: the only way Weft code reads time, so that tests inject it (no sleeping in tests).
// Implementations are thread-safe.

#include <chrono>
#include <cstdint>
#include <memory>

namespace weft {

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time: timestamps stored and compared with platforms' timestamps.
  virtual std::chrono::system_clock::time_point now() const = 0;
  // Monotonic time: durations, timeouts, rate limiters.
  virtual std::chrono::steady_clock::time_point monotonic() const = 0;

  std::int64_t unix_seconds() const {
    return std::chrono::duration_cast<std::chrono::seconds>(now().time_since_epoch()).count();
  }
  std::int64_t unix_millis() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(now().time_since_epoch()).count();
  }
};
using ClockPtr = std::shared_ptr<const Clock>;

// The real clocks.
ClockPtr system_clock();

}  // namespace weft
