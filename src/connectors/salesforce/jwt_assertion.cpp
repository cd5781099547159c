#include "connectors/salesforce/jwt_assertion.hpp"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "crypto/hmac.hpp"

namespace weft::connectors::salesforce {

namespace {

struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};

constexpr std::size_t kMaxPemBytes = 64 * 1024;

}  // namespace

Result<RsaPrivateKey, std::string> RsaPrivateKey::from_pem(std::string_view pem) {
  if (pem.empty() || pem.size() > kMaxPemBytes) {
    return fail(std::string("is not a PEM private key (empty or larger than 64 KiB)"));
  }
  const std::unique_ptr<BIO, BioFree> bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return fail(std::string("could not be read (out of memory)"));
  // A null password callback with no user data: an encrypted key fails instead of prompting.
  std::shared_ptr<EVP_PKEY> key(
      PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, const_cast<char*>("")),
      [](EVP_PKEY* k) { EVP_PKEY_free(k); });
  if (!key) return fail(std::string("is not an unencrypted PEM private key"));
  if (EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_RSA) {
    return fail(std::string("is not an RSA key (Salesforce signs JWTs with RS256)"));
  }
  return RsaPrivateKey(std::move(key));
}

Result<RsaPrivateKey, std::string> RsaPrivateKey::from_pem_file(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return fail(std::string("cannot be opened"));
  std::ostringstream text;
  text << file.rdbuf();
  return from_pem(text.str());
}

Result<std::string, std::string> RsaPrivateKey::sign_rs256(std::string_view data) const {
  const std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key_.get()) != 1) {
    return fail(std::string("RS256 signing could not start"));
  }
  const auto* bytes = reinterpret_cast<const unsigned char*>(data.data());
  std::size_t size = 0;
  if (EVP_DigestSign(ctx.get(), nullptr, &size, bytes, data.size()) != 1) {
    return fail(std::string("RS256 signing failed"));
  }
  std::string signature(size, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &size, bytes,
                     data.size()) != 1) {
    return fail(std::string("RS256 signing failed"));
  }
  signature.resize(size);
  return signature;
}

Result<std::string, std::string> make_jwt_assertion(const JwtClaims& claims,
                                                    const RsaPrivateKey& key) {
  const nlohmann::json header{{"alg", "RS256"}};
  const nlohmann::json body{{"iss", claims.issuer},
                            {"sub", claims.subject},
                            {"aud", claims.audience},
                            {"exp", claims.expires_at}};
  std::string signing_input =
      crypto::base64url_encode(header.dump()) + "." +
      crypto::base64url_encode(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  auto signature = key.sign_rs256(signing_input);
  if (!signature) return fail(std::move(signature).error());
  return signing_input + "." + crypto::base64url_encode(*signature);
}

}  // namespace weft::connectors::salesforce
