// Circuit breaker per connector: a down platform makes work wait, not fail.
#include "delivery/circuit_breaker.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <thread>
#include <vector>

#include "weft/manual_clock.hpp"

namespace weft::delivery {
namespace {

using namespace std::chrono_literals;
using Kind = Admission::Kind;

CircuitBreakerConfig config() {
  return {.failure_threshold = 3,
          .open_for = 10s,
          .max_open_for = 35s,
          .probe_timeout = 60s,
          .probe_recheck = 1s};
}

class CircuitBreakerTest : public ::testing::Test {
 protected:
  // One call that fails in a way that counts.
  void fail_once() {
    const auto a = breaker_.allow(now());
    ASSERT_TRUE(a.may_call());
    breaker_.on_failure(a, now());
  }
  void trip() {
    for (int i = 0; i < config().failure_threshold; ++i) fail_once();
    ASSERT_EQ(breaker_.state(now()), BreakerState::open);
  }
  std::chrono::steady_clock::time_point now() const { return clock_.monotonic(); }

  ManualClock clock_;
  CircuitBreaker breaker_{config()};
};

TEST(CircuitBreakerConfig, ProblemsNameTheField) {
  EXPECT_EQ(find_problem(CircuitBreakerConfig{}), std::nullopt);
  auto problem = [](auto change) {
    CircuitBreakerConfig c;
    change(c);
    return find_problem(c).value_or("");
  };
  EXPECT_NE(problem([](auto& c) { c.failure_threshold = 0; }).find("failure_threshold"),
            std::string::npos);
  EXPECT_NE(problem([](auto& c) { c.open_for = 0s; }).find("open_for"), std::string::npos);
  EXPECT_NE(problem([](auto& c) { c.max_open_for = c.open_for - 1ms; }).find("max_open_for"),
            std::string::npos);
  EXPECT_NE(problem([](auto& c) { c.probe_timeout = 0s; }).find("probe_timeout"),
            std::string::npos);
  EXPECT_NE(problem([](auto& c) { c.probe_recheck = 0s; }).find("probe_recheck"),
            std::string::npos);
  CircuitBreakerConfig bad;
  bad.failure_threshold = 0;
  EXPECT_THROW(CircuitBreaker{bad}, std::invalid_argument);
}

TEST(BreakerStateNames, AreStable) {
  EXPECT_STREQ(to_string(BreakerState::closed), "closed");
  EXPECT_STREQ(to_string(BreakerState::open), "open");
  EXPECT_STREQ(to_string(BreakerState::half_open), "half_open");
}

TEST_F(CircuitBreakerTest, ClosedLetsEveryCallGo) {
  for (int i = 0; i < 10; ++i) EXPECT_EQ(breaker_.allow(now()).kind, Kind::go);
  EXPECT_EQ(breaker_.state(now()), BreakerState::closed);
}

TEST_F(CircuitBreakerTest, OpensAfterKConsecutiveCountedFailures) {
  fail_once();
  fail_once();
  EXPECT_EQ(breaker_.state(now()), BreakerState::closed);
  fail_once();
  EXPECT_EQ(breaker_.state(now()), BreakerState::open);
}

TEST_F(CircuitBreakerTest, ASuccessBreaksTheStreak) {
  fail_once();
  fail_once();
  breaker_.on_success(breaker_.allow(now()));  // e.g. a validation error: the platform is up
  fail_once();
  fail_once();
  EXPECT_EQ(breaker_.state(now()), BreakerState::closed);
  EXPECT_EQ(breaker_.snapshot(now()).consecutive_failures, 2);
}

TEST_F(CircuitBreakerTest, OpenMakesWorkWaitForTheRestOfTheCoolDown) {
  trip();
  auto a = breaker_.allow(now());
  EXPECT_EQ(a.kind, Kind::wait);
  EXPECT_FALSE(a.may_call());
  EXPECT_EQ(a.wait, 10s);
  clock_.advance(4s);
  EXPECT_EQ(breaker_.allow(now()).wait, 6s);
}

TEST_F(CircuitBreakerTest, AfterTheCoolDownExactlyOneProbeGoes) {
  trip();
  clock_.advance(10s);
  EXPECT_EQ(breaker_.state(now()), BreakerState::half_open);
  const auto probe = breaker_.allow(now());
  EXPECT_EQ(probe.kind, Kind::probe);
  EXPECT_TRUE(probe.may_call());
  for (int i = 0; i < 5; ++i) {
    const auto other = breaker_.allow(now());
    EXPECT_EQ(other.kind, Kind::wait);
    EXPECT_EQ(other.wait, 1s);  // probe_recheck
  }
}

TEST_F(CircuitBreakerTest, ProbeSuccessClosesIt) {
  trip();
  clock_.advance(10s);
  breaker_.on_success(breaker_.allow(now()));
  EXPECT_EQ(breaker_.state(now()), BreakerState::closed);
  EXPECT_EQ(breaker_.allow(now()).kind, Kind::go);
  EXPECT_EQ(breaker_.snapshot(now()).consecutive_failures, 0);
}

TEST_F(CircuitBreakerTest, ProbeFailureReopensWithTheCoolDownDoubledUpToMax) {
  trip();
  std::vector<std::chrono::milliseconds> cool_downs{breaker_.snapshot(now()).cool_down};
  for (int i = 0; i < 4; ++i) {
    clock_.advance(cool_downs.back());
    const auto probe = breaker_.allow(now());
    ASSERT_EQ(probe.kind, Kind::probe);
    breaker_.on_failure(probe, now());
    EXPECT_EQ(breaker_.state(now()), BreakerState::open);
    cool_downs.push_back(breaker_.snapshot(now()).cool_down);
    EXPECT_EQ(breaker_.allow(now()).wait, cool_downs.back());
  }
  EXPECT_EQ(cool_downs, (std::vector<std::chrono::milliseconds>{10s, 20s, 35s, 35s, 35s}));
}

TEST_F(CircuitBreakerTest, ClosingResetsTheCoolDown) {
  trip();
  clock_.advance(10s);
  auto probe = breaker_.allow(now());
  breaker_.on_failure(probe, now());  // cool-down now 20 s
  clock_.advance(20s);
  breaker_.on_success(breaker_.allow(now()));
  trip();
  EXPECT_EQ(breaker_.snapshot(now()).cool_down, 10s);
  EXPECT_EQ(breaker_.allow(now()).wait, 10s);
}

TEST_F(CircuitBreakerTest, LateReportsFromBeforeItOpenedAreIgnored) {
  const auto early = breaker_.allow(now());  // a slow call, admitted while closed
  trip();
  breaker_.on_success(early);  // says nothing about the platform now
  EXPECT_EQ(breaker_.state(now()), BreakerState::open);

  clock_.advance(10s);
  const auto probe = breaker_.allow(now());
  breaker_.on_failure(early, now());  // nor does a late failure re-open before the probe reports
  EXPECT_EQ(breaker_.state(now()), BreakerState::half_open);
  breaker_.on_success(probe);
  EXPECT_EQ(breaker_.state(now()), BreakerState::closed);
}

TEST_F(CircuitBreakerTest, ALostProbeIsReplacedAfterItsTimeout) {
  trip();
  clock_.advance(10s);
  const auto lost = breaker_.allow(now());  // its worker dies and never reports
  ASSERT_EQ(lost.kind, Kind::probe);
  clock_.advance(59s + 500ms);
  EXPECT_EQ(breaker_.allow(now()).wait, 500ms);  // the recheck never overshoots the timeout
  clock_.advance(500ms);
  const auto next = breaker_.allow(now());
  ASSERT_EQ(next.kind, Kind::probe);
  EXPECT_NE(next.probe_id, lost.probe_id);

  breaker_.on_success(lost);  // too late: not the current probe
  EXPECT_EQ(breaker_.state(now()), BreakerState::half_open);
  breaker_.on_success(next);
  EXPECT_EQ(breaker_.state(now()), BreakerState::closed);
}

TEST_F(CircuitBreakerTest, SnapshotShowsWhenItWillTryAgain) {
  trip();
  const auto s = breaker_.snapshot(now());
  EXPECT_EQ(s.state, BreakerState::open);
  EXPECT_EQ(s.open_until, now() + 10s);
  EXPECT_EQ(s.consecutive_failures, 3);
}

// The guarantee in DESIGN.md: "a down platform trips a circuit breaker and queues work instead
// of failing it". A platform is down for five minutes; twenty steps keep arriving. None is
// failed: each call is either made (and counted) or told to wait; all finish once it is back.
TEST_F(CircuitBreakerTest, ADownPlatformQueuesWorkInsteadOfFailingIt) {
  const auto back_at = now() + 5min;
  struct Step {
    std::chrono::steady_clock::time_point due;
    bool done = false;
  };
  std::vector<Step> steps(20, Step{now()});
  int calls_while_down = 0;
  while (true) {
    auto next_due = std::chrono::steady_clock::time_point::max();  // stays so once all are done
    for (auto& step : steps) {
      if (step.done) continue;
      if (step.due > now()) {
        next_due = std::min(next_due, step.due);
        continue;
      }
      const auto a = breaker_.allow(now());
      if (!a.may_call()) {
        step.due = now() + a.wait;  // wait, not fail
        next_due = std::min(next_due, step.due);
        continue;
      }
      if (now() < back_at) {
        ++calls_while_down;
        breaker_.on_failure(a, now());
        step.due = now() + 1s;  // the step's own backoff
        next_due = std::min(next_due, step.due);
      } else {
        breaker_.on_success(a);
        step.done = true;
      }
    }
    if (next_due == std::chrono::steady_clock::time_point::max()) break;
    clock_.advance(next_due - now());
  }
  // Three to trip it, then one probe per cool-down (10 s, 20 s, 35 s, 35 s, …) for five minutes.
  EXPECT_LE(calls_while_down, 3 + 12);
  EXPECT_LT(now() - back_at, 36s);
  EXPECT_EQ(breaker_.state(now()), BreakerState::closed);
}

TEST_F(CircuitBreakerTest, ConcurrentCallersGetExactlyOneProbe) {
  trip();
  clock_.advance(10s);
  const auto at = now();
  std::atomic<int> probes{0}, waits{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 500; ++i) {
        const auto a = breaker_.allow(at);
        if (a.kind == Kind::probe) ++probes;
        if (a.kind == Kind::wait) ++waits;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(probes.load(), 1);
  EXPECT_EQ(waits.load(), 4 * 500 - 1);
}

}  // namespace
}  // namespace weft::delivery
