#pragma once
// The timestamped HMAC signature scheme Stripe invented and Weft reuses for the webhooks its
// own relay scripts send (NetSuite SuiteScript, Salesforce Apex; docs/connectors/):
//
//   <Header>: t=<unix seconds>,v1=<lowercase hex HMAC-SHA256(secret, t + "." + body)>[,v1=…]
//
// Several v1 values appear while a secret is being rolled: any match is enough. Schemes other
// than v1 (Stripe's v0) are ignored, so that a forged weaker scheme cannot downgrade the
// check. The header is "Stripe-Signature" for Stripe and kWeftSignatureHeader for the relays.
//
// Threads: immutable after construction; verify from any thread.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "weft/connector.hpp"

namespace weft::connectors {

inline constexpr std::string_view kWeftSignatureHeader = "X-Weft-Signature";

class TimestampedSignatureVerifier : public WebhookVerifier {
 public:
  // tolerance 0 disables the timestamp check (as in Stripe's libraries).
  TimestampedSignatureVerifier(std::string header, std::string secret,
                               std::chrono::seconds tolerance)
      : header_(std::move(header)), secret_(std::move(secret)), tolerance_(tolerance) {}

  Result<void, VerifyError> verify(const http::Headers& headers, std::string_view body,
                                   std::chrono::system_clock::time_point now) const override;

  // The header value a sender puts on `body` at `timestamp` (sandbox, relays' tests).
  static std::string sign(std::string_view secret, std::int64_t timestamp, std::string_view body);

  const std::string& header() const { return header_; }

 private:
  std::string header_;
  std::string secret_;
  std::chrono::seconds tolerance_;
};

}  // namespace weft::connectors
