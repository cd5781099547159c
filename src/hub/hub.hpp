#pragma once
// The hub: what `weft serve` runs. Wires storage, ingest, the HTTP routes and metrics from a
// loaded config, in the order data flows, and shuts them down in reverse so that every
// request that was accepted is answered and every commit finishes.

#include <cstdint>
#include <memory>
#include <string>

#include "config/config.hpp"
#include "weft/clock.hpp"
#include "weft/result.hpp"

namespace weft::hub {

class Hub {
 public:
  explicit Hub(config::Config config, ClockPtr clock = system_clock());
  ~Hub();
  Hub(const Hub&) = delete;
  Hub& operator=(const Hub&) = delete;

  // Opens storage (applying migrations), then listens. The error says what failed.
  Result<void, std::string> start();
  void stop();
  std::uint16_t port() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace weft::hub
