#include "demo/fault_schedule.hpp"

namespace weft::demo {

using nlohmann::json;

json no_faults() {
  return {{"stripe", nullptr}, {"zendesk", nullptr}, {"netsuite", nullptr}, {"salesforce", nullptr}};
}

std::vector<FaultPhase> demo_fault_phases(std::chrono::milliseconds outage) {
  auto flaky = [](bool error_after_effect) {
    return json{{"rate_limit", {{"rate", 0.05}, {"retry_after_seconds", 1}}},
                {"error_rate", 0.05},
                {"status", error_after_effect ? 500 : 503},
                {"error_after_effect", error_after_effect}};
  };
  json some = {{"stripe", flaky(true)}, {"zendesk", flaky(false)}, {"netsuite", flaky(false)},
               {"salesforce", flaky(false)}};
  json down = some;
  down["netsuite"] = {{"outage", true}};
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(outage).count();
  return {
      {0.10, {}, some, "faults on: 5% of requests answered 429, 5% an error (Stripe's after the effect)"},
      {0.40, {}, down, "NetSuite down for " + std::to_string(seconds) + "s (every request 503)"},
      {0.40, outage, some, "NetSuite back"},
      {0.80, {}, no_faults(), "faults off"},
  };
}

FaultSchedule::FaultSchedule(std::vector<FaultPhase> phases, std::function<void(const json&)> apply,
                             std::function<void(const std::string&)> announce)
    : phases_(std::move(phases)), apply_(std::move(apply)), announce_(std::move(announce)) {
  thread_ = std::thread([this] { run(); });
}

FaultSchedule::~FaultSchedule() { finish(); }

void FaultSchedule::progress(std::size_t done, std::size_t total) {
  {
    std::lock_guard lock(mutex_);
    progress_ = total == 0 ? 1.0 : static_cast<double>(done) / static_cast<double>(total);
  }
  changed_.notify_all();
}

void FaultSchedule::finish() {
  {
    std::lock_guard lock(mutex_);
    if (finished_ && !thread_.joinable()) return;
    finished_ = true;
  }
  changed_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void FaultSchedule::run() {
  std::unique_lock lock(mutex_);
  auto previous = std::chrono::steady_clock::now();
  std::size_t reached = 0;
  for (const FaultPhase& phase : phases_) {
    const auto not_before = previous + phase.after;
    changed_.wait(lock, [&] { return finished_ || progress_ >= phase.at_progress; });
    changed_.wait_until(lock, not_before, [&] { return finished_; });
    if (finished_) break;
    lock.unlock();
    apply_(phase.faults);
    announce_(phase.description);
    lock.lock();
    previous = std::chrono::steady_clock::now();
    ++reached;
  }
  lock.unlock();
  // Whatever was reached, the run goes on without faults.
  apply_(no_faults());
  if (reached > 0 && reached < phases_.size()) announce_("faults off: the scenario has been played");
}

}  // namespace weft::demo
