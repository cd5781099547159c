#pragma once
// Stripe's inbound side: the Stripe-Signature scheme and the event envelope.
//
// Stripe-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, t + "." + body)>[,v1=…][,v0=…]
// Several v1 values appear while a secret is being rolled: any match is enough. Schemes other
// than v1 are ignored, so that a forged v0 cannot downgrade the check. Weft's own relays
// (NetSuite, Salesforce) reuse the scheme: connectors/weft_signature.hpp holds it.

#include <chrono>
#include <string>

#include "connectors/weft_signature.hpp"
#include "weft/connector.hpp"

namespace weft::connectors::stripe {

// The generic scheme (connectors/weft_signature.hpp) on the Stripe-Signature header.
class SignatureVerifier final : public TimestampedSignatureVerifier {
 public:
  // tolerance 0 disables the timestamp check (as in Stripe's libraries).
  SignatureVerifier(std::string secret, std::chrono::seconds tolerance)
      : TimestampedSignatureVerifier("Stripe-Signature", std::move(secret), tolerance) {}
  // sign(secret, timestamp, body): the header value Stripe would send (sandbox and tests).
};

class InboundConnector final : public weft::InboundConnector {
 public:
  InboundConnector(std::string name, std::string secret, std::chrono::seconds tolerance)
      : name_(std::move(name)), verifier_(std::move(secret), tolerance) {}

  const std::string& name() const override { return name_; }
  const std::string& type() const override { return type_; }
  const WebhookVerifier& verifier() const override { return verifier_; }
  // Event id and type from the envelope; the business key is the customer the object
  // belongs to when there is one (so one customer's events are ordered), else the object id.
  Result<EventIdentity, PayloadError> identify(const http::Headers& headers,
                                               std::string_view body) const override;

 private:
  std::string name_;
  std::string type_ = "stripe";
  SignatureVerifier verifier_;
};

}  // namespace weft::connectors::stripe
