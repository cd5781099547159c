#include "mapping/canonical_event.hpp"

namespace weft::mapping {

void to_json(nlohmann::json& out, const CanonicalEvent& event) {
  out = nlohmann::json{
      {"id", event.id},
      {"type", event.type},
      {"schema_version", event.schema_version},
      {"business_key", event.business_key},
      {"occurred_at_ms", event.occurred_at_ms},
      {"platform_seq", event.platform_seq},
      {"source_connector", event.source_connector},
      {"source_event_id", event.source_event_id},
      {"correlation_id", event.correlation_id},
      {"causation_id", event.causation_id},
      {"mapping_version", event.mapping_version},
      {"payload", event.payload},
      {"canonical_ids", event.canonical_ids},
  };
}

void from_json(const nlohmann::json& in, CanonicalEvent& event) {
  in.at("id").get_to(event.id);
  in.at("type").get_to(event.type);
  in.at("schema_version").get_to(event.schema_version);
  in.at("business_key").get_to(event.business_key);
  event.payload = in.at("payload");
  event.occurred_at_ms = in.value("occurred_at_ms", std::int64_t{0});
  event.platform_seq = in.value("platform_seq", std::int64_t{0});
  event.source_connector = in.value("source_connector", std::string());
  event.source_event_id = in.value("source_event_id", std::string());
  event.correlation_id = in.value("correlation_id", std::string());
  event.causation_id = in.value("causation_id", std::string());
  event.mapping_version = in.value("mapping_version", 0);
  event.canonical_ids = in.value("canonical_ids", std::map<std::string, std::string>());
}

}  // namespace weft::mapping
