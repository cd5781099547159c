#pragma once
// ManualClock: a Clock that moves only when told to. For tests and simulations.

#include <atomic>

#include "weft/clock.hpp"

namespace weft {

class ManualClock final : public Clock {
 public:
  explicit ManualClock(std::chrono::system_clock::time_point start =
                           std::chrono::system_clock::time_point(std::chrono::seconds(1'700'000'000)))
      : wall_ns_(start.time_since_epoch().count()) {}

  std::chrono::system_clock::time_point now() const override {
    return std::chrono::system_clock::time_point(std::chrono::system_clock::duration(wall_ns_.load()));
  }
  std::chrono::steady_clock::time_point monotonic() const override {
    return std::chrono::steady_clock::time_point(std::chrono::steady_clock::duration(mono_ns_.load()));
  }
  void advance(std::chrono::nanoseconds d) {
    wall_ns_ += std::chrono::duration_cast<std::chrono::system_clock::duration>(d).count();
    mono_ns_ += std::chrono::duration_cast<std::chrono::steady_clock::duration>(d).count();
  }
  void set_wall(std::chrono::system_clock::time_point t) { wall_ns_ = t.time_since_epoch().count(); }

 private:
  std::atomic<std::chrono::system_clock::rep> wall_ns_;
  std::atomic<std::chrono::steady_clock::rep> mono_ns_{0};
};

}  // namespace weft
