#include "pollers/relayed_envelope.hpp"

#include "connectors/relayed_webhook.hpp"
#include "core/time_format.hpp"

namespace weft::pollers {

Result<nlohmann::json, std::string> relayed_envelope(const PolledRecord& polled) {
  const auto modified_ms = parse_iso8601_ms(polled.last_modified);
  if (!modified_ms) {
    return fail(polled.record_type + " " + polled.record_id + ": the version stamp \"" +
                polled.last_modified + "\" is not an ISO-8601 time");
  }
  const bool first_version = parse_iso8601_ms(polled.created) == modified_ms;
  const std::string change = first_version ? "created" : "updated";
  return nlohmann::json{
      {"id", *connectors::relayed_event_id(polled.record_type, polled.record_id, change, polled.last_modified,
                                           polled.fingerprint_version_field.empty() ? nullptr : &polled.record,
                                           polled.fingerprint_version_field)},
      {"type", polled.record_type + "." + change},
      {"occurred_at", format_iso8601_ms(*modified_ms)},
      {"record_type", polled.record_type},
      {"record_id", polled.record_id},
      {"external_id", polled.external_id},
      {"changed_fields", nullptr},
      {"record", polled.record}};
}

}  // namespace weft::pollers
