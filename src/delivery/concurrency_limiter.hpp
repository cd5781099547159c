#pragma once
// Caps on a connector's calls in flight. ConcurrencyLimiter holds a fixed cap from config.
// AdaptiveConcurrencyLimiter is for platforms whose limit is shared with callers we cannot
// see — NetSuite's concurrency limit counts every integration on the account — so the cap
// must follow what the platform says: AIMD, halving (by default) on a concurrency-limit error
// and creeping back up one step at a time after runs of successes.
//
// Threads: every method of both limiters may be called from any thread. A Permit may be
// moved to and released on another thread. A limiter must outlive its permits.

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

namespace weft::delivery {

namespace detail {
class PermitIssuer {
 public:
  virtual void release_permit() noexcept = 0;

 protected:
  ~PermitIssuer() = default;
};
}  // namespace detail

// One slot of a limiter, held for the duration of one call. Move-only; the slot is given
// back when the permit is destroyed or released.
class Permit {
 public:
  Permit(Permit&& other) noexcept;
  Permit& operator=(Permit&& other) noexcept;
  Permit(const Permit&) = delete;
  Permit& operator=(const Permit&) = delete;
  ~Permit();

  // Gives the slot back now (e.g. before a slow post-processing step). Idempotent.
  void release() noexcept;
  bool held() const noexcept { return issuer_ != nullptr; }

 private:
  friend class ConcurrencyLimiter;
  friend class AdaptiveConcurrencyLimiter;
  Permit(detail::PermitIssuer* issuer, std::uint64_t epoch) : issuer_(issuer), epoch_(epoch) {}

  detail::PermitIssuer* issuer_;
  std::uint64_t epoch_;  // the adaptive limiter's decrease count when the permit was issued
};

class ConcurrencyLimiter final : private detail::PermitIssuer {
 public:
  // Throws std::invalid_argument when max_in_flight < 1 (a start-up configuration error).
  explicit ConcurrencyLimiter(int max_in_flight);
  ConcurrencyLimiter(const ConcurrencyLimiter&) = delete;
  ConcurrencyLimiter& operator=(const ConcurrencyLimiter&) = delete;

  // A permit, or nullopt when the cap is reached. Never blocks: the refused caller waits for
  // a slot outside (e.g. re-queues the work), it does not fail.
  std::optional<Permit> try_acquire();

  int limit() const { return limit_; }
  int in_flight() const;

 private:
  void release_permit() noexcept override;

  const int limit_;
  mutable std::mutex mutex_;
  int in_flight_ = 0;
};

struct AdaptiveConcurrency {
  int max = 5;                     // the configured ceiling, e.g. the account's concurrency
  int initial = 0;                 // the cap to start with; 0 means max
  double decrease = 0.5;           // multiplicative decrease on a limit error, in (0, 1)
  int successes_to_increase = 10;  // successes at a cap before it is raised by one
};
// nullopt when usable, else what is wrong, naming the field.
std::optional<std::string> find_problem(const AdaptiveConcurrency& config);

class AdaptiveConcurrencyLimiter final : private detail::PermitIssuer {
 public:
  // Throws std::invalid_argument on a config find_problem rejects.
  explicit AdaptiveConcurrencyLimiter(AdaptiveConcurrency config);
  AdaptiveConcurrencyLimiter(const AdaptiveConcurrencyLimiter&) = delete;
  AdaptiveConcurrencyLimiter& operator=(const AdaptiveConcurrencyLimiter&) = delete;

  // As ConcurrencyLimiter::try_acquire, against the current cap. Calls already in flight when
  // the cap drops keep their permits; new ones wait until in_flight is below the cap.
  std::optional<Permit> try_acquire();

  // Report how the call under `permit` ended (before or after releasing it).
  // A success counts toward raising the cap by one, up to max.
  void on_success(const Permit& permit);
  // The platform refused for concurrency: cap = max(1, floor(cap * decrease)). Only calls
  // issued at the current cap can lower it again, so a burst of refusals from calls that
  // were already in flight halves the cap once, not once per call.
  void on_limit_exceeded(const Permit& permit);

  int limit() const;
  int in_flight() const;
  const AdaptiveConcurrency& config() const { return config_; }

 private:
  void release_permit() noexcept override;

  const AdaptiveConcurrency config_;
  mutable std::mutex mutex_;
  int limit_;
  int in_flight_ = 0;
  int successes_ = 0;
  std::uint64_t epoch_ = 0;
};

}  // namespace weft::delivery
