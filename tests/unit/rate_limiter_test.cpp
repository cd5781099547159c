// Token-bucket rate limit per connector, and the Retry-After penalty that holds it.
#include "delivery/rate_limiter.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <limits>
#include <stdexcept>
#include <thread>
#include <vector>

#include "delivery/backoff.hpp"
#include "delivery/failure.hpp"
#include "weft/manual_clock.hpp"

namespace weft::delivery {
namespace {

using namespace std::chrono_literals;

TEST(RateLimit, ProblemsNameTheField) {
  EXPECT_EQ(find_problem(RateLimit{}), std::nullopt);
  EXPECT_NE(find_problem(RateLimit{.per_second = 0, .burst = 1}).value_or("").find("per_second"),
            std::string::npos);
  EXPECT_NE(find_problem(RateLimit{.per_second = -1, .burst = 1}).value_or("").find("per_second"),
            std::string::npos);
  EXPECT_NE(
      find_problem(RateLimit{.per_second = std::numeric_limits<double>::infinity(), .burst = 1})
          .value_or("")
          .find("per_second"),
      std::string::npos);
  EXPECT_NE(find_problem(RateLimit{.per_second = 5, .burst = 0}).value_or("").find("burst"),
            std::string::npos);
  EXPECT_THROW(RateLimiter(RateLimit{.per_second = 0, .burst = 1}), std::invalid_argument);
}

TEST(RateLimiter, AllowsABurstThenSaysHowLongToWait) {
  ManualClock clock;
  RateLimiter limiter({.per_second = 10, .burst = 3});
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.try_acquire(clock.monotonic()).granted) << i;
  const auto refused = limiter.try_acquire(clock.monotonic());
  EXPECT_FALSE(refused.granted);
  EXPECT_EQ(refused.wait, 100ms);

