#pragma once
// TLS for the HTTP server (optional; plain HTTP when absent): what to load, and a check that
// loads it the way the server will, for `weft check` and for start-up before anything listens.
// No OpenSSL or Asio types here (those stay in tls_context.hpp).

#include <string>

#include "weft/result.hpp"

namespace weft::http {

enum class TlsVersion { v1_2, v1_3 };

struct TlsOptions {
  std::string cert_file;       // PEM: the server's certificate, then its chain
  std::string key_file;        // PEM: its private key (unencrypted)
  std::string client_ca_file;  // PEM CAs; not empty: mutual TLS, every client must present a cert
  TlsVersion min_version = TlsVersion::v1_2;
};

// What is wrong with the files. `option` names the option at fault ("cert_file", "key_file",
// "client_ca_file") so that a caller can point at the line that set it. The message names the
// file and OpenSSL's reason, never anything read from the file.
struct TlsProblem {
  std::string option;
  std::string message;
};

// Loads the certificate chain, the key (and that they match) and the client CAs, as the server
// does at start().
Result<void, TlsProblem> check_tls(const TlsOptions& options);

}  // namespace weft::http
