// weft demo --faults: the phases, and the schedule that applies them as the scenario
// progresses and clears the faults whatever happened.

#include "demo/fault_schedule.hpp"

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>

#include "sandbox/faults.hpp"

namespace weft::demo {
namespace {

using nlohmann::json;

// What the schedule's thread applied; the test thread waits for it (no sleeping).
struct Recorder {
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<json> applied;
  std::vector<std::string> announced;

  void apply(const json& body) {
    {
      std::lock_guard lock(mutex);
      applied.push_back(body);
    }
    changed.notify_all();
  }
  void announce(const std::string& line) {
    std::lock_guard lock(mutex);
    announced.push_back(line);
  }
  void wait_for(std::size_t n) {
    std::unique_lock lock(mutex);
    changed.wait(lock, [&] { return applied.size() >= n; });
  }
};

// Every phase is a body the sandbox accepts (the sandbox's own parser), for its four platforms.
TEST(FaultSchedule, DemoPhasesAreValidSandboxFaults) {
  const auto phases = demo_fault_phases(std::chrono::seconds(8));
  ASSERT_EQ(phases.size(), 4u);
  sandbox::FaultInjector injector(1);
  const std::vector<std::string> platforms{"stripe", "zendesk", "netsuite", "salesforce"};
  for (const FaultPhase& phase : phases) {
    auto applied = injector.apply(phase.faults, platforms);
    EXPECT_TRUE(applied) << phase.description << ": " << (applied ? "" : applied.error());
  }
  EXPECT_TRUE(phases[1].faults["netsuite"]["outage"].get<bool>());
  EXPECT_EQ(phases[2].after, std::chrono::seconds(8));  // the outage is timed
  EXPECT_EQ(injector.to_json(), json::object());       // the last phase clears everything
  ASSERT_TRUE(injector.apply(phases[0].faults, platforms));
  ASSERT_TRUE(injector.apply(no_faults(), platforms));
  EXPECT_EQ(injector.to_json(), json::object());
}

TEST(FaultSchedule, AppliesPhasesAsProgressReachesThemThenClears) {
  Recorder r;
  FaultSchedule schedule({{0.5, {}, json{{"a", 1}}, "half"}, {0.9, {}, json{{"b", 2}}, "most"}},
                         [&](const json& body) { r.apply(body); },
                         [&](const std::string& line) { r.announce(line); });
  schedule.progress(4, 10);
  schedule.progress(5, 10);
  r.wait_for(1);
  schedule.progress(9, 10);
  r.wait_for(2);
  schedule.finish();
  ASSERT_EQ(r.applied.size(), 3u);
  EXPECT_EQ(r.applied[0], (json{{"a", 1}}));
  EXPECT_EQ(r.applied[1], (json{{"b", 2}}));
  EXPECT_EQ(r.applied[2], no_faults());
  EXPECT_EQ(r.announced, (std::vector<std::string>{"half", "most"}));
}

TEST(FaultSchedule, FinishingEarlySkipsPhasesNotReachedAndClears) {
  Recorder r;
  FaultSchedule schedule({{0.5, {}, json{{"a", 1}}, "half"}}, [&](const json& body) { r.apply(body); },
                         [](const std::string&) {});
  schedule.progress(1, 10);
  schedule.finish();
  ASSERT_EQ(r.applied.size(), 1u);
  EXPECT_EQ(r.applied.front(), no_faults());
}

TEST(FaultSchedule, FinishingBetweenPhasesClearsAndSaysSo) {
  Recorder r;
  FaultSchedule schedule({{0.5, {}, json{{"a", 1}}, "half"}, {0.9, {}, json{{"b", 2}}, "most"}},
                         [&](const json& body) { r.apply(body); },
                         [&](const std::string& line) { r.announce(line); });
  schedule.progress(5, 10);
  r.wait_for(1);
  schedule.finish();
  ASSERT_EQ(r.applied.size(), 2u);
  EXPECT_EQ(r.applied.back(), no_faults());
  ASSERT_EQ(r.announced.size(), 2u);
  EXPECT_EQ(r.announced.back().rfind("faults off", 0), 0u) << r.announced.back();
}

}  // namespace
}  // namespace weft::demo
