// http::Server over TLS on loopback, with a PKI made for the test: HTTPS answers, plain HTTP on
// the TLS port, mutual TLS (no client certificate, one from another CA, the right one and its
// subject), old protocol versions, and bad certificate or key files at start().
#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include <cstdio>
#include <string>

#include "delivery/curl_transport.hpp"
#include "http/server.hpp"
#include "http/tls.hpp"
#include "support/http_client.hpp"
#include "support/process.hpp"
#include "support/test_certs.hpp"

namespace weft::http {
namespace {

using test::HttpClient;

// Answers every request with the subject of the client's certificate ("-" without one).
class SubjectEcho final : public Handler {
 public:
  void handle(Request request, Responder respond) override {
    Response response;
    response.body = request.client_subject.empty() ? "-" : request.client_subject;
    respond(std::move(response));
  }
};

// The outcome of a bare TLS handshake offering only `version`: empty on success, else
// OpenSSL's reason. The client allows what OpenSSL 3 no longer offers by default (security
// level 0), so that a refusal is the server's.
std::string handshake_error(std::uint16_t port, int version) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_cipher_list(ctx, "DEFAULT:@SECLEVEL=0");
  SSL_CTX_set_security_level(ctx, 0);
  SSL_CTX_set_min_proto_version(ctx, version);
  SSL_CTX_set_max_proto_version(ctx, version);
  BIO* bio = BIO_new_ssl_connect(ctx);
  const std::string address = "127.0.0.1:" + std::to_string(port);
  BIO_set_conn_hostname(bio, address.c_str());
  std::string error;
  if (BIO_do_connect(bio) != 1 || BIO_do_handshake(bio) != 1) {
    const unsigned long code = ERR_peek_last_error();
    const char* reason = ERR_reason_error_string(code);
    error = reason != nullptr ? reason : "handshake failed";
    if (error.empty()) error = "handshake failed";
  }
  ERR_clear_error();
  BIO_free_all(bio);
  SSL_CTX_free(ctx);
  return error;
}

// `key_file` again, encrypted with a pass phrase, at `out`.
void write_encrypted_key(const std::filesystem::path& key_file, const std::filesystem::path& out) {
  std::FILE* in = std::fopen(key_file.c_str(), "r");
  ASSERT_NE(in, nullptr);
  EVP_PKEY* key = PEM_read_PrivateKey(in, nullptr, nullptr, nullptr);
  std::fclose(in);
  ASSERT_NE(key, nullptr);
  std::FILE* file = std::fopen(out.c_str(), "w");
  ASSERT_NE(file, nullptr);
  char phrase[] = "pass phrase";
  EXPECT_EQ(PEM_write_PrivateKey(file, key, EVP_aes_256_cbc(), nullptr, 0, nullptr, phrase), 1);
  std::fclose(file);
  EVP_PKEY_free(key);
}

class TlsServerTest : public ::testing::Test {
 protected:
  TlsOptions tls(bool mutual = false) const {
    TlsOptions o;
    o.cert_file = pki_.server_cert;
    o.key_file = pki_.server_key;
    if (mutual) o.client_ca_file = pki_.ca_cert;
    return o;
  }

  void start(TlsOptions tls) {
    ServerOptions options;
    options.port = 0;
    options.threads = 1;
    options.tls = std::move(tls);
    server_ = std::make_unique<Server>(options, echo_);
    auto started = server_->start();
    ASSERT_TRUE(started.ok()) << started.error();
    base_ = "https://127.0.0.1:" + std::to_string(server_->port());
  }

  HttpClient client(const test::TestPki* identity = nullptr) const {
    HttpClient::Options o;
    o.ca_file = pki_.ca_cert;
    if (identity != nullptr) {
      o.cert_file = identity->client_cert;
      o.key_file = identity->client_key;
    }
    return HttpClient(base_, o);
  }

  Result<void, std::string> start_with(TlsOptions tls) {
    ServerOptions options;
    options.port = 0;
    options.threads = 1;
    options.tls = std::move(tls);
    Server server(options, echo_);
    return server.start();
  }

