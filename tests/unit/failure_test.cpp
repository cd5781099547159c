// Failure classes, their default handling, Retry-After, and the generic classifier with its
// override point for connectors.
#include "delivery/failure.hpp"

#include <gtest/gtest.h>

#include <memory>

#include "delivery/retry_after.hpp"
#include "weft/manual_clock.hpp"

namespace weft::delivery {
namespace {

using namespace std::chrono_literals;
using std::chrono::milliseconds;

constexpr FailureClass kAllClasses[] = {FailureClass::transient, FailureClass::rate_limited,
                                        FailureClass::auth,      FailureClass::validation,
                                        FailureClass::conflict,  FailureClass::unknown_outcome};

Attempt response(int status, std::string body = {}) {
  Attempt a;
  a.response.status = status;
  a.response.body = std::move(body);
  return a;
}

Attempt response_with_retry_after(int status, std::string retry_after) {
  Attempt a = response(status);
  a.response.headers.add("Retry-After", std::move(retry_after));
  return a;
}

Attempt transport(Transport t, std::string detail = {}) {
  Attempt a;
  a.transport = t;
  a.transport_detail = std::move(detail);
  return a;
}

const auto kNow = ManualClock().now();  // Tue, 14 Nov 2023 22:13:20 GMT

// --- names ---------------------------------------------------------------------------------

TEST(FailureClassNames, RoundTripThroughText) {
  for (auto cls : kAllClasses) {
    EXPECT_EQ(parse_failure_class(to_string(cls)), cls) << to_string(cls);
  }
  EXPECT_EQ(parse_failure_class("Transient"), std::nullopt);
  EXPECT_EQ(parse_failure_class(""), std::nullopt);
}

// --- default handling ----------------------------------------------------------------------

TEST(DefaultHandling, OnlyTransientRateLimitedAndUnknownOutcomeAreRetried) {
  EXPECT_TRUE(default_handling(FailureClass::transient).retryable);
  EXPECT_TRUE(default_handling(FailureClass::rate_limited).retryable);
  EXPECT_TRUE(default_handling(FailureClass::unknown_outcome).retryable);
  EXPECT_FALSE(default_handling(FailureClass::auth).retryable);
  EXPECT_FALSE(default_handling(FailureClass::validation).retryable);
  EXPECT_FALSE(default_handling(FailureClass::conflict).retryable);
}

TEST(DefaultHandling, OnlyPlatformTroubleFeedsTheCircuitBreaker) {
  EXPECT_TRUE(default_handling(FailureClass::transient).counts_toward_breaker);
  EXPECT_TRUE(default_handling(FailureClass::unknown_outcome).counts_toward_breaker);
  EXPECT_TRUE(default_handling(FailureClass::auth).counts_toward_breaker);
  // The platform answered sensibly: it is up.
  EXPECT_FALSE(default_handling(FailureClass::rate_limited).counts_toward_breaker);
  EXPECT_FALSE(default_handling(FailureClass::validation).counts_toward_breaker);
  EXPECT_FALSE(default_handling(FailureClass::conflict).counts_toward_breaker);
}

TEST(DefaultHandling, OnlyUnknownOutcomeMayHaveTakenEffect) {
  for (auto cls : kAllClasses) {
    EXPECT_EQ(default_handling(cls).outcome_uncertain, cls == FailureClass::unknown_outcome)
        << to_string(cls);
  }
}

Failure failure(FailureClass cls, std::optional<milliseconds> retry_after) {
  Failure f;
  f.cls = cls;
  f.retry_after = retry_after;
  return f;
}

TEST(DefaultHandling, RetryAfterOnRetryableFailuresHoldsTheWholeConnector) {
  EXPECT_TRUE(penalises_connector(failure(FailureClass::rate_limited, 5s)));
  EXPECT_TRUE(penalises_connector(failure(FailureClass::transient, 5s)));
  EXPECT_FALSE(penalises_connector(failure(FailureClass::rate_limited, std::nullopt)));
  EXPECT_FALSE(penalises_connector(failure(FailureClass::validation, 5s)));
}

// --- status → class ------------------------------------------------------------------------

TEST(ClassForStatus, SuccessIsNoFailure) {
  for (int status : {200, 201, 202, 204, 299}) EXPECT_EQ(class_for_status(status), std::nullopt);
}

TEST(ClassForStatus, FollowsTheDocumentedTable) {
  for (int status : {408, 425, 500, 502, 503, 504}) {
    EXPECT_EQ(class_for_status(status), FailureClass::transient) << status;
  }
  EXPECT_EQ(class_for_status(429), FailureClass::rate_limited);
  for (int status : {401, 403}) EXPECT_EQ(class_for_status(status), FailureClass::auth) << status;
  for (int status : {400, 402, 404, 422}) {
    EXPECT_EQ(class_for_status(status), FailureClass::validation) << status;
  }
  EXPECT_EQ(class_for_status(409), FailureClass::conflict);
}

TEST(ClassForStatus, UnlistedStatusesFallToTheirFamily) {
  EXPECT_EQ(class_for_status(501), FailureClass::transient);
  EXPECT_EQ(class_for_status(599), FailureClass::transient);
  EXPECT_EQ(class_for_status(410), FailureClass::validation);
  EXPECT_EQ(class_for_status(413), FailureClass::validation);
  EXPECT_EQ(class_for_status(407), FailureClass::auth);
  // A redirect the transport did not follow would come back the same every time.
  EXPECT_EQ(class_for_status(301), FailureClass::validation);
  EXPECT_EQ(class_for_status(0), FailureClass::validation);
}

// --- the generic classifier ----------------------------------------------------------------

TEST(ClassifyAttempt, A2xxIsSuccess) {
  EXPECT_EQ(classify_attempt(response(200), kNow), std::nullopt);
  EXPECT_EQ(classify_attempt(response(201, "{\"id\":1}"), kNow), std::nullopt);
}

TEST(ClassifyAttempt, NothingSentIsTransient) {
  for (auto t : {Transport::connect_failed, Transport::timeout_before_send}) {
    const auto f = classify_attempt(transport(t, "Could not resolve host"), kNow);
    ASSERT_TRUE(f);
    EXPECT_EQ(f->cls, FailureClass::transient) << to_string(t);
    EXPECT_EQ(f->http_status, 0);
    EXPECT_NE(f->message.find("Could not resolve host"), std::string::npos) << f->message;
  }
}

TEST(ClassifyAttempt, TimeoutOrResetAfterSendIsUnknownOutcome) {
  for (auto t : {Transport::timeout_after_send, Transport::connection_reset_after_send}) {
    const auto f = classify_attempt(transport(t), kNow);
    ASSERT_TRUE(f);
    EXPECT_EQ(f->cls, FailureClass::unknown_outcome) << to_string(t);
    EXPECT_EQ(f->message, to_string(t));
    // Retried, and flagged so that an exhausted one tells the operator to check first.
    EXPECT_TRUE(default_handling(f->cls).retryable);
    EXPECT_TRUE(default_handling(f->cls).outcome_uncertain);
  }
}

TEST(ClassifyAttempt, CarriesStatusAndAReadableExcerptOfTheBody) {
  const auto f = classify_attempt(response(422, "{\"error\":\"email\tinvalid\"}\n"), kNow);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->cls, FailureClass::validation);
  EXPECT_EQ(f->http_status, 422);
  EXPECT_EQ(f->message, "HTTP 422: {\"error\":\"email invalid\"} ");
  EXPECT_TRUE(f->platform_code.empty());
}

TEST(ClassifyAttempt, LongBodiesAreCut) {
  const auto f = classify_attempt(response(500, std::string(5000, 'x')), kNow);
  ASSERT_TRUE(f);
  EXPECT_LT(f->message.size(), 300u);
  EXPECT_EQ(f->message.substr(f->message.size() - 3), "...");
}

TEST(ClassifyAttempt, HonoursRetryAfterSecondsOn429) {
  const auto f = classify_attempt(response_with_retry_after(429, "120"), kNow);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->cls, FailureClass::rate_limited);
  EXPECT_EQ(f->retry_after, milliseconds(120s));
  EXPECT_TRUE(penalises_connector(*f));
}

