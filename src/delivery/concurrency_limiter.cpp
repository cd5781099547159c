#include "delivery/concurrency_limiter.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <utility>

namespace weft::delivery {

Permit::Permit(Permit&& other) noexcept
    : issuer_(std::exchange(other.issuer_, nullptr)), epoch_(other.epoch_) {}

Permit& Permit::operator=(Permit&& other) noexcept {
  if (this != &other) {
    release();
    issuer_ = std::exchange(other.issuer_, nullptr);
    epoch_ = other.epoch_;
  }
  return *this;
}

Permit::~Permit() { release(); }

void Permit::release() noexcept {
  if (auto* issuer = std::exchange(issuer_, nullptr)) issuer->release_permit();
}

ConcurrencyLimiter::ConcurrencyLimiter(int max_in_flight) : limit_(max_in_flight) {
  if (limit_ < 1) throw std::invalid_argument("concurrency: max_in_flight must be at least 1");
}

std::optional<Permit> ConcurrencyLimiter::try_acquire() {
  std::lock_guard lock(mutex_);
  if (in_flight_ >= limit_) return std::nullopt;
  ++in_flight_;
  return Permit(this, 0);
}

int ConcurrencyLimiter::in_flight() const {
  std::lock_guard lock(mutex_);
  return in_flight_;
}

void ConcurrencyLimiter::release_permit() noexcept {
  std::lock_guard lock(mutex_);
  --in_flight_;
}

std::optional<std::string> find_problem(const AdaptiveConcurrency& config) {
  if (config.max < 1) return "max must be at least 1";
  if (config.initial < 0 || config.initial > config.max) {
    return "initial must be between 1 and max (or 0 for max)";
  }
  if (!(config.decrease > 0.0 && config.decrease < 1.0)) return "decrease must be in (0, 1)";
  if (config.successes_to_increase < 1) return "successes_to_increase must be at least 1";
  return std::nullopt;
}

namespace {

const AdaptiveConcurrency& checked(const AdaptiveConcurrency& config) {
  if (auto problem = find_problem(config)) {
    throw std::invalid_argument("adaptive concurrency: " + *problem);
  }
  return config;
}

}  // namespace

AdaptiveConcurrencyLimiter::AdaptiveConcurrencyLimiter(AdaptiveConcurrency config)
    : config_(checked(config)), limit_(config_.initial == 0 ? config_.max : config_.initial) {}

std::optional<Permit> AdaptiveConcurrencyLimiter::try_acquire() {
  std::lock_guard lock(mutex_);
  if (in_flight_ >= limit_) return std::nullopt;
  ++in_flight_;
  return Permit(this, epoch_);
}

void AdaptiveConcurrencyLimiter::on_success(const Permit& /*permit*/) {
  std::lock_guard lock(mutex_);
  if (limit_ >= config_.max) return;
  if (++successes_ >= config_.successes_to_increase) {
    ++limit_;
    successes_ = 0;
  }
}

void AdaptiveConcurrencyLimiter::on_limit_exceeded(const Permit& permit) {
  std::lock_guard lock(mutex_);
  // A permit from before the last decrease ran at the old, higher cap: the decrease already
  // answered it.
  if (permit.epoch_ != epoch_) return;
  const auto lowered = static_cast<int>(std::floor(limit_ * config_.decrease));
  limit_ = std::max(1, lowered);
  successes_ = 0;
  ++epoch_;
}

int AdaptiveConcurrencyLimiter::limit() const {
  std::lock_guard lock(mutex_);
  return limit_;
}

int AdaptiveConcurrencyLimiter::in_flight() const {
  std::lock_guard lock(mutex_);
  return in_flight_;
}

void AdaptiveConcurrencyLimiter::release_permit() noexcept {
  std::lock_guard lock(mutex_);
  --in_flight_;
}

}  // namespace weft::delivery