  test::TempDir dir_{"weft-tls"};
  test::TestPki pki_ = test::make_test_pki(dir_.path(), "hub");
  test::TestPki other_ = test::make_test_pki(dir_.path(), "other", "intruder");
  SubjectEcho echo_;
  std::unique_ptr<Server> server_;
  std::string base_;
};

TEST_F(TlsServerTest, AnswersOverHttpsWithTheCaItWasGiven) {
  start(tls());
  auto client = this->client();
  auto answer = client.get("/healthz");
  ASSERT_TRUE(answer.ok()) << answer.error().message;
  EXPECT_EQ(answer->status, 200);
  EXPECT_EQ(answer->body, "-");  // no client certificate asked for
  // Keep-alive works over TLS too.
  ASSERT_TRUE(client.get("/again").ok());
  EXPECT_EQ(client.connections_opened(), 1);
  // A client that trusts another CA refuses the server.
  HttpClient::Options distrusting;
  distrusting.ca_file = other_.ca_cert;
  EXPECT_FALSE(HttpClient(base_, distrusting).get("/healthz").ok());
}

TEST_F(TlsServerTest, PlainHttpOnTheTlsPortFailsAndOthersAreStillServed) {
  start(tls());
  HttpClient::Options quick;
  quick.timeout = std::chrono::seconds(5);
  auto plain = HttpClient("http://127.0.0.1:" + std::to_string(server_->port()), quick).get("/healthz");
  ASSERT_FALSE(plain.ok());
  EXPECT_NE(plain.error().code, test::HttpErrc::timeout) << plain.error().message;
  auto answer = client().get("/healthz");
  ASSERT_TRUE(answer.ok()) << answer.error().message;
  EXPECT_EQ(answer->status, 200);
}

TEST_F(TlsServerTest, MutualTlsRefusesClientsWithoutTheRightCertificate) {
  start(tls(/*mutual=*/true));
  auto none = client().get("/healthz");
  EXPECT_FALSE(none.ok());
  auto foreign = client(&other_).get("/healthz");
  EXPECT_FALSE(foreign.ok());
  // The server is still there for the right one, which it knows by name.
  auto known = client(&pki_).get("/healthz");
  ASSERT_TRUE(known.ok()) << known.error().message;
  EXPECT_EQ(known->status, 200);
  EXPECT_EQ(known->body, pki_.client_subject);
  EXPECT_EQ(known->body, "CN=ops-client,O=Weft tests");
}

// The transport of the hub's own clients (`weft scenario verify`'s admin client) with a CA and
// a client certificate, as `--ca-file`, `--client-cert` and `--client-key` give them.
TEST_F(TlsServerTest, TheOutboundTransportReachesAMutualTlsServerWithItsFiles) {
  start(tls(/*mutual=*/true));
  delivery::OutboundRequest request;
  request.method = "GET";
  request.url = base_ + "/whoami";
  request.timeout = std::chrono::seconds(10);
  delivery::CurlTransportOptions options;
  options.ca_file = pki_.ca_cert;
  options.client_cert_file = pki_.client_cert;
  options.client_key_file = pki_.client_key;
  delivery::CurlTransport transport(options);
  const delivery::Attempt known = transport.send(request);
  ASSERT_EQ(known.transport, delivery::Transport::ok) << known.transport_detail;
  EXPECT_EQ(known.response.status, 200);
  EXPECT_EQ(known.response.body, pki_.client_subject);

  options.client_cert_file.clear();
  options.client_key_file.clear();
  delivery::CurlTransport anonymous(options);
  EXPECT_NE(anonymous.send(request).transport, delivery::Transport::ok);
}

TEST_F(TlsServerTest, RefusesProtocolsOlderThanItsMinimum) {
  start(tls());
  EXPECT_EQ(handshake_error(server_->port(), TLS1_2_VERSION), "");
  EXPECT_EQ(handshake_error(server_->port(), TLS1_3_VERSION), "");
  EXPECT_NE(handshake_error(server_->port(), TLS1_1_VERSION).find("protocol version"), std::string::npos);
  EXPECT_NE(handshake_error(server_->port(), TLS1_VERSION).find("protocol version"), std::string::npos);
  server_.reset();

  TlsOptions only_13 = tls();
  only_13.min_version = TlsVersion::v1_3;
  start(only_13);
  EXPECT_EQ(handshake_error(server_->port(), TLS1_3_VERSION), "");
  EXPECT_NE(handshake_error(server_->port(), TLS1_2_VERSION).find("protocol version"), std::string::npos);
}

TEST_F(TlsServerTest, BadFilesStopTheStartWithTheOptionAtFault) {
  EXPECT_TRUE(check_tls(tls(true)).ok());

  TlsOptions mismatch = tls();
  mismatch.key_file = other_.server_key;
  auto started = start_with(mismatch);
  ASSERT_FALSE(started.ok());
  EXPECT_NE(started.error().find("TLS key_file: " + other_.server_key.string() + " is not the private key"),
            std::string::npos)
      << started.error();
  EXPECT_EQ(check_tls(mismatch).error().option, "key_file");

  TlsOptions missing = tls();
  missing.cert_file = (dir_ / "nowhere.pem").string();
  auto missing_started = start_with(missing);
  ASSERT_FALSE(missing_started.ok());
  EXPECT_NE(missing_started.error().find("TLS cert_file: cannot read " + missing.cert_file + ": No such file"),
            std::string::npos)
      << missing_started.error();

  TlsOptions not_pem = tls();
  not_pem.cert_file = dir_.write("garbage.pem", "not a certificate\n").string();
  EXPECT_EQ(check_tls(not_pem).error().option, "cert_file");

  TlsOptions key_as_ca = tls();
  key_as_ca.client_ca_file = pki_.server_key;
  EXPECT_EQ(check_tls(key_as_ca).error().option, "client_ca_file");

  // An encrypted key is refused at once: no pass phrase prompt on the terminal.
  TlsOptions encrypted = tls();
  encrypted.key_file = (dir_ / "encrypted.key").string();
  write_encrypted_key(pki_.server_key, encrypted.key_file);
  auto locked = check_tls(encrypted);
  ASSERT_FALSE(locked.ok());
  EXPECT_EQ(locked.error().option, "key_file");
  EXPECT_NE(locked.error().message.find("cannot load an unencrypted PEM private key"), std::string::npos)
      << locked.error().message;

  // A certificate where the key should be: never quoted back, only named.
  TlsOptions cert_as_key = tls();
  cert_as_key.key_file = pki_.server_cert;
  auto wrong = check_tls(cert_as_key);
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().option, "key_file");
  EXPECT_EQ(wrong.error().message.find("BEGIN"), std::string::npos);
}

}  // namespace
}  // namespace weft::http
