// Per-step retry policy: exponential backoff with jitter, caps, Retry-After, deadlines.
#include "delivery/backoff.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <vector>

namespace weft::delivery {
namespace {

using namespace std::chrono_literals;
using std::chrono::milliseconds;

RetryPolicy no_jitter() {
  return {.max_attempts = 6,
          .initial_delay = 1s,
          .multiplier = 2.0,
          .max_delay = 10s,
          .jitter = Jitter::none,
          .deadline = 1h};
}

RandomSource constant(double u) {
  return [u] { return u; };
}

Failure of(FailureClass cls, std::optional<milliseconds> retry_after = std::nullopt) {
  return {.cls = cls,
          .message = "x",
          .retry_after = retry_after,
          .http_status = 0,
          .platform_code = {}};
}

TEST(RetryPolicy, DefaultsAreUsable) { EXPECT_EQ(find_problem(RetryPolicy{}), std::nullopt); }

TEST(RetryPolicy, ProblemsNameTheField) {
  auto with = [](auto change) {
    RetryPolicy p;
    change(p);
    return find_problem(p).value_or("");
  };
  EXPECT_NE(with([](RetryPolicy& p) { p.max_attempts = 0; }).find("max_attempts"),
            std::string::npos);
  EXPECT_NE(with([](RetryPolicy& p) { p.initial_delay = -1ms; }).find("initial_delay"),
            std::string::npos);
  EXPECT_NE(with([](RetryPolicy& p) { p.multiplier = 0.5; }).find("multiplier"), std::string::npos);
  EXPECT_NE(with([](RetryPolicy& p) {
              p.multiplier = std::numeric_limits<double>::quiet_NaN();
            }).find("multiplier"),
            std::string::npos);
  EXPECT_NE(with([](RetryPolicy& p) { p.max_delay = p.initial_delay - 1ms; }).find("max_delay"),
            std::string::npos);
  EXPECT_NE(with([](RetryPolicy& p) { p.deadline = -1s; }).find("deadline"), std::string::npos);
}

TEST(Jitter, NamesRoundTrip) {
  for (auto j : {Jitter::none, Jitter::full, Jitter::equal})
    EXPECT_EQ(parse_jitter(to_string(j)), j);
  EXPECT_EQ(parse_jitter("Full"), std::nullopt);
}

TEST(BackoffDelay, GrowsExponentiallyUpToMaxDelay) {
  const auto p = no_jitter();
  std::vector<milliseconds> delays;
  for (int attempt = 1; attempt <= 6; ++attempt) delays.push_back(backoff_delay(p, attempt, 0.7));
  EXPECT_EQ(delays, (std::vector<milliseconds>{1s, 2s, 4s, 8s, 10s, 10s}));
}

TEST(BackoffDelay, FractionalMultiplier) {
  auto p = no_jitter();
  p.multiplier = 1.5;
  EXPECT_EQ(backoff_delay(p, 1, 0), 1000ms);
  EXPECT_EQ(backoff_delay(p, 2, 0), 1500ms);
  EXPECT_EQ(backoff_delay(p, 3, 0), 2250ms);
}

TEST(BackoffDelay, FullJitterIsUniformBelowTheExponentialDelay) {
  auto p = no_jitter();
  p.jitter = Jitter::full;
  EXPECT_EQ(backoff_delay(p, 3, 0.0), 0ms);
  EXPECT_EQ(backoff_delay(p, 3, 0.25), 1s);
  EXPECT_EQ(backoff_delay(p, 3, 0.5), 2s);
  EXPECT_LT(backoff_delay(p, 3, 0.9999), 4s);
}

TEST(BackoffDelay, EqualJitterAlwaysWaitsAtLeastHalf) {
  auto p = no_jitter();
  p.jitter = Jitter::equal;
  EXPECT_EQ(backoff_delay(p, 3, 0.0), 2s);
  EXPECT_EQ(backoff_delay(p, 3, 0.5), 3s);
  EXPECT_LT(backoff_delay(p, 3, 0.9999), 4s);
}

TEST(BackoffDelay, JitteredDelaysStayWithinBoundsForManySeeds) {
  for (auto jitter : {Jitter::full, Jitter::equal}) {
    auto p = no_jitter();
    p.jitter = jitter;
    const auto random = seeded_random(42);
    for (int attempt = 1; attempt <= 8; ++attempt) {
      const milliseconds ceiling = backoff_delay(no_jitter(), attempt, 0);
      const milliseconds floor = jitter == Jitter::equal ? ceiling / 2 : 0ms;
      for (int i = 0; i < 200; ++i) {
        const auto d = backoff_delay(p, attempt, random());
        EXPECT_GE(d, floor);
        EXPECT_LE(d, ceiling);
      }
    }
  }
}

TEST(BackoffDelay, HugeAttemptNumbersSaturateAtMaxDelay) {
  auto p = no_jitter();
  EXPECT_EQ(backoff_delay(p, 10'000, 0), 10s);
  EXPECT_EQ(backoff_delay(p, std::numeric_limits<int>::max(), 0), 10s);
  p.initial_delay = 0ms;
  EXPECT_EQ(backoff_delay(p, 10'000, 0), 0ms);
}

TEST(BackoffDelay, ARandomSourceOutOfRangeCannotExceedTheCap) {
  auto p = no_jitter();
  p.jitter = Jitter::full;
  EXPECT_EQ(backoff_delay(p, 10, 7.0), 10s);
  EXPECT_EQ(backoff_delay(p, 10, -3.0), 0ms);
}

TEST(SeededRandom, SameSeedSameSequenceAndInRange) {
  const auto a = seeded_random(7), b = seeded_random(7), c = seeded_random(8);
  bool differs = false;
  for (int i = 0; i < 1000; ++i) {
    const double x = a(), y = b(), z = c();
    EXPECT_EQ(x, y);
    EXPECT_GE(x, 0.0);
    EXPECT_LT(x, 1.0);
    differs = differs || x != z;
  }
  EXPECT_TRUE(differs);
}

TEST(DecideRetry, RetriesRetryableClassesWithTheBackoff) {
  const auto p = no_jitter();
  for (auto cls :
       {FailureClass::transient, FailureClass::rate_limited, FailureClass::unknown_outcome}) {
    const auto d = decide_retry(p, of(cls), 2, 0ms, constant(0));
    EXPECT_EQ(d.verdict, RetryVerdict::retry) << to_string(cls);
    EXPECT_EQ(d.delay, 2s);
  }
}

TEST(DecideRetry, NeverRetriesAuthValidationOrConflict) {
  for (auto cls : {FailureClass::auth, FailureClass::validation, FailureClass::conflict}) {
    EXPECT_EQ(decide_retry(no_jitter(), of(cls), 1, 0ms, constant(0)).verdict,
              RetryVerdict::not_retryable)
        << to_string(cls);
  }
}

TEST(DecideRetry, StopsAfterMaxAttempts) {
  const auto p = no_jitter();  // 6 attempts
  std::vector<milliseconds> schedule;
  int attempt = 1;
  for (;; ++attempt) {
    const auto d = decide_retry(p, of(FailureClass::transient), attempt, 0ms, constant(0));
    if (d.verdict != RetryVerdict::retry) {
      EXPECT_EQ(d.verdict, RetryVerdict::attempts_exhausted);
      break;
    }
    schedule.push_back(d.delay);
  }
  EXPECT_EQ(attempt, 6);
  EXPECT_EQ(schedule, (std::vector<milliseconds>{1s, 2s, 4s, 8s, 10s}));
}

TEST(DecideRetry, OneAttemptPolicyNeverRetries) {
  auto p = no_jitter();
  p.max_attempts = 1;
  EXPECT_EQ(decide_retry(p, of(FailureClass::transient), 1, 0ms, constant(0)).verdict,
            RetryVerdict::attempts_exhausted);
}

TEST(DecideRetry, RetryAfterLongerThanTheBackoffWins) {
  const auto d = decide_retry(no_jitter(), of(FailureClass::rate_limited, 7s), 1, 0ms, constant(0));
  EXPECT_EQ(d.verdict, RetryVerdict::retry);
  EXPECT_EQ(d.delay, 7s);
}

TEST(DecideRetry, RetryAfterIsNeverShortenedNotEvenByMaxDelay) {
  const auto d =
      decide_retry(no_jitter(), of(FailureClass::rate_limited, 90s), 1, 0ms, constant(0));
  EXPECT_EQ(d.delay, 90s);  // max_delay is 10 s
}

TEST(DecideRetry, AShortRetryAfterDoesNotCutTheBackoff) {
  const auto d = decide_retry(no_jitter(), of(FailureClass::transient, 1ms), 3, 0ms, constant(0));
  EXPECT_EQ(d.delay, 4s);
}

TEST(DecideRetry, GivesUpWhenTheNextAttemptWouldStartPastTheDeadline) {
  const auto p = no_jitter();  // deadline 1 h
  EXPECT_EQ(decide_retry(p, of(FailureClass::transient), 3, 3596s, constant(0)).delay, 4s);
  EXPECT_EQ(decide_retry(p, of(FailureClass::transient), 3, 3597s, constant(0)).verdict,
            RetryVerdict::deadline_exceeded);
}

TEST(DecideRetry, ARetryAfterBeyondTheDeadlineGivesUpRatherThanRetryEarly) {
  EXPECT_EQ(
      decide_retry(no_jitter(), of(FailureClass::rate_limited, 2h), 1, 0ms, constant(0)).verdict,
      RetryVerdict::deadline_exceeded);
}

TEST(DecideRetry, ZeroDeadlineMeansNone) {
  auto p = no_jitter();
  p.deadline = 0ms;
  EXPECT_EQ(decide_retry(p, of(FailureClass::transient), 1, 1000h, constant(0)).verdict,
            RetryVerdict::retry);
  EXPECT_TRUE(within_deadline(p, 100000h));
}

TEST(DecideRetry, JitterComesFromTheInjectedSource) {
  auto p = no_jitter();
  p.jitter = Jitter::full;
  EXPECT_EQ(decide_retry(p, of(FailureClass::transient), 2, 0ms, constant(0.5)).delay, 1s);
  EXPECT_EQ(decide_retry(p, of(FailureClass::transient), 2, 0ms, constant(0.25)).delay, 500ms);
}

TEST(WithinDeadline, WorkThatWaitedOnABreakerMayStillBeTooLate) {
  const auto p = no_jitter();
  EXPECT_TRUE(within_deadline(p, 1h));
  EXPECT_FALSE(within_deadline(p, 1h + 1ms));
}

TEST(RetryVerdictNames, AreStable) {
  EXPECT_STREQ(to_string(RetryVerdict::retry), "retry");
  EXPECT_STREQ(to_string(RetryVerdict::not_retryable), "not_retryable");
  EXPECT_STREQ(to_string(RetryVerdict::attempts_exhausted), "attempts_exhausted");
  EXPECT_STREQ(to_string(RetryVerdict::deadline_exceeded), "deadline_exceeded");
}

}  // namespace
}  // namespace weft::delivery
