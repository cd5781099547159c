#include "connectors/netsuite/netsuite_errors.hpp"
#include "connectors/outbound_connector.hpp"

#include <algorithm>
#include <array>
#include <nlohmann/json.hpp>
#include <string>

namespace weft::connectors::netsuite {

namespace {

using delivery::Failure;
using delivery::FailureClass;

// NetSuite's details are a sentence; a longer one is cut so that a log line stays one.
constexpr std::size_t kMaxField = 500;
constexpr std::size_t kMaxDetails = 3;

constexpr std::array<std::string_view, 4> kConcurrencyCodes{
    "CONCURRENCY_LIMIT_EXCEEDED", "SSS_REQUEST_LIMIT_EXCEEDED", "WS_REQUEST_BLOCKED",
    "WS_CONCUR_SESSION_DISALLWD"};

std::string printable(std::string_view text) { return one_line(text, kMaxField); }

std::string text_of(const nlohmann::json& object, const char* name) {
  const auto it = object.find(name);
  if (it == object.end() || !it->is_string()) return {};
  return it->get<std::string>();
}

struct NetSuiteError {
  std::string code;     // the first detail's o:errorCode
  std::string message;  // every detail (up to kMaxDetails), or the title
};

std::optional<NetSuiteError> parse_error(std::string_view body) {
  const auto parsed = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_object()) return std::nullopt;
  NetSuiteError out;
  if (const auto details = parsed.find("o:errorDetails");
      details != parsed.end() && details->is_array()) {
    std::size_t shown = 0;
    for (const auto& d : *details) {
      if (!d.is_object()) continue;
      const std::string code = text_of(d, "o:errorCode");
      if (out.code.empty()) out.code = code;
      if (shown == kMaxDetails) {
        out.message += " (and more)";
        break;
      }
      std::string line = printable(text_of(d, "detail"));
      if (line.empty()) line = code.empty() ? std::string("(no detail)") : printable(code);
      if (const std::string path = text_of(d, "o:errorPath"); !path.empty()) {
        line += " (at " + printable(path) + ")";
      }
      if (!out.message.empty()) out.message += "; ";
      out.message += line;
      ++shown;
    }
  }
  if (out.message.empty()) out.message = printable(text_of(parsed, "title"));
  if (out.code.empty() && out.message.empty()) return std::nullopt;
  return out;
}

}  // namespace

bool is_concurrency_limit_code(std::string_view code) {
  return std::find(kConcurrencyCodes.begin(), kConcurrencyCodes.end(), code) !=
         kConcurrencyCodes.end();
}

bool is_concurrency_limit(const Failure& failure) {
  if (failure.cls != FailureClass::rate_limited) return false;
  return failure.http_status == 429 || is_concurrency_limit_code(failure.platform_code);
}

std::optional<Failure> ErrorClassifier::refine(const delivery::Attempt& attempt,
                                               std::optional<Failure> generic) const {
  if (!generic || attempt.transport != delivery::Transport::ok) return generic;
  Failure f = std::move(*generic);
  const auto error = parse_error(attempt.response.body);
  if (error) {
    f.platform_code = error->code;
    f.message = "NetSuite " + std::to_string(f.http_status) +
                (error->code.empty() ? std::string() : " " + printable(error->code)) + ": " +
                error->message;
  }
  if (f.http_status == 429 || is_concurrency_limit_code(f.platform_code)) {
    f.cls = FailureClass::rate_limited;
  } else if (f.platform_code == "INVALID_LOGIN") {
    f.cls = FailureClass::auth;
  }
  return f;
}

}  // namespace weft::connectors::netsuite
