#pragma once
// EffectTarget: a stand-in platform for the crash tests and the benchmarks. An HTTP server on
// loopback (the project's own http::Server) that takes POSTs of JSON bodies naming an
// {instance, step}, and applies each effect once per Idempotency-Key, as Stripe does: a
// request with a key it has seen gets the first answer again and changes nothing. It counts
// everything, so a test can check that every (instance, step) effect landed exactly once and
// under exactly one key.
//
// An optional latency delays every answer (a timer thread answers; the network threads never
// sleep), to stand in for a real platform's round trip.
//
// Threads: every method may be called from any thread; the effect callback runs on a network
// or timer thread.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>

#include "weft/result.hpp"

namespace weft::test {

struct EffectTargetOptions {
  std::chrono::microseconds latency{0};
  int threads = 1;
};

struct Effect {
  std::string key;  // the Idempotency-Key
  std::string instance;
  std::string step;
  std::string invoice;  // the body's "invoice", when it has one (the benchmark's event id)
  std::chrono::steady_clock::time_point at;  // when it was first applied
};

struct EffectCounts {
  std::int64_t requests = 0;      // every POST
  std::int64_t effects = 0;       // distinct idempotency keys applied
  std::int64_t redeliveries = 0;  // requests with a key already applied (answered from memory)
  std::int64_t without_key = 0;   // requests with no Idempotency-Key (each applied: a defect)
  // (instance, step) → the keys it was sent under; exactly one each when all is well.
  std::map<std::pair<std::string, std::string>, std::set<std::string>> keys_by_step;
};

class EffectTarget {
 public:
  explicit EffectTarget(EffectTargetOptions options = {});
  ~EffectTarget();
  EffectTarget(const EffectTarget&) = delete;
  EffectTarget& operator=(const EffectTarget&) = delete;

  // Listens on 127.0.0.1, on a free port.
  Result<void, std::string> start();
  void stop();
  std::uint16_t port() const;
  std::string base_url() const;  // http://127.0.0.1:PORT

  // Called once per effect, when it is first applied.
  void on_effect(std::function<void(const Effect&)> callback);

  EffectCounts counts() const;
  std::int64_t effects() const;
  // Until at least `n` effects were applied; false when `timeout` passed first.
  bool wait_for_effects(std::int64_t n, std::chrono::milliseconds timeout) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace weft::test
