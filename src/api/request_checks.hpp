#pragma once
// The checks of a /v1 request that need no storage and no caller: its query against the
// parameters the endpoint declares, its path parameters (percent-decoded, printable UTF-8 of
// sane length) and its body (size, content type, JSON, the endpoint's schema in the OpenAPI
// document). Pure functions, so that the fuzz target (fuzz/api_request_fuzz.cpp) drives them
// with arbitrary bytes.

#include <cstddef>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "api/api_call.hpp"
#include "api/openapi.hpp"
#include "weft/result.hpp"

namespace weft::api {

// The token of "Authorization: Bearer <token>"; nullopt without the header, empty when the
// header is not a Bearer one.
std::optional<std::string_view> bearer_token(const http::Request& request);

// What is wrong with text that goes into queries, logs and answers (ids, parameters, keys):
// longer than 256 bytes, a control character, not UTF-8; nullopt when it is fine.
std::optional<std::string> sane_text_problem(std::string_view text);

struct CheckedRequest {
  std::map<std::string, std::string, std::less<>> query;
  http::PathParams params;  // decoded
  nlohmann::json body;      // null when the endpoint takes none
};

// The request's parameters and body as the endpoint takes them, or the problem to answer
// (400, 413, 415, 422) listing every invalid field.
Result<CheckedRequest, http::Response> check_request(const Endpoint& endpoint,
                                                     const http::Request& request,
                                                     const http::PathParams& raw_params,
                                                     const OpenApi& openapi,
                                                     std::size_t max_body_bytes);

}  // namespace weft::api
