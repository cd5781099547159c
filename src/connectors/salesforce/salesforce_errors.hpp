#pragma once
// Salesforce's REST error answers, read into a classified Failure. The body is an array,
// [{"message": "…", "errorCode": "…", "fields": […]}, …]; platform_code is the first errorCode.
//   401 INVALID_SESSION_ID          transient: the session expired or was revoked; the
//                                   connector drops its token and the retry fetches a new one
//                                   (auth would not be retried: steps would stop at every
//                                   session timeout). Bad credentials show as auth at the
//                                   token endpoint instead.
//   403 REQUEST_LIMIT_EXCEEDED      rate_limited (the org's API allowance)
//   400 UNABLE_TO_LOCK_ROW          transient (another transaction holds the record)
//   300 on an upsert                conflict (several records match the external id)
//   DUPLICATE_VALUE, DUPLICATES_DETECTED                          conflict
//   REQUIRED_FIELD_MISSING, INVALID_FIELD, FIELD_CUSTOM_VALIDATION_EXCEPTION, NOT_FOUND, …
//                                   validation (the status's class)
//   503 SERVER_UNAVAILABLE          transient
//
// Threads: immutable; refine may run on any thread.

#include "delivery/failure.hpp"

namespace weft::connectors::salesforce {

class SalesforceClassifier final : public delivery::FailureClassifier {
 public:
  using FailureClassifier::FailureClassifier;

 protected:
  std::optional<delivery::Failure> refine(const delivery::Attempt& attempt,
                                          std::optional<delivery::Failure> generic) const override;
};

}  // namespace weft::connectors::salesforce
