#include "http/tls_context.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <cerrno>
#include <cstring>
#include <fstream>

namespace weft::http {

namespace ssl = boost::asio::ssl;

namespace {

// Mozilla's "intermediate" TLS 1.2 ciphers without DHE (which would need parameters):
// forward secrecy and AEAD only. TLS 1.3 suites are OpenSSL's defaults.
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

// Resumed sessions must carry the same context, or OpenSSL refuses them once peers are verified.
constexpr unsigned char kSessionContext[] = "weft";

// The file can be opened: a missing or unreadable file said plainly, before OpenSSL's terser
// "system lib" reasons.
Result<void, TlsProblem> readable(const std::string& option, const std::string& path) {
  if (path.empty()) return fail(TlsProblem{option, "is empty"});
  std::ifstream in(path);
  if (!in) return fail(TlsProblem{option, "cannot read " + path + ": " + std::strerror(errno)});
  return {};
}

TlsProblem problem(const std::string& option, const std::string& what,
                   const boost::system::error_code& ec) {
  ERR_clear_error();  // what the error code did not carry is of no use to the next caller
  return TlsProblem{option, what + " (" + ec.message() + ")"};
}

}  // namespace

Result<TlsContextPtr, TlsProblem> make_server_tls_context(const TlsOptions& options) {
  for (const auto& [option, path] : {std::pair<std::string, const std::string*>{"cert_file", &options.cert_file},
                                     {"key_file", &options.key_file}}) {
    if (auto ok = readable(option, *path); !ok) return fail(ok.error());
  }
  if (!options.client_ca_file.empty()) {
    if (auto ok = readable("client_ca_file", options.client_ca_file); !ok) return fail(ok.error());
  }

  auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
  SSL_CTX* native = context->native_handle();
  boost::system::error_code ec;
  context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                           ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                           ssl::context::no_tlsv1_1 | ssl::context::single_dh_use,
                       ec);
  const int min = options.min_version == TlsVersion::v1_3 ? TLS1_3_VERSION : TLS1_2_VERSION;
  if (ec || SSL_CTX_set_min_proto_version(native, min) != 1 ||
      SSL_CTX_set_cipher_list(native, kTls12Ciphers) != 1) {
    ERR_clear_error();
    return fail(TlsProblem{"min_version", "OpenSSL refused the protocol settings"});
  }
  // An encrypted key would make OpenSSL ask for a pass phrase on the terminal: answer with none,
  // so that it fails to load instead.
  context->set_password_callback([](std::size_t, ssl::context::password_purpose) { return std::string(); }, ec);

  context->use_certificate_chain_file(options.cert_file, ec);
  if (ec) {
    return fail(problem("cert_file", "cannot load a PEM certificate chain from " + options.cert_file, ec));
  }
  context->use_private_key_file(options.key_file, ssl::context::pem, ec);
  // OpenSSL compares the key with the certificate as it loads it.
  const bool mismatch = ec && ERR_GET_REASON(static_cast<unsigned long>(ec.value())) == X509_R_KEY_VALUES_MISMATCH;
  if (mismatch || (!ec && SSL_CTX_check_private_key(native) != 1)) {
    ERR_clear_error();
    return fail(TlsProblem{"key_file", options.key_file + " is not the private key of the certificate in " +
                                           options.cert_file});
  }
  if (ec) {
    return fail(problem("key_file", "cannot load an unencrypted PEM private key from " + options.key_file, ec));
  }

  if (!options.client_ca_file.empty()) {
    context->load_verify_file(options.client_ca_file, ec);
    STACK_OF(X509_NAME)* names = ec ? nullptr : SSL_load_client_CA_file(options.client_ca_file.c_str());
    if (names == nullptr) {
      if (!ec) ec = boost::system::error_code(static_cast<int>(ERR_peek_last_error()), boost::asio::error::get_ssl_category());
      return fail(problem("client_ca_file", "cannot load PEM CA certificates from " + options.client_ca_file, ec));
    }
    SSL_CTX_set_client_CA_list(native, names);  // told to clients, so they pick the right cert
    context->set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
  } else {
    context->set_verify_mode(ssl::verify_none);
  }
  SSL_CTX_set_session_id_context(native, kSessionContext, sizeof kSessionContext - 1);
  return context;
}

Result<void, TlsProblem> check_tls(const TlsOptions& options) {
  auto context = make_server_tls_context(options);
  if (!context) return fail(context.error());
  return {};
}

std::string peer_subject(SSL* ssl) {
  X509* cert = SSL_get0_peer_certificate(ssl);
  if (cert == nullptr) return {};
  BIO* out = BIO_new(BIO_s_mem());
  if (out == nullptr) return {};
  std::string subject;
  if (X509_NAME_print_ex(out, X509_get_subject_name(cert), 0, XN_FLAG_RFC2253) >= 0) {
    char* data = nullptr;
    const long size = BIO_get_mem_data(out, &data);
    if (size > 0) subject.assign(data, static_cast<std::size_t>(size));
  }
  BIO_free(out);
  return subject;
}

}  // namespace weft::http
