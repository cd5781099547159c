#include "delivery/failure.hpp"

#include <algorithm>
#include <string>
#include <utility>

#include "delivery/retry_after.hpp"

namespace weft::delivery {

namespace {

// Enough of an error body for an operator to recognise it; connectors' refine writes better.
constexpr std::size_t kBodyExcerpt = 200;

std::string excerpt(std::string_view body) {
  std::string out;
  const std::size_t n = std::min(body.size(), kBodyExcerpt);
  out.reserve(n + 3);
  for (std::size_t i = 0; i < n; ++i) {
    const auto c = static_cast<unsigned char>(body[i]);
    out.push_back(c < 0x20 || c == 0x7f ? ' ' : body[i]);
  }
  if (body.size() > n) out += "...";
  return out;
}

Failure transport_failure(const Attempt& attempt) {
  Failure f;
  switch (attempt.transport) {
    case Transport::connect_failed:
    case Transport::timeout_before_send:
      f.cls = FailureClass::transient;
      break;
    case Transport::timeout_after_send:
    case Transport::connection_reset_after_send:
    case Transport::ok:  // not reached: the caller handles ok
      f.cls = FailureClass::unknown_outcome;
      break;
  }
  f.message = to_string(attempt.transport);
  if (!attempt.transport_detail.empty()) f.message += ": " + attempt.transport_detail;
  return f;
}

}  // namespace

const char* to_string(FailureClass cls) {
  switch (cls) {
    case FailureClass::transient:
      return "transient";
    case FailureClass::rate_limited:
      return "rate_limited";
    case FailureClass::auth:
      return "auth";
    case FailureClass::validation:
      return "validation";
    case FailureClass::conflict:
      return "conflict";
    case FailureClass::unknown_outcome:
      return "unknown_outcome";
  }
  return "unknown";
}

std::optional<FailureClass> parse_failure_class(std::string_view text) {
  for (auto cls :
       {FailureClass::transient, FailureClass::rate_limited, FailureClass::auth,
        FailureClass::validation, FailureClass::conflict, FailureClass::unknown_outcome}) {
    if (text == to_string(cls)) return cls;
  }
  return std::nullopt;
}

Handling default_handling(FailureClass cls) {
  switch (cls) {
    case FailureClass::transient:
      return {.retryable = true, .counts_toward_breaker = true, .outcome_uncertain = false};
    case FailureClass::rate_limited:
      // The platform is healthy and pacing us; the connector-wide penalty slows us down.
      return {.retryable = true, .counts_toward_breaker = false, .outcome_uncertain = false};
    case FailureClass::auth:
      // Credentials fail for every call of the connector: opening the breaker makes the rest
      // of the work wait for fixed credentials instead of flooding the workbench.
      return {.retryable = false, .counts_toward_breaker = true, .outcome_uncertain = false};
    case FailureClass::validation:
    case FailureClass::conflict:
      // The same request would be refused again; a person (or a connector's refine) decides.
      return {.retryable = false, .counts_toward_breaker = false, .outcome_uncertain = false};
    case FailureClass::unknown_outcome:
      return {.retryable = true, .counts_toward_breaker = true, .outcome_uncertain = true};
  }
  return {};
}

bool penalises_connector(const Failure& failure) {
  return failure.retry_after.has_value() && default_handling(failure.cls).retryable;
}

const char* to_string(Transport transport) {
  switch (transport) {
    case Transport::ok:
      return "ok";
    case Transport::connect_failed:
      return "connect_failed";
    case Transport::timeout_before_send:
      return "timeout_before_send";
    case Transport::timeout_after_send:
      return "timeout_after_send";
    case Transport::connection_reset_after_send:
      return "connection_reset_after_send";
  }
  return "unknown";
}

std::optional<FailureClass> class_for_status(int status) {
  if (status >= 200 && status <= 299) return std::nullopt;
  switch (status) {
    case 408:  // Request Timeout: the server gave up waiting for us
    case 425:  // Too Early
      return FailureClass::transient;
    case 429:
      return FailureClass::rate_limited;
    case 401:
    case 403:
    case 407:
      return FailureClass::auth;
    case 409:
      return FailureClass::conflict;
    default:
      break;
  }
  if (status >= 500 && status <= 599) return FailureClass::transient;
  return FailureClass::validation;
}

std::optional<Failure> classify_attempt(const Attempt& attempt,
                                        std::chrono::system_clock::time_point now) {
  if (attempt.transport != Transport::ok) return transport_failure(attempt);

  const http::Response& response = attempt.response;
  const auto cls = class_for_status(response.status);
  if (!cls) return std::nullopt;

  Failure f;
  f.cls = *cls;
  f.http_status = response.status;
  f.message = "HTTP " + std::to_string(response.status);
  if (!response.body.empty()) f.message += ": " + excerpt(response.body);
  if (default_handling(f.cls).retryable) {
    if (const auto header = response.headers.get("Retry-After")) {
      f.retry_after = parse_retry_after(*header, now);
    }
  }
  return f;
}

FailureClassifier::FailureClassifier(ClockPtr clock) : clock_(std::move(clock)) {}

std::optional<Failure> FailureClassifier::classify(const Attempt& attempt) const {
  return refine(attempt, classify_attempt(attempt, clock_->now()));
}

std::optional<Failure> FailureClassifier::refine(const Attempt& /*attempt*/,
                                                 std::optional<Failure> generic) const {
  return generic;
}

}  // namespace weft::delivery