TEST(ClassifyAttempt, HonoursRetryAfterHttpDateOn503AgainstTheClock) {
  ManualClock clock;
  const auto at = [&] {
    return classify_attempt(response_with_retry_after(503, "Tue, 14 Nov 2023 22:14:50 GMT"),
                            clock.now());
  };
  EXPECT_EQ(at()->retry_after, milliseconds(90s));
  clock.advance(60s);
  EXPECT_EQ(at()->retry_after, milliseconds(30s));
  clock.advance(60s);  // the date has passed: go now
  EXPECT_EQ(at()->retry_after, milliseconds(0));
}

TEST(ClassifyAttempt, RetryAfterHeaderNameIsCaseInsensitive) {
  Attempt a = response(429);
  a.response.headers.add("retry-after", "7");
  EXPECT_EQ(classify_attempt(a, kNow)->retry_after, milliseconds(7s));
}

TEST(ClassifyAttempt, UnparseableRetryAfterIsIgnoredNotFatal) {
  const auto f = classify_attempt(response_with_retry_after(429, "soon"), kNow);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->cls, FailureClass::rate_limited);
  EXPECT_EQ(f->retry_after, std::nullopt);
}

TEST(ClassifyAttempt, RetryAfterOnANonRetryableAnswerIsIgnored) {
  const auto f = classify_attempt(response_with_retry_after(400, "60"), kNow);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->retry_after, std::nullopt);
}

