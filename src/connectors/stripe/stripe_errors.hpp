#pragma once
// Stripe's error answers: the {"error": {type, code, decline_code, message, param}} envelope
// read into a Failure's platform_code and message, and the classes Stripe's documentation
// asks for where the HTTP status alone would mislead (VENDORS.md §1.5, §1.7, §1.8):
//
//   type card_error                        → validation (a decline: the same request fails again)
//   type idempotency_error (400)           → conflict (the step's key was used with other
//                                             parameters: a person must look)
//   409 code idempotency_key_in_use        → transient (our own duplicate is still running;
//                                             retrying with the same key gets its answer)
//   429 code lock_timeout                  → transient, Retry-After ignored (one object is
//                                             locked, not the whole account)
//   other 429                              → rate_limited, Retry-After kept
//   Stripe-Should-Retry: true              → a class that is not retried becomes transient
//   Stripe-Should-Retry: false             → a retried class becomes validation
//   anything else                          → the generic class of its status (500 stays
//                                             transient: retried with the same key, which
//                                             Stripe makes safe)
//
// Messages read "<type>: <message> (param: p) (decline_code: d) (Request-Id: req_…)". They
// never contain the API key: Stripe masks keys in its messages, and any occurrence of the
// configured key or of something shaped like a secret key is masked again here.
//
// Threads: immutable after construction; classify from any thread.

#include <optional>
#include <string>
#include <string_view>

#include "config/config.hpp"
#include "delivery/failure.hpp"

namespace weft::connectors::stripe {

class ErrorClassifier final : public delivery::FailureClassifier {
 public:
  ErrorClassifier(ClockPtr clock, config::Secret api_key);

 protected:
  std::optional<delivery::Failure> refine(const delivery::Attempt& attempt,
                                          std::optional<delivery::Failure> generic) const override;

 private:
  ClockPtr clock_;
  config::Secret api_key_;
};

// `text` with the configured key and anything shaped like a Stripe secret or restricted key
// (sk_live_…, sk_test_…, rk_live_…, rk_test_…) masked.
std::string redact_keys(std::string_view text, const config::Secret& api_key);

}  // namespace weft::connectors::stripe
