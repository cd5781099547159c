#pragma once
// SandboxRuntime: a whole `weft sandbox` — the four platform emulators, the webhook outbox
// that delivers to the hub, the timers and the HTTP server — started and stopped as one
// object, so that `weft sandbox` and `weft demo` (which runs it next to the hub in one
// process) set it up the same way.
//
// Threads: start() and stop() from one thread; the server and the outbox run their own.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "weft/clock.hpp"
#include "weft/result.hpp"

namespace weft::sandbox {

struct RuntimeOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 7171;  // 0: any free port (port() says which)
  std::string hub_url;        // webhooks go to <hub_url>/hooks/<platform>; empty: recorded only
  std::string state_path;     // empty: state in memory only
  std::optional<std::uint64_t> seed;  // fault PRNG; unset: random
  int threads = 2;
};

class SandboxRuntime {
 public:
  explicit SandboxRuntime(RuntimeOptions options, ClockPtr clock = system_clock());
  ~SandboxRuntime();  // stops it if running
  SandboxRuntime(const SandboxRuntime&) = delete;
  SandboxRuntime& operator=(const SandboxRuntime&) = delete;

  // Loads the state file, listens and starts delivering webhooks; the error says what failed.
  Result<void, std::string> start();
  // Stops accepting, lets requests in flight finish (up to 2 s), stops delivering, saves the
  // state file. Idempotent.
  void stop();

  std::uint16_t port() const;
  std::string url() const;  // http://host:port
  std::uint64_t seed() const;

 private:
  struct Parts;
  RuntimeOptions options_;
  ClockPtr clock_;
  std::uint64_t seed_;
  std::unique_ptr<Parts> parts_;
};

}  // namespace weft::sandbox
