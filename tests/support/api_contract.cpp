#include "support/api_contract.hpp"

#include <nlohmann/json.hpp>

#include "api/openapi.hpp"

namespace weft::test {

namespace {

std::vector<std::string_view> segments(std::string_view path) {
  std::vector<std::string_view> out;
  while (!path.empty()) {
    if (path.front() == '/') path.remove_prefix(1);
    const auto end = path.find('/');
    out.push_back(path.substr(0, end));
    path = end == std::string_view::npos ? std::string_view() : path.substr(end);
  }
  return out;
}

// The operation whose path template matches `path`, preferring literal segments ("/v1/x/y"
// over "/v1/x/{id}").
const api::Operation* operation_for(std::string_view method, std::string_view path) {
  const auto wanted = segments(path.substr(0, path.find('?')));
  const api::Operation* best = nullptr;
  int best_literals = -1;
  for (const api::Operation& op : api::OpenApi::builtin().operations()) {
    if (op.method != method) continue;
    const auto pattern = segments(op.path);
    if (pattern.size() != wanted.size()) continue;
    int literals = 0;
    bool match = true;
    for (std::size_t i = 0; i < pattern.size() && match; ++i) {
      if (pattern[i].starts_with('{')) continue;
      match = pattern[i] == wanted[i];
      ++literals;
    }
    if (match && literals > best_literals) {
      best = &op;
      best_literals = literals;
    }
  }
  return best;
}

}  // namespace

std::vector<std::string> api_contract_violations(std::string_view method, std::string_view path,
                                                 int status, std::string_view content_type,
                                                 std::string_view body) {
  const std::string where =
      std::string(method) + " " + std::string(path) + " → " + std::to_string(status) + ": ";
  const api::Operation* op = operation_for(method, path);
  // Answers the router gives before any operation (404 for no route, 405) are problems too.
  std::string schema = "Problem";
  if (op != nullptr) {
    auto it = op->responses.find(std::to_string(status));
    if (it == op->responses.end()) it = op->responses.find("default");
    if (it == op->responses.end())
      return {where + "the document lists neither this status nor a default"};
    schema = it->second;
  } else if (status < 400) {
    return {where + "the document has no such operation"};
  }
  std::vector<std::string> out;
  const bool problem = status >= 400;
  const std::string_view expected_type = problem ? "application/problem+json" : "application/json";
  if (content_type.substr(0, content_type.find(';')) != expected_type) {
    out.push_back(where + "Content-Type is '" + std::string(content_type) + "', not " +
                  std::string(expected_type));
  }
  const nlohmann::json parsed = nlohmann::json::parse(body, nullptr, false);
  if (parsed.is_discarded())
    return {where + "the body is not JSON: " + std::string(body.substr(0, 200))};
  if (schema.empty()) return out;  // the document leaves this body free-form
  for (const auto& field : api::OpenApi::builtin().validate(schema, parsed)) {
    out.push_back(where + field.name + ": " + field.reason);
  }
  if (problem && parsed.value("status", 0) != status)
    out.push_back(where + "the problem's status differs");
  return out;
}

}  // namespace weft::test
