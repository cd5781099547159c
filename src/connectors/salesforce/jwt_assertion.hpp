#pragma once
// The signed JWT of Salesforce's OAuth 2.0 JWT bearer flow (RFC 7523):
//   base64url({"alg":"RS256"}) . base64url({"aud","exp","iss","sub"}) . base64url(RS256 signature)
// signed with the connected app's RSA private key (the one whose certificate was uploaded).
//
// Threads: an RsaPrivateKey is immutable after loading; sign may be called concurrently.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "weft/result.hpp"

struct evp_pkey_st;  // OpenSSL's EVP_PKEY, kept out of this header

namespace weft::connectors::salesforce {

class RsaPrivateKey {
 public:
  // From PEM text (PKCS#8 "PRIVATE KEY" or PKCS#1 "RSA PRIVATE KEY", unencrypted). The error
  // says what is wrong, never what the text holds.
  static Result<RsaPrivateKey, std::string> from_pem(std::string_view pem);
  static Result<RsaPrivateKey, std::string> from_pem_file(const std::string& path);

  // RSASSA-PKCS1-v1_5 with SHA-256 over `data`: the raw signature bytes.
  Result<std::string, std::string> sign_rs256(std::string_view data) const;

 private:
  explicit RsaPrivateKey(std::shared_ptr<evp_pkey_st> key) : key_(std::move(key)) {}
  std::shared_ptr<evp_pkey_st> key_;  // shared: copies of the connector's key are cheap
};

struct JwtClaims {
  std::string issuer;    // iss: the connected app's consumer key (client_id)
  std::string subject;   // sub: the Salesforce username
  std::string audience;  // aud: https://login.salesforce.com, https://test.salesforce.com, …
  std::int64_t expires_at = 0;  // exp: unix seconds (Salesforce allows about 3 minutes ahead)
};

// The compact serialization: header.claims.signature.
Result<std::string, std::string> make_jwt_assertion(const JwtClaims& claims,
                                                    const RsaPrivateKey& key);

}  // namespace weft::connectors::salesforce
