#include "canonical/event_schemas.hpp"

#include <map>

#include "config/source_files.hpp"
#include "core/embedded_file.hpp"

namespace weft::canonical {

using nlohmann::json;

namespace {

constexpr std::string_view kEventsPrefix = "events/";
constexpr std::string_view kEntitiesPrefix = "entities/";

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

// A schema's "x-weft-identity": [{"kind", "platform_id", "external_id"?, "email"?, "tax_id"?,
// "name"?, "record"?}], pointers into the payload.
Result<std::vector<EntityRole>, std::string> read_roles(const json& schema) {
  std::vector<EntityRole> roles;
  const auto it = schema.find("x-weft-identity");
  if (it == schema.end()) return roles;
  if (!it->is_array()) return fail(std::string("x-weft-identity must be an array of entity roles"));
  for (std::size_t i = 0; i < it->size(); ++i) {
    const json& item = (*it)[i];
    const std::string at = "x-weft-identity[" + std::to_string(i) + "]";
    if (!item.is_object()) return fail(at + " must be an object");
    EntityRole role;
    for (const auto& [key, value] : item.items()) {
      if (key == "record") {
        if (!value.is_boolean()) return fail(at + ".record must be true or false");
        role.record = value.get<bool>();
        continue;
      }
      std::string* field = key == "kind"          ? &role.kind
                           : key == "platform_id" ? &role.platform_id
                           : key == "external_id" ? &role.external_id
                           : key == "email"       ? &role.email
                           : key == "tax_id"      ? &role.tax_id
                           : key == "name"        ? &role.name
                                                  : nullptr;
      if (field == nullptr) return fail(at + " has an unknown member '" + key + "'");
      if (!value.is_string() || value.get_ref<const std::string&>().empty()) {
        return fail(at + "." + key + " must be a non-empty string");
      }
      *field = value.get<std::string>();
      if (key != "kind" && field->front() != '/') return fail(at + "." + key + " must be a JSON Pointer (\"/field\")");
    }
    if (role.kind.empty() || role.platform_id.empty()) return fail(at + " needs kind and platform_id");
    roles.push_back(std::move(role));
  }
  return roles;
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

  auto roles = std::make_shared<Roles>();
  for (const auto& [name, schema] : documents) {
    auto read = read_roles(schema);
    if (!read) {
      errors.push_back({config::Location{origins[name], 0}, read.error()});
    } else if (!read->empty()) {
      (*roles)[name] = std::move(*read);
    }
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
  return EventSchemas(std::make_shared<const SchemaSet>(std::move(*set)), std::move(roles));
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

std::string EventSchemas::entity_document_for(const std::string& kind, int schema_version) {
  return std::string(kEntitiesPrefix) + kind + ".v" + std::to_string(schema_version) + ".json";
}

std::vector<SchemaViolation> EventSchemas::validate_record(const std::string& kind, const json& values,
                                                           int schema_version) const {
  const std::string document = entity_document_for(kind, schema_version);
  if (!set_->contains(document)) {
    return {SchemaViolation{"", document,
                            "no schema for the canonical record of entity kind '" + kind + "' (expected " +
                                document + ")"}};
  }
  return set_->validate(document, values);
}

const std::vector<EntityRole>& EventSchemas::roles(const std::string& type, int schema_version) const {
  static const std::vector<EntityRole> kNone;
  const auto it = roles_->find(document_for(type, schema_version));
  return it == roles_->end() ? kNone : it->second;
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
