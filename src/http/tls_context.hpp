#pragma once
// The OpenSSL server context behind TlsOptions, and what the server reads off a handshake.
// Asio's SSL types: include this only where the server's streams live.

#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <string>

#include "http/tls.hpp"

typedef struct ssl_st SSL;

namespace weft::http {

using TlsContextPtr = std::shared_ptr<boost::asio::ssl::context>;

// TLS 1.2 or later (no SSLv3, TLS 1.0, 1.1); for 1.2 only ECDHE key exchange with AEAD ciphers,
// for 1.3 OpenSSL's defaults. With client CAs: the peer's certificate is required and verified.
Result<TlsContextPtr, TlsProblem> make_server_tls_context(const TlsOptions& options);

// The subject of the verified client certificate (RFC 2253, e.g. "CN=ops,O=Example"); empty when
// the client presented none.
std::string peer_subject(SSL* ssl);

}  // namespace weft::http
