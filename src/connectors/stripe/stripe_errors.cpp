#include "connectors/stripe/stripe_errors.hpp"
#include "connectors/outbound_connector.hpp"

#include <array>
#include <nlohmann/json.hpp>
#include <utility>

#include "delivery/retry_after.hpp"

namespace weft::connectors::stripe {

namespace {

using delivery::Failure;
using delivery::FailureClass;

// Stripe's messages are a sentence or two; a longer one is cut so that a log line stays one.
constexpr std::size_t kMaxField = 500;

struct StripeError {
  std::string type, code, decline_code, message, param;
};

std::string field(const nlohmann::json& error, const char* name) {
  const auto it = error.find(name);
  if (it == error.end() || !it->is_string()) return {};
  return it->get<std::string>();
}

std::optional<StripeError> parse_error(std::string_view body) {
  const auto parsed = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_object()) return std::nullopt;
  const auto error = parsed.find("error");
  if (error == parsed.end() || !error->is_object()) return std::nullopt;
  StripeError out{field(*error, "type"), field(*error, "code"), field(*error, "decline_code"),
                  field(*error, "message"), field(*error, "param")};
  if (out.type.empty() && out.code.empty() && out.message.empty()) return std::nullopt;
  return out;
}

// One line, bounded: control characters (a line break in a message) become spaces.
std::string printable(std::string_view text) { return one_line(text, kMaxField); }

std::string describe(const StripeError& e) {
  std::string out = e.type.empty() ? std::string("error") : printable(e.type);
  out += ": ";
  out += e.message.empty() ? std::string("(no message)") : printable(e.message);
  if (!e.param.empty()) out += " (param: " + printable(e.param) + ")";
  if (!e.decline_code.empty()) out += " (decline_code: " + printable(e.decline_code) + ")";
  return out;
}

bool retryable(FailureClass cls) { return delivery::default_handling(cls).retryable; }

bool key_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

}  // namespace

std::string redact_keys(std::string_view text, const config::Secret& api_key) {
  std::string out(text);
  const std::string& key = api_key.reveal();
  if (!key.empty()) {
    for (auto at = out.find(key); at != std::string::npos; at = out.find(key, at)) {
      out.replace(at, key.size(), "[redacted]");
      at += 10;
    }
  }
  // Stripe prints keys as "sk_test_****1234"; a full key in a message would be a leak.
  constexpr std::array<std::string_view, 4> kPrefixes{"sk_live_", "sk_test_", "rk_live_",
                                                      "rk_test_"};
  for (const auto prefix : kPrefixes) {
    for (auto at = out.find(prefix); at != std::string::npos; at = out.find(prefix, at)) {
      at += prefix.size();
      std::size_t end = at;
      while (end < out.size() && key_char(out[end])) ++end;
      if (end > at) out.replace(at, end - at, "****");
    }
  }
  return out;
}

ErrorClassifier::ErrorClassifier(ClockPtr clock, config::Secret api_key)
    : delivery::FailureClassifier(clock), clock_(std::move(clock)), api_key_(std::move(api_key)) {}

std::optional<Failure> ErrorClassifier::refine(const delivery::Attempt& attempt,
                                               std::optional<Failure> generic) const {
  if (!generic || attempt.transport != delivery::Transport::ok) return generic;
  Failure f = std::move(*generic);
  const http::Response& response = attempt.response;

  bool per_object_wait = false;
  if (const auto error = parse_error(response.body)) {
    f.platform_code = !error->code.empty() ? error->code : error->type;
    f.message = describe(*error);
    if (error->type == "card_error") {
      f.cls = FailureClass::validation;
    } else if (error->type == "idempotency_error") {
      f.cls = FailureClass::conflict;
    } else if (response.status == 409 && error->code == "idempotency_key_in_use") {
      f.cls = FailureClass::transient;
    } else if (response.status == 429 && error->code == "lock_timeout") {
      f.cls = FailureClass::transient;
      per_object_wait = true;
    }
  }

  if (const auto should_retry = response.headers.get("Stripe-Should-Retry")) {
    if (*should_retry == "true" && !retryable(f.cls)) {
      f.cls = FailureClass::transient;
      f.message += " (Stripe-Should-Retry: true)";
    } else if (*should_retry == "false" && retryable(f.cls)) {
      f.cls = FailureClass::validation;
      f.message += " (Stripe-Should-Retry: false)";
    }
  }

  if (const auto request_id = response.headers.get("Request-Id")) {
    f.message += " (Request-Id: " + printable(*request_id) + ")";
  }

  // Retry-After only speaks for the connector when the failure is retried and the wait is
  // the account's, not one locked object's (penalises_connector would hold every call).
  if (!retryable(f.cls) || per_object_wait) {
    f.retry_after.reset();
  } else if (!f.retry_after) {
    if (const auto header = response.headers.get("Retry-After")) {
      f.retry_after = delivery::parse_retry_after(*header, clock_->now());
    }
  }

  f.message = redact_keys(f.message, api_key_);
  return f;
}

}  // namespace weft::connectors::stripe
