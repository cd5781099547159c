#include "support/shipped_mappings.hpp"

#include <stdexcept>

#include "identity/record_update.hpp"

namespace weft::test {

const mapping::MappingSet& shipped_mappings() {
  static const mapping::MappingSet set = [] {
    auto loaded = mapping::MappingSet::load_dir(std::string(WEFT_SOURCE_DIR) + "/mappings");
    if (!loaded) throw std::runtime_error(config::format_errors(loaded.error()));
    return std::move(loaded).value();
  }();
  return set;
}

const canonical::EventSchemas& shipped_schemas() {
  static const canonical::EventSchemas schemas = [] {
    auto loaded = canonical::EventSchemas::load(std::nullopt);
    if (!loaded) throw std::runtime_error(config::format_errors(loaded.error()));
    return std::move(loaded).value();
  }();
  return schemas;
}

std::string schema_violations(const std::vector<mapping::CanonicalEvent>& events) {
  std::string out;
  for (const auto& event : events) {
    const std::string name = event.type + " v" + std::to_string(event.schema_version);
    for (const auto& v : shipped_schemas().validate(event))
      out += name + ": " + v.to_string() + "\n";
    for (const auto& role : shipped_schemas().roles(event.type, event.schema_version)) {
      // A null platform id names no entity: no record is written.
      if (!role.record ||
          event.payload.value(nlohmann::json::json_pointer(role.platform_id), nlohmann::json())
              .is_null()) {
        continue;
      }
      nlohmann::json values = nlohmann::json::object();
      for (const auto& [field, text] : identity::record_update(event, role.kind, "probe").fields) {
        values[field] = nlohmann::json::parse(text);
      }
      for (const auto& v : shipped_schemas().validate_record(role.kind, values)) {
        out += name + " record " + role.kind + ": " + v.to_string() + "\n";
      }
    }
  }
  return out;
}

}  // namespace weft::test