// --- Retry-After parsing -------------------------------------------------------------------

TEST(RetryAfter, DelaySeconds) {
  EXPECT_EQ(parse_retry_after("0", kNow), milliseconds(0));
  EXPECT_EQ(parse_retry_after("30", kNow), milliseconds(30s));
  EXPECT_EQ(parse_retry_after("  30 ", kNow), milliseconds(30s));
}

TEST(RetryAfter, FractionalSecondsRoundUpNeverDown) {
  EXPECT_EQ(parse_retry_after("1.5", kNow), milliseconds(1500));
  EXPECT_EQ(parse_retry_after("0.0001", kNow), milliseconds(1));
  EXPECT_EQ(parse_retry_after("2.250", kNow), milliseconds(2250));
}

TEST(RetryAfter, AllThreeHttpDateForms) {
  // 22:14:50 is 90 s after the clock's 22:13:20.
  EXPECT_EQ(parse_retry_after("Tue, 14 Nov 2023 22:14:50 GMT", kNow), milliseconds(90s));
  EXPECT_EQ(parse_retry_after("Tuesday, 14-Nov-23 22:14:50 GMT", kNow), milliseconds(90s));
  EXPECT_EQ(parse_retry_after("Tue Nov 14 22:14:50 2023", kNow), milliseconds(90s));
}

