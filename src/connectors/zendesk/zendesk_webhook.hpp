#pragma once
// Zendesk's inbound side.
//
// X-Zendesk-Webhook-Signature: base64(HMAC-SHA256(secret, timestamp + body))
// X-Zendesk-Webhook-Signature-Timestamp: ISO-8601 UTC, signed exactly as sent.
// Zendesk documents no replay window; we apply the same tolerance as for Stripe.

#include <chrono>
#include <string>

#include "weft/connector.hpp"

namespace weft::connectors::zendesk {

class SignatureVerifier final : public WebhookVerifier {
 public:
  SignatureVerifier(std::string secret, std::chrono::seconds tolerance)
      : secret_(std::move(secret)), tolerance_(tolerance) {}

  Result<void, VerifyError> verify(const http::Headers& headers, std::string_view body,
                                   std::chrono::system_clock::time_point now) const override;

  static std::string sign(std::string_view secret, std::string_view timestamp,
                          std::string_view body);

 private:
  std::string secret_;
  std::chrono::seconds tolerance_;
};

// Event-subscription webhooks: {"type":"zen:event-type:ticket.status_changed","id":"<uuid>",
// "time":"…","subject":"zen:ticket:35436","detail":{…}}. The type loses its
// "zen:event-type:" prefix; the subject (the ticket, user or organization) is the business key.
// The event id is derived from the content, not the envelope's random id, so that the
// backfill poll's copy of the same event gets the same id (zendesk_event_id.hpp).
class InboundConnector final : public weft::InboundConnector {
 public:
  InboundConnector(std::string name, std::string secret, std::chrono::seconds tolerance)
      : name_(std::move(name)), verifier_(std::move(secret), tolerance) {}

  const std::string& name() const override { return name_; }
  const std::string& type() const override { return type_; }
  const WebhookVerifier& verifier() const override { return verifier_; }
  Result<EventIdentity, PayloadError> identify(const http::Headers& headers,
                                               std::string_view body) const override;

 private:
  std::string name_;
  std::string type_ = "zendesk";
  SignatureVerifier verifier_;
};

}  // namespace weft::connectors::zendesk
