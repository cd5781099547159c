// Caps on calls in flight: fixed, and adaptive (AIMD) for account-wide limits like NetSuite's.
#include "delivery/concurrency_limiter.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <thread>
#include <vector>

namespace weft::delivery {
namespace {

std::vector<Permit> take_all(auto& limiter) {
  std::vector<Permit> permits;
  while (auto p = limiter.try_acquire()) permits.push_back(std::move(*p));
  return permits;
}

// --- fixed cap -----------------------------------------------------------------------------

TEST(ConcurrencyLimiter, RefusesBeyondTheCapUntilAPermitIsReturned) {
  ConcurrencyLimiter limiter(3);
  auto permits = take_all(limiter);
  EXPECT_EQ(permits.size(), 3u);
  EXPECT_EQ(limiter.in_flight(), 3);
  EXPECT_FALSE(limiter.try_acquire());

  permits.pop_back();  // a call finished
  EXPECT_EQ(limiter.in_flight(), 2);
  auto again = limiter.try_acquire();
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->held());
}

TEST(ConcurrencyLimiter, RejectsACapBelowOne) {
  EXPECT_THROW(ConcurrencyLimiter(0), std::invalid_argument);
}

TEST(Permit, MovingHandsTheSlotOverWithoutReturningItTwice) {
  ConcurrencyLimiter limiter(2);
  auto a = limiter.try_acquire();
  ASSERT_TRUE(a);
  Permit moved = std::move(*a);
  EXPECT_FALSE(a->held());  // NOLINT(bugprone-use-after-move): checking the moved-from state
  EXPECT_TRUE(moved.held());
  a.reset();
  EXPECT_EQ(limiter.in_flight(), 1);

  auto b = limiter.try_acquire();
  ASSERT_TRUE(b);
  moved = std::move(*b);  // the slot `moved` held goes back; b's moves in
  EXPECT_EQ(limiter.in_flight(), 1);
}

TEST(Permit, EarlyReleaseIsIdempotent) {
  ConcurrencyLimiter limiter(1);
  auto p = limiter.try_acquire();
  ASSERT_TRUE(p);
  p->release();
  p->release();
  EXPECT_FALSE(p->held());
  EXPECT_EQ(limiter.in_flight(), 0);
  p.reset();  // the destructor does not release again
  EXPECT_EQ(limiter.in_flight(), 0);
}

TEST(ConcurrencyLimiter, WorkerThreadsNeverExceedTheCap) {
  constexpr int kCap = 3;
  ConcurrencyLimiter limiter(kCap);
  std::atomic<int> running{0}, most{0}, calls{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 2000; ++i) {
        auto permit = limiter.try_acquire();
        if (!permit) continue;
        const int now = ++running;
        int seen = most.load();
        while (now > seen && !most.compare_exchange_weak(seen, now)) {
        }
        ++calls;
        --running;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_LE(most.load(), kCap);
  EXPECT_GT(calls.load(), 0);
  EXPECT_EQ(limiter.in_flight(), 0);
}

// --- adaptive (AIMD) -----------------------------------------------------------------------

AdaptiveConcurrency adaptive(int max, int initial = 0, double decrease = 0.5,
                             int successes_to_increase = 3) {
  return {.max = max,
          .initial = initial,
          .decrease = decrease,
          .successes_to_increase = successes_to_increase};
}

AdaptiveConcurrency netsuite(int max) { return adaptive(max); }

TEST(AdaptiveConcurrency, ProblemsNameTheField) {
  EXPECT_EQ(find_problem(AdaptiveConcurrency{}), std::nullopt);
  auto problem = [](AdaptiveConcurrency c) { return find_problem(c).value_or(""); };
  EXPECT_NE(problem(adaptive(0)).find("max"), std::string::npos);
  EXPECT_NE(problem(adaptive(5, 6)).find("initial"), std::string::npos);
  EXPECT_NE(problem(adaptive(5, 0, 1.0)).find("decrease"), std::string::npos);
  EXPECT_NE(problem(adaptive(5, 0, 0.0)).find("decrease"), std::string::npos);
  EXPECT_NE(problem(adaptive(5, 0, 0.5, 0)).find("successes_to_increase"), std::string::npos);
  EXPECT_THROW(AdaptiveConcurrencyLimiter(adaptive(0)), std::invalid_argument);
}

TEST(AdaptiveConcurrencyLimiter, StartsAtTheConfiguredMaxOrInitial) {
  EXPECT_EQ(AdaptiveConcurrencyLimiter(netsuite(8)).limit(), 8);
  EXPECT_EQ(AdaptiveConcurrencyLimiter(adaptive(8, 2)).limit(), 2);
}

TEST(AdaptiveConcurrencyLimiter, ALimitErrorHalvesTheCapButNeverBelowOne) {
  AdaptiveConcurrencyLimiter limiter(netsuite(10));
  std::vector<int> caps;
  for (int i = 0; i < 5; ++i) {
    auto p = limiter.try_acquire();
    ASSERT_TRUE(p);
    limiter.on_limit_exceeded(*p);
    caps.push_back(limiter.limit());
  }
  EXPECT_EQ(caps, (std::vector<int>{5, 2, 1, 1, 1}));
  EXPECT_EQ(limiter.in_flight(), 0);
}

TEST(AdaptiveConcurrencyLimiter, ABurstOfRefusalsFromCallsAlreadyInFlightLowersTheCapOnce) {
  AdaptiveConcurrencyLimiter limiter(netsuite(8));
  auto permits = take_all(limiter);
  ASSERT_EQ(permits.size(), 8u);
  // The other integrations on the account took slots: all eight calls come back refused.
  for (auto& p : permits) limiter.on_limit_exceeded(p);
  EXPECT_EQ(limiter.limit(), 4);
}

TEST(AdaptiveConcurrencyLimiter, CallsAlreadyInFlightKeepTheirSlotsAfterADecrease) {
  AdaptiveConcurrencyLimiter limiter(netsuite(6));
  auto permits = take_all(limiter);
  limiter.on_limit_exceeded(permits.front());
  EXPECT_EQ(limiter.limit(), 3);
  EXPECT_EQ(limiter.in_flight(), 6);
  EXPECT_FALSE(limiter.try_acquire());
  permits.erase(permits.begin() + 3, permits.end());  // three finish: still at the cap
  EXPECT_FALSE(limiter.try_acquire());
  permits.pop_back();
  EXPECT_TRUE(limiter.try_acquire());
}

TEST(AdaptiveConcurrencyLimiter, ARefusalUnderTheNewCapLowersItAgain) {
  AdaptiveConcurrencyLimiter limiter(netsuite(8));
  auto old = limiter.try_acquire();
  limiter.on_limit_exceeded(*old);  // 8 → 4
  auto fresh = limiter.try_acquire();
  limiter.on_limit_exceeded(*fresh);  // issued at 4, refused: 4 → 2
  EXPECT_EQ(limiter.limit(), 2);
}

TEST(AdaptiveConcurrencyLimiter, SuccessesRaiseTheCapOneStepAtATimeUpToMax) {
  AdaptiveConcurrencyLimiter limiter(netsuite(4));
  {
    auto p = limiter.try_acquire();
    limiter.on_limit_exceeded(*p);  // 4 → 2
  }
  std::vector<int> caps;
  for (int i = 0; i < 9; ++i) {
    auto p = limiter.try_acquire();
    ASSERT_TRUE(p);
    limiter.on_success(*p);
    caps.push_back(limiter.limit());
  }
  EXPECT_EQ(caps, (std::vector<int>{2, 2, 3, 3, 3, 4, 4, 4, 4}));
}

TEST(AdaptiveConcurrencyLimiter, ALimitErrorRestartsTheCountOfSuccesses) {
  AdaptiveConcurrencyLimiter limiter(netsuite(8));
  {
    auto p = limiter.try_acquire();
    limiter.on_limit_exceeded(*p);  // 8 → 4
  }
  for (int i = 0; i < 2; ++i) limiter.on_success(*limiter.try_acquire());
  {
    auto p = limiter.try_acquire();
    limiter.on_limit_exceeded(*p);  // 4 → 2, and the two successes no longer count
  }
  limiter.on_success(*limiter.try_acquire());
  limiter.on_success(*limiter.try_acquire());
  EXPECT_EQ(limiter.limit(), 2);
  limiter.on_success(*limiter.try_acquire());
  EXPECT_EQ(limiter.limit(), 3);
}

TEST(AdaptiveConcurrencyLimiter, ReportsMayFollowAnEarlyRelease) {
  AdaptiveConcurrencyLimiter limiter(netsuite(4));
  auto p = limiter.try_acquire();
  p->release();
  limiter.on_limit_exceeded(*p);
  EXPECT_EQ(limiter.limit(), 2);
  EXPECT_EQ(limiter.in_flight(), 0);
}

TEST(AdaptiveConcurrencyLimiter, WorkerThreadsNeverExceedTheMovingCap) {
  AdaptiveConcurrencyLimiter limiter(netsuite(6));
  std::atomic<int> running{0}, violations{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i) {
        auto permit = limiter.try_acquire();
        if (!permit) continue;
        if (++running > 6) ++violations;
        if ((i + t) % 7 == 0) {
          limiter.on_limit_exceeded(*permit);
        } else {
          limiter.on_success(*permit);
        }
        --running;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(violations.load(), 0);
  EXPECT_GE(limiter.limit(), 1);
  EXPECT_LE(limiter.limit(), 6);
  EXPECT_EQ(limiter.in_flight(), 0);
}

}  // namespace
}  // namespace weft::delivery
