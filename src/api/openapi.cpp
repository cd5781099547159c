#include "api/openapi.hpp"

#include <algorithm>
#include <stdexcept>

#include "core/embedded_file.hpp"

namespace weft::api {

namespace {

using nlohmann::json;

constexpr std::string_view kComponentRef = "#/components/schemas/";
constexpr const char* kDefsDocument = "openapi.json";

// The component schemas with their $refs pointed at "openapi.json#/$defs/<name>", so that the
// validator, which reads JSON Schema documents, resolves them.
void rewrite_refs(json& node) {
  if (node.is_object()) {
    for (auto& [key, value] : node.items()) {
      if (key == "$ref" && value.is_string() &&
          value.get<std::string>().starts_with(kComponentRef)) {
        value = std::string(kDefsDocument) + "#/$defs/" +
                value.get<std::string>().substr(kComponentRef.size());
      } else {
        rewrite_refs(value);
      }
    }
  } else if (node.is_array()) {
    for (auto& item : node) rewrite_refs(item);
  }
}

std::string schema_name(const json& media) {
  const json* schema = media.contains("schema") ? &media["schema"] : nullptr;
  if (schema == nullptr || !schema->contains("$ref")) return {};
  const std::string ref = (*schema)["$ref"].get<std::string>();
  return ref.starts_with(kComponentRef) ? ref.substr(kComponentRef.size()) : std::string();
}

// The schema of the first content type of a request body or response.
std::string content_schema(const json& holder) {
  if (!holder.contains("content") || !holder["content"].is_object() || holder["content"].empty())
    return {};
  return schema_name(holder["content"].begin().value());
}

Operation read_operation(const std::string& method, const std::string& path, const json& op) {
  Operation out;
  out.method = method;
  std::transform(out.method.begin(), out.method.end(), out.method.begin(), ::toupper);
  out.path = path;
  out.id = op.value("operationId", "");
  const json roles = op.value("x-weft-roles", json::array());
  for (const auto& r : roles) out.roles.push_back(r.get<std::string>());
  const json parameters = op.value("parameters", json::array());
  for (const auto& p : parameters) {
    if (p.value("in", "") == "query") out.query_params.push_back(p.value("name", ""));
  }
  if (op.contains("requestBody")) out.request_schema = content_schema(op["requestBody"]);
  const json responses = op.value("responses", json::object());
  for (const auto& [status, response] : responses.items()) {
    out.responses[status] = content_schema(response);
  }
  return out;
}

}  // namespace

Result<OpenApi, std::string> OpenApi::load(std::string text) {
  json doc = json::parse(text, nullptr, false);
  if (!doc.is_object()) return fail(std::string("the OpenAPI document is not a JSON object"));
  if (!doc.value("openapi", "").starts_with("3.1"))
    return fail(std::string("the OpenAPI document is not version 3.1"));
  OpenApi api;
  const json paths = doc.value("paths", json::object());
  for (const auto& [path, item] : paths.items()) {
    for (const auto& [method, op] : item.items()) {
      if (method == "parameters") continue;
      api.operations_.push_back(read_operation(method, path, op));
    }
  }
  json defs = doc.contains("components") ? doc["components"].value("schemas", json::object())
                                         : json::object();
  rewrite_refs(defs);
  std::map<std::string, json, std::less<>> documents;
  for (const auto& [name, schema] : defs.items()) {
    documents[name] = {{"$ref", std::string(kDefsDocument) + "#/$defs/" + name}};
  }
  documents[kDefsDocument] = {{"$defs", std::move(defs)}};
  auto compiled = canonical::SchemaSet::compile(documents);
  if (!compiled) {
    std::string message = "the OpenAPI document's schemas do not compile:";
    for (const auto& e : compiled.error()) message += "\n  " + e.to_string();
    return fail(std::move(message));
  }
  api.schemas_ = std::make_shared<const canonical::SchemaSet>(std::move(*compiled));
  api.text_ = std::move(text);
  return api;
}

const OpenApi& OpenApi::builtin() {
  static const OpenApi api = [] {
    for (const EmbeddedFile& f : embedded_api_documents()) {
      if (f.path == "openapi.json") {
        auto loaded = load(std::string(f.contents));
        if (!loaded) throw std::logic_error("built-in " + loaded.error());
        return std::move(*loaded);
      }
    }
    throw std::logic_error("no built-in OpenAPI document");
  }();
  return api;
}

const Operation* OpenApi::find(std::string_view method, std::string_view path) const {
  for (const Operation& op : operations_) {
    if (op.method == method && op.path == path) return &op;
  }
  return nullptr;
}

std::vector<http::InvalidField> OpenApi::validate(std::string_view schema,
                                                  const json& instance) const {
  std::vector<http::InvalidField> out;
  for (const auto& v : schemas_->validate(schema, instance, 100)) {
    out.push_back({v.instance_path.empty() ? "/" : v.instance_path, v.message});
  }
  return out;
}

}  // namespace weft::api
