#include "connectors/relayed_webhook.hpp"

#include "connectors/json_payload.hpp"
#include "core/time_format.hpp"
#include "crypto/hmac.hpp"

namespace weft::connectors {

std::optional<std::string> relayed_event_id(std::string_view record_type,
                                            std::string_view record_id, std::string_view change,
                                            std::string_view last_modified, const nlohmann::json* record,
                                            std::string_view version_field) {
  const auto ms = parse_iso8601_ms(last_modified);
  if (!ms) return std::nullopt;
  std::string id = std::string(record_type) + ":" + std::string(record_id) + ":" +
                   format_iso8601_ms(*ms);
  if (record != nullptr) id += ":" + record_fingerprint(*record, version_field);
  if (change == "deleted") id += ":deleted";
  return id;
}

std::string record_fingerprint(const nlohmann::json& record, std::string_view version_field) {
  nlohmann::json values = nlohmann::json::object();  // sorted by name
  if (record.is_object()) {
    for (const auto& [name, value] : record.items()) {
      if (name == version_field) continue;
      if (value.is_object()) {
        if (value.contains("id")) values[name] = value["id"];  // a reference: its id
      } else if (!value.is_array()) {
        values[name] = value;
      }
    }
  }
  return crypto::to_hex(crypto::sha256(values.dump())).substr(0, 16);
}

Result<EventIdentity, PayloadError> RelayedInboundConnector::identify(
    const http::Headers& /*headers*/, std::string_view body) const {
  auto doc = JsonPayload::parse(body);
  if (!doc) return fail(std::move(doc).error());
  auto type = doc->require_string({"type"});
  if (!type) return fail(std::move(type).error());
  const auto dot = type->rfind('.');
  if (dot == std::string::npos || dot == 0 || dot + 1 == type->size()) {
    return fail(PayloadError{PayloadErrc::wrong_type,
                             "field 'type' must be \"<record type>.<created|updated|deleted>\", "
                             "got \"" + *type + "\""});
  }
  auto record_type = doc->require_string({"record_type"});
  if (!record_type) return fail(std::move(record_type).error());
  auto record_id = doc->id_at({"record_id"});
  if (!record_id || record_id->empty()) {
    return fail(PayloadError{PayloadErrc::missing_field,
                             "field 'record_id' must be a non-empty string or an integer"});
  }
  auto occurred_at = doc->require_string({"occurred_at"});
  if (!occurred_at) return fail(std::move(occurred_at).error());
  const auto occurred_ms = parse_iso8601_ms(*occurred_at);
  if (!occurred_ms) {
    return fail(PayloadError{PayloadErrc::wrong_type,
                             "field 'occurred_at' must be an ISO-8601 time, got \"" +
                                 *occurred_at + "\""});
  }

  std::optional<std::string> id;
  if (const auto stamp = doc->string_at({"record", version_field_})) {
    nlohmann::json record;
    if (fingerprint_versions_) {
      // Parsed again, whole, only for the platforms that need the fingerprint (low volume).
      const auto whole = nlohmann::json::parse(body, nullptr, false);
      if (whole.is_object() && whole.contains("record")) record = whole["record"];
    }
    id = relayed_event_id(*record_type, *record_id, type->substr(dot + 1), *stamp,
                          fingerprint_versions_ ? &record : nullptr, version_field_);
  }
  if (!id) {
    auto sent = doc->require_string({"id"});
    if (!sent && sent.error().code != PayloadErrc::missing_field) return fail(std::move(sent).error());
    if (!sent) {
      return fail(PayloadError{PayloadErrc::missing_field,
                               "the envelope needs record." + version_field_ +
                                   " (an ISO-8601 time) or an id"});
    }
    id = std::move(*sent);
  }

  EventIdentity identity;
  identity.event_id = std::move(*id);
  identity.event_type = std::move(*type);
  identity.business_key = std::move(*record_id);
  identity.occurred_at_ms = *occurred_ms;
  return identity;
}

}  // namespace weft::connectors
