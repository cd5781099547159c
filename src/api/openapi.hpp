#pragma once
// The OpenAPI 3.1 document of /v1 (api/openapi.json in the repo, compiled into the binary),
// and what the server takes from it: the schemas request bodies are validated against, and
// the operations (method, path, roles, response schemas) that tests hold the server to.
//
// Its component schemas are compiled with the project's JSON Schema validator
// (canonical/json_schema.hpp), so they keep to the keywords it knows (no `format: int64`, no
// `example`): a document it cannot compile fails loading, and a test loads the built-in one.

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "canonical/json_schema.hpp"
#include "http/problem.hpp"
#include "weft/result.hpp"

namespace weft::api {

struct Operation {
  std::string method;                            // upper case
  std::string path;                              // "/v1/workflows/{id}"
  std::string id;                                // operationId
  std::vector<std::string> roles;                // x-weft-roles; empty: no authentication
  std::vector<std::string> query_params;         // names of the `in: query` parameters
  std::string request_schema;                    // components/schemas name of the body, or empty
  std::map<std::string, std::string> responses;  // status ("200", "default") → schema name
};

class OpenApi {
 public:
  static Result<OpenApi, std::string> load(std::string text);
  // The document compiled into this binary.
  static const OpenApi& builtin();

  const std::string& text() const { return text_; }
  const std::vector<Operation>& operations() const { return operations_; }
  const Operation* find(std::string_view method, std::string_view path) const;

  // Every violation of `instance` against components/schemas/<schema>, as invalid fields named by
  // JSON Pointer ("/amount"; "/" for the whole body).
  std::vector<http::InvalidField> validate(std::string_view schema,
                                           const nlohmann::json& instance) const;

 private:
  OpenApi() = default;
  std::string text_;
  std::vector<Operation> operations_;
  std::shared_ptr<const canonical::SchemaSet> schemas_;
};

}  // namespace weft::api
