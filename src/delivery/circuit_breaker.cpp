#include "delivery/circuit_breaker.hpp"

#include <algorithm>
#include <stdexcept>

namespace weft::delivery {

namespace {

const CircuitBreakerConfig& checked(const CircuitBreakerConfig& config) {
  if (auto problem = find_problem(config)) {
    throw std::invalid_argument("circuit breaker: " + *problem);
  }
  return config;
}

}  // namespace

const char* to_string(BreakerState state) {
  switch (state) {
    case BreakerState::closed:
      return "closed";
    case BreakerState::open:
      return "open";
    case BreakerState::half_open:
      return "half_open";
  }
  return "unknown";
}

std::optional<std::string> find_problem(const CircuitBreakerConfig& config) {
  using std::chrono::milliseconds;
  if (config.failure_threshold < 1) return "failure_threshold must be at least 1";
  if (config.open_for <= milliseconds(0)) return "open_for must be positive";
  if (config.max_open_for < config.open_for) return "max_open_for must be at least open_for";
  if (config.probe_timeout <= milliseconds(0)) return "probe_timeout must be positive";
  if (config.probe_recheck <= milliseconds(0)) return "probe_recheck must be positive";
  return std::nullopt;
}

CircuitBreaker::CircuitBreaker(CircuitBreakerConfig config)
    : config_(checked(config)), cool_down_(config_.open_for) {}

Admission CircuitBreaker::allow(TimePoint now) {
  std::lock_guard lock(mutex_);
  switch (state_) {
    case BreakerState::closed:
      return {};
    case BreakerState::open:
      if (now < open_until_) return {Admission::Kind::wait, open_until_ - now, 0};
      state_ = BreakerState::half_open;
      break;
    case BreakerState::half_open:
      if (probe_id_ != 0 && now < probe_deadline_) {
        const auto wait = std::min<std::chrono::steady_clock::duration>(config_.probe_recheck,
                                                                        probe_deadline_ - now);
        return {Admission::Kind::wait, wait, 0};
      }
      break;  // no probe out, or it was lost: this caller probes
  }
  probe_id_ = ++probes_issued_;
  probe_deadline_ = now + config_.probe_timeout;
  return {Admission::Kind::probe, {}, probe_id_};
}

void CircuitBreaker::on_success(const Admission& admission) {
  std::lock_guard lock(mutex_);
  if (state_ == BreakerState::closed) {
    consecutive_failures_ = 0;
    return;
  }
  if (admission.kind != Admission::Kind::probe || admission.probe_id != probe_id_) return;
  state_ = BreakerState::closed;
  consecutive_failures_ = 0;
  cool_down_ = config_.open_for;
  probe_id_ = 0;
}

void CircuitBreaker::on_failure(const Admission& admission, TimePoint now) {
  std::lock_guard lock(mutex_);
  if (state_ == BreakerState::closed) {
    if (++consecutive_failures_ >= config_.failure_threshold) open(now);
    return;
  }
  if (admission.kind != Admission::Kind::probe || admission.probe_id != probe_id_) return;
  cool_down_ = std::min(cool_down_ * 2, config_.max_open_for);
  open(now);
}

void CircuitBreaker::open(TimePoint now) {
  state_ = BreakerState::open;
  open_until_ = now + cool_down_;
  probe_id_ = 0;
}

BreakerState CircuitBreaker::state_locked(TimePoint now) const {
  if (state_ == BreakerState::open && now >= open_until_) return BreakerState::half_open;
  return state_;
}

BreakerState CircuitBreaker::state(TimePoint now) const {
  std::lock_guard lock(mutex_);
  return state_locked(now);
}

BreakerSnapshot CircuitBreaker::snapshot(TimePoint now) const {
  std::lock_guard lock(mutex_);
  return {state_locked(now), consecutive_failures_, cool_down_, open_until_};
}

}  // namespace weft::delivery
