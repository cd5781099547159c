#pragma once
// Salesforce OAuth 2.0 access tokens: fetched from {login_url}/services/oauth2/token through
// the delivery transport, cached, and forgotten when the platform refuses one (the next call
// then fetches a new one). Two grants:
//   client credentials  grant_type=client_credentials&client_id=…&client_secret=…
//   JWT bearer          grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=<JWT>
//                       (when the connector has username + private_key_file); a new JWT is
//                       minted for every fetch, since the flow has no refresh token.
// A token endpoint that cannot be reached or answers 5xx is a transient failure; one that
// refuses the credentials (400 invalid_grant, invalid_client, …) is auth, with Salesforce's
// error_description. No message ever holds a secret, an assertion or a token.
//
// Threads: every method from any thread. Fetches are serialised, so a burst of calls with no
// token makes one request to the token endpoint, not one each.

#include <chrono>
#include <mutex>
#include <optional>
#include <string>

#include "config/config.hpp"
#include "connectors/outbound_connector.hpp"
#include "connectors/salesforce/jwt_assertion.hpp"

namespace weft::connectors::salesforce {

class TokenSource {
 public:
  explicit TokenSource(const config::ConnectorConfig& config);

  // "Bearer <access token>", cached or freshly fetched.
  Result<std::string, delivery::Failure> authorization(const OutboundContext& context) const;
  // Forgets the cached token (the platform said it is no longer valid).
  void drop() const;
  bool has_token() const;

 private:
  struct Token {
    std::string authorization;
    std::optional<std::chrono::steady_clock::time_point> expires;  // when the answer said so
  };
  std::optional<std::string> cached(std::chrono::steady_clock::time_point now) const;
  Result<Token, delivery::Failure> fetch(const OutboundContext& context) const;

  std::string endpoint_;
  config::Secret client_id_, client_secret_;
  std::string username_, audience_, key_file_;
  std::optional<RsaPrivateKey> key_;  // the JWT bearer flow's, when configured and readable
  std::string key_error_;             // why it is not, when configured
  bool jwt_ = false;
  std::chrono::milliseconds timeout_;

  mutable std::mutex state_mutex_;  // guards token_
  mutable std::optional<Token> token_;
  mutable std::mutex fetch_mutex_;  // one fetch at a time
};

}  // namespace weft::connectors::salesforce
