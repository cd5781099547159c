#pragma once
// Failures of outbound calls, classified so that each class gets the handling it needs, and a
// generic classifier that turns what an attempt saw on the wire into a Failure. Connectors
// refine the generic verdict with their platform's error bodies by overriding
// FailureClassifier::refine.
//
// Threads: everything here is immutable or a pure function; any thread may call anything.

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "weft/clock.hpp"
#include "weft/http.hpp"

namespace weft::delivery {

enum class FailureClass {
  transient,        // the platform could not do it now; the same request may succeed later
  rate_limited,     // the platform asks us to slow down (429), maybe saying until when
  auth,             // our credentials were refused (401/403)
  validation,       // the platform refused the request itself: bad data or a business rule
  conflict,         // the request collides with the platform's current state (409)
  unknown_outcome,  // the request left us and no answer came back: it may have taken effect
};
const char* to_string(FailureClass cls);
std::optional<FailureClass> parse_failure_class(std::string_view text);

// (Not weft::Failure<E>, Result's error wrapper: this is one outbound call's failure.)
struct Failure {
  FailureClass cls = FailureClass::transient;
  std::string message;  // for operators: what happened, never a credential
  // How long the platform asked us to wait (Retry-After), measured from classification.
  std::optional<std::chrono::milliseconds> retry_after;
  int http_status = 0;        // 0: no response was received
  std::string platform_code;  // the platform's own error code, set by connectors' refine
};

// What Weft does with a class by default. Every failure that is not retried ends in the
// exception workbench with its class and message — at once when it is not retryable, when
// attempts or the deadline run out when it is — so nothing fails silently.
struct Handling {
  // Retried per the step's RetryPolicy, always with the step's same idempotency key.
  bool retryable = false;
  // Says the platform (not this one request) is unwell, so it feeds the circuit breaker.
  // A failure that does not count shows the platform is answering, and resets the streak.
  bool counts_toward_breaker = false;
  // The effect may have happened: retries are safe only with the same idempotency key, and
  // an exception raised for it tells the operator to check the platform before replaying.
  bool outcome_uncertain = false;
};
Handling default_handling(FailureClass cls);

// A Retry-After on a retryable failure (429, 503) speaks for the platform, not for one
// request: the connector's rate limiter then holds every request until it has passed.
bool penalises_connector(const Failure& failure);

// How the request fared below HTTP. "after_send" means the whole request was written, so
// the platform may have acted on it.
enum class Transport {
  ok,                           // a response arrived: classify by its status
  connect_failed,               // DNS, TCP or TLS failed: nothing was sent
  timeout_before_send,          // timed out before the request was fully written
  timeout_after_send,           // sent, then no response in time
  connection_reset_after_send,  // sent, then the connection dropped without a response
};
const char* to_string(Transport transport);

// What one outbound attempt saw.
struct Attempt {
  Transport transport = Transport::ok;
  std::string transport_detail;  // the transport's own words (e.g. curl's), for the message
  http::Response response;       // meaningful only when transport == ok
};

// The class of a non-2xx status; nullopt for 2xx. 408/425/5xx transient, 429 rate_limited,
// 401/403/407 auth, 409 conflict, any other 4xx (400/402/404/422 …) validation. 1xx and
// 3xx should never reach here (the transport follows redirects): validation, since sending
// the same request again would get the same answer.
std::optional<FailureClass> class_for_status(int status);

// The generic verdict: nullopt when the attempt succeeded (2xx), else its Failure. `now` is
// wall-clock time, against which a Retry-After HTTP-date is measured.
std::optional<Failure> classify_attempt(const Attempt& attempt,
                                        std::chrono::system_clock::time_point now);

// The classifier the delivery layer calls. Connectors that know their platform's error
// bodies derive from it and override refine (e.g. Salesforce's UNABLE_TO_LOCK_ROW in a 400
// is transient; NetSuite's concurrency limit error is rate_limited; a 409 "already exists"
// on an upsert by external id may be success).
//
// Threads: immutable after construction; classify may be called from any thread, so
// overrides of refine must be safe to call concurrently.
class FailureClassifier {
 public:
  explicit FailureClassifier(ClockPtr clock);
  virtual ~FailureClassifier() = default;

  // nullopt: success. Otherwise the refined Failure.
  std::optional<Failure> classify(const Attempt& attempt) const;

 protected:
  // Override point. `generic` is classify_attempt's verdict; return it, a changed Failure, or
  // nullopt to declare the attempt a success.
  virtual std::optional<Failure> refine(const Attempt& attempt,
                                        std::optional<Failure> generic) const;

 private:
  ClockPtr clock_;
};
using FailureClassifierPtr = std::shared_ptr<const FailureClassifier>;

}  // namespace weft::delivery