  clock.advance(99ms);
  const auto still = limiter.try_acquire(clock.monotonic());
  EXPECT_FALSE(still.granted);
  EXPECT_EQ(still.wait, 1ms);
  clock.advance(1ms);
  EXPECT_TRUE(limiter.try_acquire(clock.monotonic()).granted);
}

TEST(RateLimiter, AvailableIsTheHeadroomAndTakesNothing) {
  ManualClock clock;
  RateLimiter limiter({.per_second = 10, .burst = 3});
  EXPECT_EQ(limiter.available(clock.monotonic()), 3);
  EXPECT_EQ(limiter.available(clock.monotonic()), 3);  // asking takes no token
  limiter.try_acquire(clock.monotonic());
  limiter.try_acquire(clock.monotonic());
  EXPECT_EQ(limiter.available(clock.monotonic()), 1);
  limiter.try_acquire(clock.monotonic());
  EXPECT_EQ(limiter.available(clock.monotonic()), 0);
  clock.advance(100ms);
  EXPECT_EQ(limiter.available(clock.monotonic()), 1);
  clock.advance(1s);
  EXPECT_EQ(limiter.available(clock.monotonic()), 3);  // full, and no more
}

TEST(RateLimiter, HoldsTheSustainedRateUnderAFlood) {
  // A month-end burst: callers ask every millisecond for a minute. Grants must never exceed
  // burst + rate × elapsed, and must reach it (the limiter does not under-deliver either).
  ManualClock clock;
  RateLimiter limiter({.per_second = 5, .burst = 4});
  const auto start = clock.monotonic();
  int granted = 0;
  for (int ms = 0; ms <= 60'000; ++ms) {
    while (limiter.try_acquire(clock.monotonic()).granted) ++granted;
    const double allowed = 4 + 5 * (clock.monotonic() - start) / 1.0s;
    ASSERT_LE(granted, allowed + 1e-9) << "at " << ms << " ms";
    clock.advance(1ms);
  }
  EXPECT_EQ(granted, 4 + 5 * 60);
}

TEST(RateLimiter, FollowingTheWaitHintGrantsExactlyAtTheRate) {
  ManualClock clock;
  RateLimiter limiter({.per_second = 4, .burst = 1});
  std::vector<std::chrono::steady_clock::duration> grants;
  const auto start = clock.monotonic();
  while (grants.size() < 5) {
    const auto d = limiter.try_acquire(clock.monotonic());
    if (d.granted) {
      grants.push_back(clock.monotonic() - start);
    } else {
      clock.advance(d.wait);
    }
  }
  EXPECT_EQ(grants,
            (std::vector<std::chrono::steady_clock::duration>{0ms, 250ms, 500ms, 750ms, 1000ms}));
}

TEST(RateLimiter, AQuietSpellRefillsToTheBurstAndNoFurther) {
  ManualClock clock;
  RateLimiter limiter({.per_second = 10, .burst = 3});
  while (limiter.try_acquire(clock.monotonic()).granted) {
  }
  clock.advance(1h);
  int granted = 0;
  while (limiter.try_acquire(clock.monotonic()).granted) ++granted;
  EXPECT_EQ(granted, 3);
}

TEST(RateLimiter, SlowerThanOnePerSecond) {
  ManualClock clock;
  RateLimiter limiter({.per_second = 0.5, .burst = 1});
  EXPECT_TRUE(limiter.try_acquire(clock.monotonic()).granted);
  EXPECT_EQ(limiter.try_acquire(clock.monotonic()).wait, 2s);
}

TEST(RateLimiter, PenaltyRefusesEveryoneUntilItsEnd) {
  ManualClock clock;
  RateLimiter limiter({.per_second = 100, .burst = 10});
  const auto until = clock.monotonic() + 30s;
  limiter.penalise_until(until);
  EXPECT_EQ(limiter.penalty_until(clock.monotonic()), until);

  const auto refused = limiter.try_acquire(clock.monotonic());
  EXPECT_FALSE(refused.granted);
  EXPECT_EQ(refused.wait, 30s);
  clock.advance(29s);
  EXPECT_EQ(limiter.try_acquire(clock.monotonic()).wait, 1s);
  clock.advance(1s);
  EXPECT_TRUE(limiter.try_acquire(clock.monotonic()).granted);
  EXPECT_EQ(limiter.penalty_until(clock.monotonic()), std::nullopt);
}

TEST(RateLimiter, AfterAPenaltyTrafficResumesAtTheRateNotInABurst) {
  ManualClock clock;
  RateLimiter limiter({.per_second = 10, .burst = 10});
  limiter.penalise_until(clock.monotonic() + 5s);
  clock.advance(5s);
  EXPECT_TRUE(limiter.try_acquire(clock.monotonic()).granted);
  const auto next = limiter.try_acquire(clock.monotonic());
  EXPECT_FALSE(next.granted);
  EXPECT_EQ(next.wait, 100ms);
}

TEST(RateLimiter, AShorterPenaltyNeverCutsALongerOne) {
  ManualClock clock;
  RateLimiter limiter({.per_second = 10, .burst = 1});
  const auto now = clock.monotonic();
  limiter.penalise_until(now + 60s);
  limiter.penalise_until(now + 5s);
  EXPECT_EQ(limiter.penalty_until(now), now + 60s);
  EXPECT_EQ(limiter.try_acquire(now).wait, 60s);

  limiter.penalise_until(now + 90s);  // a later one extends it
  EXPECT_EQ(limiter.try_acquire(now).wait, 90s);
}

TEST(RateLimiter, APenaltyInThePastChangesNothing) {
  ManualClock clock;
  clock.advance(1h);
  RateLimiter limiter({.per_second = 10, .burst = 2});
  limiter.penalise_until(clock.monotonic() - 1s);
  EXPECT_EQ(limiter.penalty_until(clock.monotonic()), std::nullopt);
  EXPECT_TRUE(limiter.try_acquire(clock.monotonic()).granted);
  EXPECT_TRUE(limiter.try_acquire(clock.monotonic()).granted);
}

// The pieces together, as the delivery worker uses them: a 429 with Retry-After holds every
// request of the connector, and the step that got it retries no earlier.
TEST(RateLimiter, A429WithRetryAfterHoldsTheConnectorAndTheStep) {
  ManualClock clock;
  RateLimiter limiter({.per_second = 10, .burst = 10});
  ASSERT_TRUE(limiter.try_acquire(clock.monotonic()).granted);

  Attempt attempt;
  attempt.response.status = 429;
  attempt.response.headers.add("Retry-After", "20");
  const auto failure = classify_attempt(attempt, clock.now());
  ASSERT_TRUE(failure);
  ASSERT_TRUE(penalises_connector(*failure));
  limiter.penalise_until(clock.monotonic() + *failure->retry_after);

  RetryPolicy policy;
  policy.jitter = Jitter::none;
  const auto decision = decide_retry(policy, *failure, 1, 0ms, [] { return 0.0; });
  EXPECT_EQ(decision.verdict, RetryVerdict::retry);
  EXPECT_EQ(decision.delay, 20s);
  EXPECT_EQ(limiter.try_acquire(clock.monotonic()).wait, 20s);  // other steps wait as well

  clock.advance(decision.delay);
  EXPECT_TRUE(limiter.try_acquire(clock.monotonic()).granted);
}

TEST(RateLimiter, ConcurrentCallersNeverShareOutMoreThanTheBurst) {
  ManualClock clock;
  RateLimiter limiter({.per_second = 1, .burst = 50});
  const auto now = clock.monotonic();  // time stands still: only the burst is available
  std::atomic<int> granted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) {
        if (limiter.try_acquire(now).granted) ++granted;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(granted.load(), 50);
}

}  // namespace
}  // namespace weft::delivery
