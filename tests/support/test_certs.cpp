#include "support/test_certs.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <memory>
#include <stdexcept>
#include <utility>
#include <vector>

namespace weft::test {

namespace {

struct KeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct CertFree {
  void operator()(X509* c) const { X509_free(c); }
};
using Key = std::unique_ptr<EVP_PKEY, KeyFree>;
using Cert = std::unique_ptr<X509, CertFree>;

void check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("test PKI: ") + what + " failed");
}

Key new_key() {
  Key key(EVP_EC_gen("P-256"));
  check(key != nullptr, "EVP_EC_gen");
  return key;
}

// A certificate for `key`, valid from an hour ago for a day, signed by `issuer` (itself when
// null) with `issuer_key`; `extensions` are (NID, value) in openssl.cnf syntax.
Cert new_cert(const std::string& common_name, long serial, EVP_PKEY* key, X509* issuer, EVP_PKEY* issuer_key,
              const std::vector<std::pair<int, std::string>>& extensions) {
  Cert cert(X509_new());
  check(cert != nullptr, "X509_new");
  X509* x = cert.get();
  check(X509_set_version(x, 2) == 1, "X509_set_version");
  check(ASN1_INTEGER_set(X509_get_serialNumber(x), serial) == 1, "serial");
  check(X509_gmtime_adj(X509_getm_notBefore(x), -3600) != nullptr, "notBefore");
  check(X509_gmtime_adj(X509_getm_notAfter(x), 86400) != nullptr, "notAfter");
  check(X509_set_pubkey(x, key) == 1, "X509_set_pubkey");
  X509_NAME* name = X509_get_subject_name(x);
  const auto add = [name](const char* field, const std::string& value) {
    check(X509_NAME_add_entry_by_txt(name, field, MBSTRING_ASC,
                                     reinterpret_cast<const unsigned char*>(value.c_str()), -1, -1, 0) == 1,
          "X509_NAME_add_entry_by_txt");
  };
  add("O", "Weft tests");
  add("CN", common_name);
  check(X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name) == 1, "X509_set_issuer_name");
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer ? issuer : x, x, nullptr, nullptr, 0);
  for (const auto& [nid, value] : extensions) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
    check(ext != nullptr, "X509V3_EXT_conf_nid");
    const int added = X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
    check(added == 1, "X509_add_ext");
  }
  check(X509_sign(x, issuer_key ? issuer_key : key, EVP_sha256()) > 0, "X509_sign");
  return cert;
}

template <class Write>
void write_pem(const std::filesystem::path& path, Write write) {
  std::FILE* file = std::fopen(path.c_str(), "w");
  check(file != nullptr, "fopen");
  const bool ok = write(file);
  check(std::fclose(file) == 0 && ok, "writing a PEM file");
}

void write_cert(const std::filesystem::path& path, X509* cert) {
  write_pem(path, [cert](std::FILE* f) { return PEM_write_X509(f, cert) == 1; });
}

void write_key(const std::filesystem::path& path, EVP_PKEY* key) {
  write_pem(path, [key](std::FILE* f) {
    return PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr) == 1;
  });
}

}  // namespace

TestPki make_test_pki(const std::filesystem::path& dir, const std::string& name, const std::string& client_cn) {
  const Key ca_key = new_key();
  const Cert ca = new_cert(name + " CA", 1, ca_key.get(), nullptr, nullptr,
                           {{NID_basic_constraints, "critical,CA:TRUE"},
                            {NID_key_usage, "critical,keyCertSign,cRLSign"},
                            {NID_subject_key_identifier, "hash"}});
  const Key server_key = new_key();
  const Cert server = new_cert("localhost", 2, server_key.get(), ca.get(), ca_key.get(),
                               {{NID_basic_constraints, "critical,CA:FALSE"},
                                {NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost"},
                                {NID_ext_key_usage, "serverAuth"},
                                {NID_authority_key_identifier, "keyid"}});
  const Key client_key = new_key();
  const Cert client = new_cert(client_cn, 3, client_key.get(), ca.get(), ca_key.get(),
                               {{NID_basic_constraints, "critical,CA:FALSE"},
                                {NID_ext_key_usage, "clientAuth"},
                                {NID_authority_key_identifier, "keyid"}});
  TestPki pki;
  pki.ca_cert = dir / (name + "-ca.pem");
  pki.server_cert = dir / (name + "-server.pem");
  pki.server_key = dir / (name + "-server.key");
  pki.client_cert = dir / (name + "-client.pem");
  pki.client_key = dir / (name + "-client.key");
  pki.client_subject = "CN=" + client_cn + ",O=Weft tests";
  write_cert(pki.ca_cert, ca.get());
  write_cert(pki.server_cert, server.get());
  write_key(pki.server_key, server_key.get());
  write_cert(pki.client_cert, client.get());
  write_key(pki.client_key, client_key.get());
  return pki;
}

}  // namespace weft::test
