#include "sandbox/faults.hpp"

#include <algorithm>
#include <string_view>

#include "core/suggestion.hpp"

namespace weft::sandbox {
namespace {

using nlohmann::json;

constexpr std::int64_t kMaxLatencyMs = 60'000;
constexpr std::int64_t kMaxRetryAfterSeconds = 3600;

Result<double, std::string> rate_field(const std::string& where, const json& value) {
  if (!value.is_number()) return fail(where + ": expected a number from 0 to 1, got " + value.dump());
  const double rate = value.get<double>();
  if (!(rate >= 0 && rate <= 1)) return fail(where + ": expected a number from 0 to 1, got " + value.dump());
  return rate;
}

Result<std::int64_t, std::string> integer_field(const std::string& where, const json& value, std::int64_t min,
                                                std::int64_t max) {
  const std::string range = "an integer from " + std::to_string(min) + " to " + std::to_string(max);
  if (!value.is_number_integer()) return fail(where + ": expected " + range + ", got " + value.dump());
  const auto n = value.get<std::int64_t>();
  if (n < min || n > max) return fail(where + ": expected " + range + ", got " + value.dump());
  return n;
}

std::string unknown_field(const std::string& where, const std::string& key,
                          const std::vector<std::string_view>& known) {
  std::string message = where + ": unknown field '" + key + "'";
  const std::string hint = did_you_mean(key, known);
  message += hint;
  message += "; known fields:";
  for (auto k : known) message.append(" ").append(k);
  return message;
}

}  // namespace

bool PlatformFaults::any() const {
  return outage || error_rate > 0 || rate_limit_rate > 0 || latency.count() > 0;
}

json PlatformFaults::to_json() const {
  return json{{"outage", outage},
              {"error_rate", error_rate},
              {"status", error_status},
              {"error_after_effect", error_after_effect},
              {"latency_ms", latency.count()},
              {"rate_limit", {{"rate", rate_limit_rate}, {"retry_after_seconds", retry_after_seconds}}}};
}

const char* FaultDecision::name() const {
  switch (kind) {
    case Kind::none: return "";
    case Kind::outage: return "outage";
    case Kind::rate_limited: return "rate_limit";
    case Kind::error_before:
    case Kind::error_after: return "error";
  }
  return "";
}

Result<PlatformFaults, std::string> parse_platform_faults(const std::string& platform, const json& spec) {
  PlatformFaults faults;
  if (spec.is_null()) return faults;
  if (!spec.is_object()) return fail(platform + ": expected an object of faults or null, got " + spec.dump());
  static const std::vector<std::string_view> kKnown = {"outage", "error_rate", "status", "error_after_effect",
                                                       "latency_ms", "rate_limit"};
  for (const auto& [key, value] : spec.items()) {
    const std::string where = platform + "." + key;
    if (key == "outage" || key == "error_after_effect") {
      if (!value.is_boolean()) return fail(where + ": expected true or false, got " + value.dump());
      (key == "outage" ? faults.outage : faults.error_after_effect) = value.get<bool>();
    } else if (key == "error_rate") {
      auto rate = rate_field(where, value);
      if (!rate) return fail(rate.error());
      faults.error_rate = *rate;
    } else if (key == "status") {
      auto status = integer_field(where, value, 400, 599);
      if (!status) return fail(status.error());
      faults.error_status = static_cast<int>(*status);
    } else if (key == "latency_ms") {
      auto ms = integer_field(where, value, 0, kMaxLatencyMs);
      if (!ms) return fail(ms.error());
      faults.latency = std::chrono::milliseconds(*ms);
    } else if (key == "rate_limit") {
      if (value.is_null()) continue;
      if (!value.is_object()) return fail(where + ": expected {\"rate\": 0..1, \"retry_after_seconds\": N}");
      faults.rate_limit_rate = 1.0;  // {"rate_limit": {}}: every request
      for (const auto& [sub, sub_value] : value.items()) {
        const std::string sub_where = where + "." + sub;
        if (sub == "rate") {
          auto rate = rate_field(sub_where, sub_value);
          if (!rate) return fail(rate.error());
          faults.rate_limit_rate = *rate;
        } else if (sub == "retry_after_seconds") {
          auto seconds = integer_field(sub_where, sub_value, 0, kMaxRetryAfterSeconds);
          if (!seconds) return fail(seconds.error());
          faults.retry_after_seconds = static_cast<int>(*seconds);
        } else {
          return fail(unknown_field(where, sub, {"rate", "retry_after_seconds"}));
        }
      }
    } else {
      return fail(unknown_field(platform, key, kKnown));
    }
  }
  return faults;
}

FaultInjector::FaultInjector(std::uint64_t seed) : random_(seed) {}

Result<void, std::string> FaultInjector::apply(const json& body, const std::vector<std::string>& platforms) {
  if (!body.is_object()) {
    return fail(std::string("expected a JSON object keyed by platform, e.g. {\"stripe\": {\"error_rate\": 0.2}}"));
  }
  std::vector<std::string_view> known(platforms.begin(), platforms.end());
  std::map<std::string, PlatformFaults> parsed;
  for (const auto& [platform, spec] : body.items()) {
    if (std::find(platforms.begin(), platforms.end(), platform) == platforms.end()) {
      std::string message = "unknown platform '" + platform + "'";
      const std::string hint = did_you_mean(platform, known);
      message += hint;
      message += "; platforms:";
      for (const auto& p : platforms) message += " " + p;
      return fail(message);
    }
    auto faults = parse_platform_faults(platform, spec);
    if (!faults) return fail(faults.error());
    parsed[platform] = *faults;
  }
  std::lock_guard lock(mutex_);
  for (auto& [platform, faults] : parsed) {
    if (faults.any()) {
      faults_[platform] = faults;
    } else {
      faults_.erase(platform);
    }
  }
  return {};
}

void FaultInjector::set(const std::string& platform, PlatformFaults faults) {
  std::lock_guard lock(mutex_);
  if (faults.any()) {
    faults_[platform] = faults;
  } else {
    faults_.erase(platform);
  }
}

void FaultInjector::clear() {
  std::lock_guard lock(mutex_);
  faults_.clear();
}

json FaultInjector::to_json() const {
  std::lock_guard lock(mutex_);
  json out = json::object();
  for (const auto& [platform, faults] : faults_) out[platform] = faults.to_json();
  return out;
}

FaultDecision FaultInjector::decide(const std::string& platform) {
  std::lock_guard lock(mutex_);
  FaultDecision decision;
  auto it = faults_.find(platform);
  if (it == faults_.end()) return decision;
  const PlatformFaults& f = it->second;
  decision.latency = f.latency;
  // One draw per kind of fault that is on, always in the same order, so that a seed gives the
  // same sequence of outcomes for the same sequence of requests.
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  const bool limited = f.rate_limit_rate > 0 && uniform(random_) < f.rate_limit_rate;
  const bool errored = f.error_rate > 0 && uniform(random_) < f.error_rate;
  if (f.outage) {
    decision.kind = FaultDecision::Kind::outage;
    decision.status = 503;
  } else if (limited) {
    decision.kind = FaultDecision::Kind::rate_limited;
    decision.status = 429;
    decision.retry_after_seconds = f.retry_after_seconds;
  } else if (errored) {
    decision.kind = f.error_after_effect ? FaultDecision::Kind::error_after : FaultDecision::Kind::error_before;
    decision.status = f.error_status;
  }
  return decision;
}

}  // namespace weft::sandbox
