#pragma once
// NetSuite's error answers (VENDORS.md §3.5, §3.6): the REST body
//   {"type": "…", "title": "Bad Request", "status": 400,
//    "o:errorDetails": [{"detail": "…", "o:errorCode": "INVALID_CONTENT", "o:errorPath": "item"}]}
// read into a Failure's platform_code (the first detail's o:errorCode) and message
// ("<detail> (at <o:errorPath>)", further details appended), and the classes:
//
//   INVALID_LOGIN (401)                      → auth (bad signature, token or clock)
//   429, CONCURRENCY_LIMIT_EXCEEDED,
//   SSS_REQUEST_LIMIT_EXCEEDED,
//   WS_REQUEST_BLOCKED, WS_CONCUR_SESSION_DISALLWD
//                                            → rate_limited: the account-wide concurrency
//                                              limit; is_concurrency_limit says so, and the
//                                              delivery layer lowers the shared cap
//   INVALID_CONTENT, USER_ERROR, other 4xx,
//   RCRD_DSNT_EXIST (404)                    → validation
//   5xx                                      → transient
//
// Threads: immutable after construction; classify from any thread.

#include <optional>
#include <string_view>

#include "delivery/failure.hpp"

namespace weft::connectors::netsuite {

class ErrorClassifier final : public delivery::FailureClassifier {
 public:
  explicit ErrorClassifier(ClockPtr clock) : FailureClassifier(std::move(clock)) {}

 protected:
  std::optional<delivery::Failure> refine(const delivery::Attempt& attempt,
                                          std::optional<delivery::Failure> generic) const override;
};

// One of the codes NetSuite (REST, RESTlets, SOAP) gives when the account's concurrency
// limit is reached.
bool is_concurrency_limit_code(std::string_view code);

// The failure is NetSuite refusing for concurrency: a 429, or rate_limited with one of the
// codes above.
bool is_concurrency_limit(const delivery::Failure& failure);

}  // namespace weft::connectors::netsuite
