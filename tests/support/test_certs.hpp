#pragma once
// A throwaway PKI for TLS tests, made with OpenSSL at run time (no key is ever committed): a CA,
// a server certificate for 127.0.0.1 and localhost, and a client certificate, each signed by the
// CA, written as PEM files into a test's directory. EC P-256 keys: quick to make.

#include <filesystem>
#include <string>

namespace weft::test {

struct TestPki {
  std::filesystem::path ca_cert;
  std::filesystem::path server_cert, server_key;
  std::filesystem::path client_cert, client_key;
  std::string client_subject;  // RFC 2253, as the server reports it: "CN=...,O=Weft tests"
};

// Files named `name`-ca.pem, `name`-server.pem, … in `dir`; the client's CN is `client_cn`.
// Throws std::runtime_error when OpenSSL fails.
TestPki make_test_pki(const std::filesystem::path& dir, const std::string& name,
                      const std::string& client_cn = "ops-client");

}  // namespace weft::test
