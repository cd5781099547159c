// Fuzz target: the /v1 request checks (api/request_checks.hpp) — the query parser, the path
// parameters' decoding, the bearer token, and the JSON body's parsing and validation against
// each operation's schema in the OpenAPI document — with arbitrary bytes. Whatever comes in,
// the checks answer a request or a problem response: no crash, no hang, no undefined
// behaviour, and a problem is always a 4xx with a JSON body.
//
// Input: byte 0 picks the operation; then "TARGET\n", header lines "Name: value\n" up to an
// empty line, and the body.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "api/openapi.hpp"
#include "api/request_checks.hpp"

namespace {

using weft::api::OpenApi;

std::string_view take_line(std::string_view& rest) {
  const auto end = rest.find('\n');
  std::string_view line = rest.substr(0, end);
  rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
  return line;
}

// The template's {name} segments taken from the target's path, as the router would.
weft::http::PathParams params_of(std::string_view pattern, std::string_view path) {
  weft::http::PathParams params;
  while (!pattern.empty() && !path.empty()) {
    pattern.remove_prefix(pattern.front() == '/' ? 1 : 0);
    path.remove_prefix(path.front() == '/' ? 1 : 0);
    const std::string_view p = pattern.substr(0, pattern.find('/'));
    const std::string_view v = path.substr(0, path.find('/'));
    if (p.starts_with('{')) params.add(std::string(p.substr(1, p.size() - 2)), std::string(v));
    pattern.remove_prefix(p.size());
    path.remove_prefix(v.size());
  }
  return params;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const OpenApi& openapi = OpenApi::builtin();
  const auto& ops = openapi.operations();
  const weft::api::Operation& op = ops[data[0] % ops.size()];
  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);

  weft::http::Request request;
  request.method = op.method;
  request.target = std::string(take_line(rest));
  const auto q = request.target.find('?');
  request.path = request.target.substr(0, q);
  request.query = q == std::string::npos ? "" : request.target.substr(q + 1);
  for (std::string_view line = take_line(rest); !line.empty() && !rest.empty(); line = take_line(rest)) {
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    request.headers.add(std::string(line.substr(0, colon)), std::string(value));
  }
  request.body = std::string(rest);

  (void)weft::api::bearer_token(request);
  weft::api::Endpoint endpoint;
  endpoint.method = op.method;
  endpoint.pattern = op.path;
  endpoint.query_params = op.query_params;
  endpoint.body_schema = op.request_schema;
  auto checked =
      weft::api::check_request(endpoint, request, params_of(op.path, request.path), openapi, 64 * 1024);
  if (!checked) {
    const weft::http::Response& problem = checked.error();
    if (problem.status < 400 || problem.status > 499) std::abort();
    if (nlohmann::json::parse(problem.body, nullptr, false).is_discarded()) std::abort();
  } else if (!endpoint.body_schema.empty() && !openapi.validate(endpoint.body_schema, checked->body).empty()) {
    std::abort();  // a body let through must be valid
  }
  return 0;
}
