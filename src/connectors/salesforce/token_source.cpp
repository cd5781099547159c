#include "connectors/salesforce/token_source.hpp"

#include <nlohmann/json.hpp>
#include <utility>

#include "core/url_encoding.hpp"

namespace weft::connectors::salesforce {

namespace {

using delivery::Failure;
using delivery::FailureClass;

// The JWT's lifetime: Salesforce accepts an exp at most about three minutes ahead.
constexpr std::chrono::seconds kAssertionLifetime{180};
// A token whose answer gave expires_in is dropped this long before it runs out.
constexpr std::chrono::seconds kExpiryMargin{60};

constexpr std::string_view kJwtGrant = "urn:ietf:params:oauth:grant-type:jwt-bearer";

Failure token_failure(FailureClass cls, std::string message, int status = 0) {
  Failure f;
  f.cls = cls;
  f.message = std::move(message);
  f.http_status = status;
  return f;
}

std::string string_field(const nlohmann::json& object, const char* key) {
  const auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

TokenSource::TokenSource(const config::ConnectorConfig& config)
    : endpoint_((config.login_url.empty() ? config.base_url : config.login_url) +
                "/services/oauth2/token"),
      client_id_(config.client_id),
      client_secret_(config.client_secret),
      username_(config.username),
      audience_(config.audience.empty() ? "https://login.salesforce.com" : config.audience),
      key_file_(config.private_key_file),
      jwt_(!config.private_key_file.empty()),
      timeout_(std::chrono::seconds(config.timeout_seconds)) {
  if (!jwt_) return;
  auto key = RsaPrivateKey::from_pem_file(key_file_);
  if (key) {
    key_ = std::move(key).value();
  } else {
    key_error_ = key.error();
  }
}

std::optional<std::string> TokenSource::cached(std::chrono::steady_clock::time_point now) const {
  const std::lock_guard lock(state_mutex_);
  if (!token_) return std::nullopt;
  if (token_->expires && now >= *token_->expires) {
    token_.reset();
    return std::nullopt;
  }
  return token_->authorization;
}

Result<std::string, Failure> TokenSource::authorization(const OutboundContext& context) const {
  if (auto token = cached(context.clock.monotonic())) return std::move(*token);
  const std::lock_guard fetching(fetch_mutex_);
  // Another caller may have fetched one while this one waited.
  if (auto token = cached(context.clock.monotonic())) return std::move(*token);
  auto fetched = fetch(context);
  if (!fetched) return fail(std::move(fetched).error());
  std::string authorization = fetched->authorization;
  const std::lock_guard lock(state_mutex_);
  token_ = std::move(fetched).value();
  return authorization;
}

void TokenSource::drop() const {
  const std::lock_guard lock(state_mutex_);
  token_.reset();
}

bool TokenSource::has_token() const {
  const std::lock_guard lock(state_mutex_);
  return token_.has_value();
}

Result<TokenSource::Token, Failure> TokenSource::fetch(const OutboundContext& context) const {
  url::Pairs form;
  if (jwt_) {
    if (!key_) {
      return fail(token_failure(
          FailureClass::auth,
          "Salesforce JWT bearer flow: private_key_file " + key_file_ + " " + key_error_));
    }
    const JwtClaims claims{client_id_.reveal(), username_, audience_,
                           context.clock.unix_seconds() + kAssertionLifetime.count()};
    auto assertion = make_jwt_assertion(claims, *key_);
    if (!assertion) {
      return fail(
          token_failure(FailureClass::auth, "Salesforce JWT bearer flow: " + assertion.error()));
    }
    form = {{"grant_type", std::string(kJwtGrant)}, {"assertion", std::move(assertion).value()}};
  } else {
    form = {{"grant_type", "client_credentials"},
            {"client_id", client_id_.reveal()},
            {"client_secret", client_secret_.reveal()}};
  }

  delivery::OutboundRequest request;
  request.method = "POST";
  request.url = endpoint_;
  request.timeout = timeout_;
  request.headers.add("Content-Type", "application/x-www-form-urlencoded");
  request.headers.add("Accept", "application/json");
  request.body = url::join_pairs(form);

  const auto attempt = context.transport.send(request);
  const std::string where = "Salesforce token endpoint " + endpoint_;
  if (attempt.transport != delivery::Transport::ok) {
    // Nothing happens on the platform when a token request is lost: always safe to retry.
    std::string message = where + " unreachable: " + delivery::to_string(attempt.transport);
    if (!attempt.transport_detail.empty()) message += ": " + attempt.transport_detail;
    return fail(token_failure(FailureClass::transient, std::move(message)));
  }

  const http::Response& response = attempt.response;
  const auto body = nlohmann::json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (response.status >= 200 && response.status <= 299) {
    const std::string access = body.is_object() ? string_field(body, "access_token") : "";
    if (access.empty()) {
      return fail(token_failure(
          FailureClass::transient,
          where + " answered " + std::to_string(response.status) + " without an access_token",
          response.status));
    }
    std::string type = string_field(body, "token_type");
    Token token{(type.empty() ? std::string("Bearer") : std::move(type)) + " " + access,
                std::nullopt};
    if (const auto it = body.find("expires_in"); it != body.end() && it->is_number_integer()) {
      token.expires =
          context.clock.monotonic() + std::chrono::seconds(it->get<std::int64_t>()) - kExpiryMargin;
    }
    return token;
  }

  // The generic class (5xx transient, 429 rate limited with its Retry-After); any other
  // refusal is about the credentials.
  auto generic = delivery::classify_attempt(attempt, context.clock.now());
  Failure f = generic.value_or(Failure{});
  f.http_status = response.status;
  const bool retryable = f.cls == FailureClass::transient || f.cls == FailureClass::rate_limited;
  if (!retryable) f.cls = FailureClass::auth;
  const std::string error = body.is_object() ? string_field(body, "error") : "";
  const std::string description = body.is_object() ? string_field(body, "error_description") : "";
  f.platform_code = error;
  f.message = where + (retryable ? " failed: " : " refused the credentials: ") +
              std::to_string(response.status);
  if (!error.empty()) f.message += " " + error;
  if (!description.empty()) f.message += ": " + description;
  return fail(std::move(f));
}

}  // namespace weft::connectors::salesforce
