#include "support/shipped_mappings.hpp"

#include <stdexcept>

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
    for (const auto& v : shipped_schemas().validate(event)) {
      out += event.type + " v" + std::to_string(event.schema_version) + ": " + v.to_string() + "\n";
    }
  }
  return out;
}

}  // namespace weft::test
