#include "api/request_checks.hpp"

#include <algorithm>

#include "core/text.hpp"
#include "core/url_encoding.hpp"

namespace weft::api {

namespace {

using nlohmann::json;

bool is_json_content(const http::Request& request) {
  auto type = request.headers.get("Content-Type");
  if (!type) return false;
  std::string_view t = *type;
  t = t.substr(0, t.find(';'));
  while (!t.empty() && t.back() == ' ') t.remove_suffix(1);
  return http::iequals(t, "application/json");
}

}  // namespace

std::optional<std::string_view> bearer_token(const http::Request& request) {
  auto header = request.headers.get("Authorization");
  if (!header) return std::nullopt;
  std::string_view h = *header;
  if (h.size() < 7 || !http::iequals(h.substr(0, 7), "Bearer ")) return std::string_view();
  h.remove_prefix(7);
  while (!h.empty() && h.front() == ' ') h.remove_prefix(1);
  return h;
}

// Printable, valid text of sane length: ids and parameters go into queries, logs and answers.
std::optional<std::string> sane_text_problem(std::string_view text) {
  if (text.size() > 256) return "is longer than 256 bytes";
  for (unsigned char c : text) {
    if (c < 0x20 || c == 0x7f) return "holds a control character";
  }
  if (!is_valid_utf8(text)) return "is not valid UTF-8";
  return std::nullopt;
}

Result<CheckedRequest, http::Response> check_request(const Endpoint& endpoint,
                                                     const http::Request& request,
                                                     const http::PathParams& raw_params,
                                                     const OpenApi& openapi,
                                                     std::size_t max_body_bytes) {
  CheckedRequest out;
  // Query and path parameters.
  std::vector<http::InvalidField> bad;
  auto& query = out.query;
  if (auto pairs = url::parse_pairs(request.query)) {
    for (auto& [name, value] : *pairs) {
      if (std::find(endpoint.query_params.begin(), endpoint.query_params.end(), name) ==
          endpoint.query_params.end()) {
        bad.push_back({name, "is not a parameter of this endpoint"});
      } else if (auto problem = sane_text_problem(value)) {
        bad.push_back({name, *problem});
      } else if (!query.emplace(name, value).second) {
        bad.push_back({name, "is given more than once"});
      }
    }
  } else {
    bad.push_back({"query", "has a malformed percent-escape"});
  }
  http::PathParams& params = out.params;
  for (const auto& [name, raw] : raw_params.items()) {
    auto decoded = url::percent_decode(raw, false);
    if (!decoded) {
      bad.push_back({name, "has a malformed percent-escape"});
    } else if (auto problem = sane_text_problem(*decoded)) {
      bad.push_back({name, *problem});
    } else if (decoded->empty()) {
      bad.push_back({name, "is empty"});
    } else {
      params.add(name, std::move(*decoded));
    }
  }
  if (!bad.empty()) {
    return fail(http::problem(400, "bad-parameters", "Bad parameters",
                              "the request's parameters are not valid: see invalid_params", request,
                              bad));
  }

  // The body.
  json& body = out.body;
  if (!endpoint.body_schema.empty()) {
    if (request.body_too_large || request.body.size() > max_body_bytes) {
      return fail(http::problem(413, "too-large", "Payload too large",
                                "the body is over " + std::to_string(max_body_bytes) + " bytes",
                                request));
    }
    if (!is_json_content(request)) {
      return fail(http::problem(415, "unsupported-media-type", "Unsupported media type",
                                "send the body as Content-Type: application/json", request));
    }
    body = json::parse(request.body, nullptr, false);
    if (body.is_discarded()) {
      return fail(http::problem(400, "malformed-json", "Malformed JSON",
                                "the body is not valid JSON (UTF-8)", request));
    }
    if (auto fields = openapi.validate(endpoint.body_schema, body); !fields.empty()) {
      return fail(validation_problem(request, fields));
    }
  } else if (!request.body.empty() || request.body_too_large) {
    return fail(http::problem(400, "unexpected-body", "Unexpected body",
                              "this endpoint takes no body", request));
  }

  return out;
}

}  // namespace weft::api
