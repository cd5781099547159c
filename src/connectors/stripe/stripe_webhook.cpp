#include "connectors/stripe/stripe_webhook.hpp"

#include "connectors/json_payload.hpp"

namespace weft::connectors::stripe {

Result<EventIdentity, PayloadError> InboundConnector::identify(const http::Headers& /*headers*/,
                                                               std::string_view body) const {
  auto doc = JsonPayload::parse(body);
  if (!doc) return fail(std::move(doc).error());
  auto id = doc->require_string({"id"});
  if (!id) return fail(std::move(id).error());
  auto type = doc->require_string({"type"});
  if (!type) return fail(std::move(type).error());

  EventIdentity identity;
  identity.event_id = std::move(*id);
  identity.event_type = std::move(*type);
  identity.occurred_at_ms = doc->int_at({"created"}).value_or(0) * 1000;
  const auto object_kind = doc->string_at({"data", "object", "object"});
  const auto customer = doc->string_at({"data", "object", "customer"});
  if (customer && object_kind != "customer") {
    identity.business_key = *customer;
  } else {
    identity.business_key = doc->string_at({"data", "object", "id"}).value_or("");
  }
  return identity;
}

}  // namespace weft::connectors::stripe
