#include "connectors/zendesk/zendesk_webhook.hpp"

#include "connectors/json_payload.hpp"
#include "connectors/zendesk/zendesk_event_id.hpp"
#include "core/time_format.hpp"
#include "crypto/hmac.hpp"

namespace weft::connectors::zendesk {

Result<void, VerifyError> SignatureVerifier::verify(const http::Headers& headers,
                                                    std::string_view body,
                                                    std::chrono::system_clock::time_point now) const {
  const auto signature = headers.get("X-Zendesk-Webhook-Signature");
  const auto timestamp = headers.get("X-Zendesk-Webhook-Signature-Timestamp");
  if (!signature || signature->empty()) {
    return fail(VerifyError{VerifyErrc::missing_signature,
                            "missing X-Zendesk-Webhook-Signature header"});
  }
  if (!timestamp || timestamp->empty()) {
    return fail(VerifyError{VerifyErrc::missing_signature,
                            "missing X-Zendesk-Webhook-Signature-Timestamp header"});
  }
  const auto when_ms = parse_iso8601_ms(*timestamp);
  if (!when_ms) {
    return fail(VerifyError{VerifyErrc::malformed_signature,
                            "X-Zendesk-Webhook-Signature-Timestamp is not an ISO-8601 time"});
  }
  const std::string expected = crypto::base64_encode(crypto::hmac_sha256(secret_, *timestamp, body));
  if (!crypto::constant_time_equals(expected, *signature)) {
    return fail(VerifyError{VerifyErrc::bad_signature, "signature does not match the body"});
  }
  if (tolerance_.count() > 0) {
    const auto now_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
    const std::int64_t skew_s = (now_ms - *when_ms) / 1000;
    if (skew_s > tolerance_.count() || -skew_s > tolerance_.count()) {
      return fail(VerifyError{VerifyErrc::stale_timestamp,
                              "timestamp is " + std::to_string(skew_s < 0 ? -skew_s : skew_s) +
                                  " s from now; tolerance is " +
                                  std::to_string(tolerance_.count()) + " s"});
    }
  }
  return {};
}

std::string SignatureVerifier::sign(std::string_view secret, std::string_view timestamp,
                                    std::string_view body) {
  return crypto::base64_encode(crypto::hmac_sha256(secret, timestamp, body));
}

Result<EventIdentity, PayloadError> InboundConnector::identify(const http::Headers& /*headers*/,
                                                               std::string_view body) const {
  auto doc = JsonPayload::parse(body);
  if (!doc) return fail(std::move(doc).error());
  auto id = doc->require_string({"id"});
  if (!id) return fail(std::move(id).error());
  auto type = doc->require_string({"type"});
  if (!type) return fail(std::move(type).error());

  EventIdentity identity;
  constexpr std::string_view kPrefix = "zen:event-type:";
  identity.event_type = type->starts_with(kPrefix) ? type->substr(kPrefix.size()) : *type;
  if (auto time = doc->string_at({"time"})) {
    identity.occurred_at_ms = parse_iso8601_ms(*time).value_or(0);
  }
  identity.business_key = doc->string_at({"subject"}).value_or("");

  // The id is derived from the content (zendesk_event_id.hpp: a backfill poll cannot know
  // the envelope's random id); the envelope id stays the fallback.
  EventFacts facts;
  facts.type = identity.event_type;
  facts.subject = identity.business_key;
  facts.updated_at = doc->string_at({"detail", "updated_at"}).value_or("");
  facts.current = doc->string_at({"event", "current"});
  facts.field_id = doc->id_at({"event", "custom_field", "id"});
  if (!facts.field_id) facts.field_id = doc->id_at({"event", "field_id"});
  facts.comment_id = doc->id_at({"event", "comment", "id"});
  if (facts.type == "ticket.tags_changed") {
    set_tag_change(facts, doc->strings_at({"event", "tags_added"}), doc->strings_at({"event", "tags_removed"}),
                   doc->strings_at({"event", "current"}), doc->strings_at({"event", "previous"}));
  }
  identity.event_id = derived_event_id(facts).value_or(std::move(*id));
  return identity;
}

}  // namespace weft::connectors::zendesk
