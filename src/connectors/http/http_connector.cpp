#include "connectors/http/http_connector.hpp"

#include <algorithm>
#include <array>
#include <optional>
#include <string_view>
#include <vector>

#include "core/suggestion.hpp"
#include "core/text.hpp"
#include "core/url_encoding.hpp"

namespace weft::connectors::http_api {

namespace {

constexpr std::array<std::string_view, 5> kInputKeys{"method", "path", "query", "body", "headers"};
constexpr std::array<std::string_view, 5> kMethods{"GET", "POST", "PUT", "PATCH", "DELETE"};
// Set by Weft (or by the transport) on every request; an action may not override them.
constexpr std::array<std::string_view, 11> kReservedHeaders{
    "Authorization", "Idempotency-Key", "traceparent",       "tracestate",
    "X-Correlation-Id", "Host",         "Content-Length",    "Transfer-Encoding",
    "Connection",    "Expect",          "Proxy-Authorization"};

bool is_tchar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool valid_header_name(std::string_view name) {
  return !name.empty() && name.size() <= 256 && std::all_of(name.begin(), name.end(), is_tchar);
}

// Visible characters, spaces and tabs (obs-text allowed); no line breaks, no NUL.
bool valid_header_value(std::string_view value) {
  return std::none_of(value.begin(), value.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return (u < 0x20 && c != '\t') || u == 0x7f;
  });
}

bool valid_path(std::string_view path) {
  if (path.empty() || path.front() != '/') return false;
  return std::all_of(path.begin(), path.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u > 0x20 && u < 0x7f && c != '?' && c != '#';
  });
}

std::string upper(std::string s) {
  for (char& c : s) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return s;
}

// A query value as text: strings as they are, numbers and booleans as JSON writes them.
std::optional<std::string> scalar_text(const nlohmann::json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number() || value.is_boolean()) return value.dump();
  return std::nullopt;
}

}  // namespace

HttpConnector::HttpConnector(const config::ConnectorConfig& config, ClockPtr clock)
    : name_(config.name),
      base_url_(config.base_url),
      api_key_(config.api_key),
      timeout_(std::chrono::seconds(config.timeout_seconds)),
      classifier_(std::move(clock)) {}

Result<delivery::OutboundRequest, delivery::Failure> HttpConnector::prepare(
    const engine::ActionRequest& request) const {
  const nlohmann::json& input = request.input;
  const std::string what = "action " + request.action + " of connector " + name_;
  if (!input.is_object()) {
    return fail(bad_input(what + ": input must be an object with at least 'path'"));
  }
  for (const auto& [key, value] : input.items()) {
    if (std::find(kInputKeys.begin(), kInputKeys.end(), key) == kInputKeys.end()) {
      return fail(bad_input(what + ": unknown input key '" + key + "'" +
                            did_you_mean(key, word_views(kInputKeys)) + " (known: " +
                            join_words(kInputKeys) + ")"));
    }
  }

  delivery::OutboundRequest out;
  out.timeout = timeout_;

  if (const auto it = input.find("method"); it != input.end() && !it->is_null()) {
    if (!it->is_string()) return fail(bad_input(what + ": method must be a string"));
    out.method = upper(it->get<std::string>());
    if (std::find(kMethods.begin(), kMethods.end(), out.method) == kMethods.end()) {
      return fail(bad_input(what + ": method must be one of " + join_words(kMethods)));
    }
  }

  const auto path = input.find("path");
  if (path == input.end() || !path->is_string()) {
    return fail(bad_input(what + ": path is required (a string such as \"/effects\")"));
  }
  const auto& path_text = path->get_ref<const std::string&>();
  if (!valid_path(path_text)) {
    return fail(bad_input(what + ": path must start with '/' and hold only visible ASCII " +
                          "(percent-encode the rest), with no '?' or '#' (use query)"));
  }
  out.url = base_url_ + path_text;

  if (const auto it = input.find("query"); it != input.end() && !it->is_null()) {
    if (!it->is_object()) return fail(bad_input(what + ": query must be an object"));
    char separator = '?';
    for (const auto& [key, value] : it->items()) {
      const auto text = scalar_text(value);
      if (!text) {
        return fail(bad_input(what + ": query." + key + " must be a string, number or boolean"));
      }
      out.url += separator;
      separator = '&';
      url::percent_encode(key, out.url);
      out.url += '=';
      url::percent_encode(*text, out.url);
    }
  }

  if (const auto it = input.find("body"); it != input.end() && !it->is_null()) {
    if (out.method == "GET") return fail(bad_input(what + ": a GET request takes no body"));
    // Invalid UTF-8 in a string would make dump throw; the input came from jq, so it is
    // already valid, but an error is better than an exception escaping a worker.
    out.body = it->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    out.headers.add("Content-Type", "application/json");
  }
  out.headers.add("Accept", "application/json");

  if (const auto it = input.find("headers"); it != input.end() && !it->is_null()) {
    if (!it->is_object()) return fail(bad_input(what + ": headers must be an object of strings"));
    for (const auto& [key, value] : it->items()) {
      if (!valid_header_name(key)) {
        return fail(bad_input(what + ": headers: '" + key + "' is not a valid header name"));
      }
      const bool reserved =
          std::any_of(kReservedHeaders.begin(), kReservedHeaders.end(),
                      [&key](std::string_view r) { return http::iequals(r, key); });
      if (reserved) {
        return fail(bad_input(what + ": headers: " + key + " is set by Weft" +
                              (http::iequals(key, "Authorization")
                                   ? " (give the connector an api_key instead)"
                                   : "")));
      }
      if (!value.is_string() || !valid_header_value(value.get_ref<const std::string&>())) {
        return fail(bad_input(what + ": headers." + key +
                              " must be a string without line breaks or control characters"));
      }
      out.headers.set(key, value.get<std::string>());
    }
  }

  if (!request.idempotency_key.empty()) {
    if (!valid_header_value(request.idempotency_key)) {
      return fail(bad_input(what + ": the idempotency key holds control characters"));
    }
    out.headers.add("Idempotency-Key", request.idempotency_key);
  }
  if (!api_key_.empty()) out.headers.add("Authorization", "Bearer " + api_key_.reveal());
  return out;
}

Result<nlohmann::json, delivery::Failure> HttpConnector::read_success(
    const engine::ActionRequest& /*request*/, const http::Response& response) const {
  return json_output(response);
}

}  // namespace weft::connectors::http_api
