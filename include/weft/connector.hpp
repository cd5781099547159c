#pragma once
// Connector: everything Weft knows about one platform's wire protocol, and no business
// logic. This header holds the inbound half (webhook verification and event identity); the
// outbound half (actions, auth, pagination) joins it with the delivery layer.
//
// Threads: a connector is immutable after construction; every method may be called from any
// thread concurrently.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "weft/http.hpp"
#include "weft/result.hpp"

namespace weft {

enum class VerifyErrc {
  missing_signature,    // no signature header
  malformed_signature,  // header present but unparseable
  bad_signature,        // no signature matched
  stale_timestamp,      // outside the tolerance window
};
const char* to_string(VerifyErrc code);
using VerifyError = Error<VerifyErrc>;

// Checks that a webhook was sent by the platform. Every connector implements one.
class WebhookVerifier {
 public:
  virtual ~WebhookVerifier() = default;
  virtual Result<void, VerifyError> verify(const http::Headers& headers, std::string_view body,
                                           std::chrono::system_clock::time_point now) const = 0;
};

// What ingest needs to know of an event before it is stored.
struct EventIdentity {
  std::string event_id;
  std::string event_type;
  std::string business_key;
  std::int64_t occurred_at_ms = 0;
};

enum class PayloadErrc { malformed_json, missing_field, wrong_type };
const char* to_string(PayloadErrc code);
using PayloadError = Error<PayloadErrc>;

class InboundConnector {
 public:
  virtual ~InboundConnector() = default;
  virtual const std::string& name() const = 0;  // the name in the config, e.g. "stripe"
  virtual const std::string& type() const = 0;  // the platform kind, e.g. "stripe"
  virtual const WebhookVerifier& verifier() const = 0;
  // Parses a verified body (the whole document is validated) and extracts its identity.
  virtual Result<EventIdentity, PayloadError> identify(const http::Headers& headers,
                                                       std::string_view body) const = 0;
};
using InboundConnectorPtr = std::unique_ptr<InboundConnector>;

}  // namespace weft