TEST(RetryAfter, AsctimeDayIsSpacePadded) {
  const auto t = parse_http_date("Sun Nov  6 08:49:37 1994", kNow);
  ASSERT_TRUE(t);
  EXPECT_EQ(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT", kNow), t);
  EXPECT_EQ(std::chrono::duration_cast<std::chrono::seconds>(t->time_since_epoch()).count(),
            784111777);
}

TEST(RetryAfter, Rfc850TwoDigitYearsAreNeverMoreThan50YearsAhead) {
  const auto y94 = parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT", kNow);
  ASSERT_TRUE(y94);
  EXPECT_EQ(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT", kNow), y94);
  EXPECT_EQ(parse_http_date("Wednesday, 06-Nov-30 08:49:37 GMT", kNow),
            parse_http_date("Wed, 06 Nov 2030 08:49:37 GMT", kNow));
}

TEST(RetryAfter, ADateInThePastMeansNow) {
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", kNow), milliseconds(0));
}

TEST(RetryAfter, AbsurdValuesAreCappedNotOverflowed) {
  EXPECT_EQ(parse_retry_after("31536000", kNow), kMaxRetryAfter);
  EXPECT_EQ(parse_retry_after("99999999999999999999999999", kNow), kMaxRetryAfter);
  EXPECT_EQ(parse_retry_after("Fri, 01 Jan 9999 00:00:00 GMT", kNow), kMaxRetryAfter);
  EXPECT_EQ(parse_retry_after("Mon, 01 Jan 1001 00:00:00 GMT", kNow), milliseconds(0));
}

TEST(RetryAfter, RejectsWhatIsNotADelayOrADate) {
  for (const char* bad :
       {"", "  ", "-5", "+5", "12abc", "1.", "1.2.3", "soon", "Tue, 14 Nov 2023 22:14:50 UTC",
        "Tue, 14 Nov 2023 22:14:50", "tue, 14 nov 2023 22:14:50 GMT",
        "Tue, 30 Feb 2023 10:00:00 GMT", "Tue, 14 Nov 2023 25:00:00 GMT",
        "Tue, 14 Foo 2023 22:14:50 GMT", "Tue, 14 Nov 2023 22:14:50 GMT trailing"}) {
    EXPECT_EQ(parse_retry_after(bad, kNow), std::nullopt) << '"' << bad << '"';
  }
}

// --- the override point --------------------------------------------------------------------

// What a connector does with its platform's error bodies (here, Salesforce-like).
class RefiningClassifier final : public FailureClassifier {
 public:
  using FailureClassifier::FailureClassifier;

 protected:
  std::optional<Failure> refine(const Attempt& attempt,
                                std::optional<Failure> generic) const override {
    if (!generic) return generic;
    const std::string& body = attempt.response.body;
    if (body.find("UNABLE_TO_LOCK_ROW") != std::string::npos) {
      generic->cls = FailureClass::transient;
      generic->platform_code = "UNABLE_TO_LOCK_ROW";
    } else if (generic->cls == FailureClass::conflict &&
               body.find("DUPLICATE_EXTERNAL_ID") != std::string::npos) {
      return std::nullopt;  // the upsert already happened: that is the success we wanted
    }
    return generic;
  }
};

TEST(FailureClassifier, WithoutRefinementItIsTheGenericVerdict) {
  const FailureClassifier classifier(std::make_shared<ManualClock>());
  EXPECT_EQ(classifier.classify(response(204)), std::nullopt);
  EXPECT_EQ(classifier.classify(response(422))->cls, FailureClass::validation);
  EXPECT_EQ(classifier.classify(transport(Transport::timeout_after_send))->cls,
            FailureClass::unknown_outcome);
}

TEST(FailureClassifier, MeasuresRetryAfterDatesOnItsInjectedClock) {
  auto clock = std::make_shared<ManualClock>();
  const FailureClassifier classifier(clock);
  const auto attempt = response_with_retry_after(503, "Tue, 14 Nov 2023 22:14:50 GMT");
  EXPECT_EQ(classifier.classify(attempt)->retry_after, milliseconds(90s));
  clock->advance(80s);
  EXPECT_EQ(classifier.classify(attempt)->retry_after, milliseconds(10s));
}

TEST(FailureClassifier, ConnectorsCanReclassifyFromThePlatformsErrorBody) {
  const RefiningClassifier classifier(std::make_shared<ManualClock>());
  const auto locked = classifier.classify(
      response(400, R"([{"errorCode":"UNABLE_TO_LOCK_ROW","message":"unable to obtain lock"}])"));
  ASSERT_TRUE(locked);
  EXPECT_EQ(locked->cls, FailureClass::transient);
  EXPECT_EQ(locked->platform_code, "UNABLE_TO_LOCK_ROW");
  EXPECT_EQ(locked->http_status, 400);

  EXPECT_EQ(classifier.classify(response(409, R"({"errorCode":"DUPLICATE_EXTERNAL_ID"})")),
            std::nullopt);
  EXPECT_EQ(classifier.classify(response(400, "{}"))->cls, FailureClass::validation);
}

}  // namespace
}  // namespace weft::delivery
