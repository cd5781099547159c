#pragma once
// Zendesk's error answers, read into a classified Failure:
//   401 {"error":"Couldn't authenticate you"}                         auth
//   404 {"error":"RecordNotFound","description":"Not found"}          validation
//   422 {"error":"RecordInvalid","description":"…","details":{"subject":[{"description":"…"}]}}
//                                                                     validation, naming the fields
//   409 {"error":"UpdateConflict","description":"…"}                  conflict
//   400 {"error":"IdempotentRequestError",…}  (same Idempotency-Key, other body)  conflict
//   429 (often text/plain) with Retry-After                           rate_limited
// platform_code is Zendesk's `error` when it is a code (RecordInvalid), not a sentence.
//
// Threads: immutable; refine may run on any thread.

#include "delivery/failure.hpp"

namespace weft::connectors::zendesk {

class ZendeskClassifier final : public delivery::FailureClassifier {
 public:
  using FailureClassifier::FailureClassifier;

 protected:
  std::optional<delivery::Failure> refine(const delivery::Attempt& attempt,
                                          std::optional<delivery::Failure> generic) const override;
};

}  // namespace weft::connectors::zendesk
