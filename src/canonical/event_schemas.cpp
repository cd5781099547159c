#include "canonical/event_schemas.hpp"

#include <map>

#include "config/source_files.hpp"
#include "core/embedded_file.hpp"

namespace weft::canonical {

using nlohmann::json;

namespace {

constexpr std::string_view kEventsPrefix = "events/";

// Parses one schema file; the document map keeps where each came from for error messages.
void add_document(std::string name, std::string_view text, std::string origin,
                  std::map<std::string, json, std::less<>>& documents, std::map<std::string, std::string>& origins,
                  std::vector<config::ConfigError>& errors) {
  try {
    documents[name] = json::parse(text);
    origins[std::move(name)] = std::move(origin);
  } catch (const json::parse_error& e) {
    errors.push_back({config::Location{origin, 0}, std::string("not valid JSON: ") + e.what()});
  }
}

}  // namespace

Result<EventSchemas, std::vector<config::ConfigError>> EventSchemas::load(
    const std::optional<std::string>& extra_dir, const std::map<std::string, json, std::less<>>& extra_documents) {
  std::map<std::string, json, std::less<>> documents;
  std::map<std::string, std::string> origins;
  std::vector<config::ConfigError> errors;
  for (const auto& file : embedded_canonical_schemas()) {
    add_document(std::string(file.path), file.contents, "(built-in) schemas/canonical/" + std::string(file.path),
                 documents, origins, errors);
  }
  if (extra_dir) {
    auto files = config::read_source_files(*extra_dir, "schemas", {".json"}, true);
    if (!files) return fail(std::move(files).error());
    for (const auto& file : *files) add_document(file.relative, file.text, file.path, documents, origins, errors);
  }
  for (const auto& [name, schema] : extra_documents) {
    documents[name] = schema;
    origins[name] = name;
  }
  if (!errors.empty()) return fail(std::move(errors));

  auto set = SchemaSet::compile(documents);
  if (!set) {
    for (const auto& e : set.error()) {
      const auto origin = origins.find(e.document);
      errors.push_back({config::Location{origin != origins.end() ? origin->second : e.document, 0},
                        "#" + e.schema_path + ": " + e.message});
    }
    return fail(std::move(errors));
  }
  return EventSchemas(std::make_shared<const SchemaSet>(std::move(*set)));
}

std::string EventSchemas::document_for(const std::string& type, int schema_version) {
  return std::string(kEventsPrefix) + type + ".v" + std::to_string(schema_version) + ".json";
}

std::vector<SchemaViolation> EventSchemas::validate(const mapping::CanonicalEvent& event) const {
  const std::string document = document_for(event.type, event.schema_version);
  if (!set_->contains(document)) {
    return {SchemaViolation{"", document,
                            "no schema for event type '" + event.type + "' version " +
                                std::to_string(event.schema_version) + " (expected " + document + ")"}};
  }
  return set_->validate(document, event.payload);
}

std::vector<std::string> EventSchemas::event_types() const {
  std::vector<std::string> out;
  for (const auto& name : set_->documents()) {
    if (name.rfind(kEventsPrefix, 0) != 0) continue;
    // "events/invoice.paid.v1.json" → "invoice.paid v1"
    std::string stem = name.substr(kEventsPrefix.size(), name.size() - kEventsPrefix.size() - 5);
    const auto v = stem.rfind(".v");
    if (v != std::string::npos) stem = stem.substr(0, v) + " v" + stem.substr(v + 2);
    out.push_back(std::move(stem));
  }
  return out;
}

}  // namespace weft::canonical
