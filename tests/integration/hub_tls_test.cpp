// `weft serve` with hub.tls, as an operator meets it: a real process on a free loopback port,
// certificates made for the test (tests/support/test_certs), HTTPS and mutual TLS from curl,
// and `weft check` / `weft serve` refusing bad certificate files at the line that names them.
#include <gtest/gtest.h>

#include <csignal>
#include <optional>
#include <string>

#include "support/http_client.hpp"
#include "support/process.hpp"
#include "support/serve_runner.hpp"
#include "support/test_certs.hpp"

namespace weft::test {
namespace {

class HubTlsTest : public ::testing::Test {
 protected:
  // hub.tls is on lines 3-5 (6 with client_ca_file) of the config.
  std::filesystem::path write_config(const std::filesystem::path& cert, const std::filesystem::path& key,
                                     const std::optional<std::filesystem::path>& client_ca = std::nullopt) {
    std::string text = "hub:\n  listen: 127.0.0.1:" + std::to_string(port_) +
                       "\n  tls:\n    cert_file: " + cert.string() + "\n    key_file: " + key.string() + "\n";
    if (client_ca) text += "    client_ca_file: " + client_ca->string() + "\n";
    text += "storage:\n  url: sqlite:" + (dir_ / "weft.db").string() + "\n";
    return dir_.write("weft.yaml", text);
  }

  HttpClient::Options trusting(const TestPki* identity = nullptr) const {
    HttpClient::Options o;
    o.ca_file = pki_.ca_cert;
    if (identity != nullptr) {
      o.cert_file = identity->client_cert;
      o.key_file = identity->client_key;
    }
    return o;
  }

  void TearDown() override {
    if (HasFailure()) dir_.keep();
  }

  TempDir dir_{"weft-hub-tls"};
  TestPki pki_ = make_test_pki(dir_.path(), "hub");
  TestPki other_ = make_test_pki(dir_.path(), "other", "intruder");
  std::uint16_t port_ = free_loopback_port();
  std::string https_ = "https://127.0.0.1:" + std::to_string(port_);
};

TEST_F(HubTlsTest, ServesHttpsAndDropsPlainHttpOnItsPort) {
  const auto config = write_config(pki_.server_cert, pki_.server_key);
  const CommandResult checked = run_command(weft_binary(), {"check", "-c", config.string()}, dir_.path(), "check");
  EXPECT_EQ(checked.code, 0) << checked.err;

  ServeRunner runner(weft_binary(), dir_.path(), config, https_);
  runner.set_client_tls(trusting());
  Process hub = runner.start();

  HttpClient client(https_, trusting());
  auto health = client.get("/healthz");
  ASSERT_TRUE(health.ok()) << health.error().message;
  EXPECT_EQ(health->status, 200);
  auto ready = client.get("/readyz");
  ASSERT_TRUE(ready.ok()) << ready.error().message;
  EXPECT_EQ(ready->status, 200);

  auto plain = HttpClient("http://127.0.0.1:" + std::to_string(port_)).get("/healthz");
  ASSERT_FALSE(plain.ok());
  EXPECT_NE(plain.error().code, HttpErrc::timeout) << plain.error().message;
  auto again = HttpClient(https_, trusting()).get("/healthz");
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(again->status, 200);

  const ExitStatus status = hub.stop(SIGTERM, std::chrono::seconds(10));
  EXPECT_TRUE(status.exited && status.code == 0) << status.to_string() << runner.log_tails();
  const std::string log = read_file(runner.logs().back());
  EXPECT_NE(log.find(R"("tls":"on")"), std::string::npos) << log;
  EXPECT_NE(log.find("http.tls_handshake_failed"), std::string::npos) << log;
  // The private key is never in the log.
  const std::string key = read_file(pki_.server_key);
  ASSERT_FALSE(key.empty());
  EXPECT_EQ(log.find(key.substr(key.find('\n') + 1, 40)), std::string::npos);
}

TEST_F(HubTlsTest, MutualTlsAcceptsOnlyClientsWithACertificateFromItsCa) {
  const auto config = write_config(pki_.server_cert, pki_.server_key, pki_.ca_cert);
  ServeRunner runner(weft_binary(), dir_.path(), config, https_);
  runner.set_client_tls(trusting(&pki_));
  Process hub = runner.start();

  EXPECT_FALSE(HttpClient(https_, trusting()).get("/healthz").ok());
  EXPECT_FALSE(HttpClient(https_, trusting(&other_)).get("/healthz").ok());
  auto known = HttpClient(https_, trusting(&pki_)).get("/healthz");
  ASSERT_TRUE(known.ok()) << known.error().message;
  EXPECT_EQ(known->status, 200);

  const ExitStatus status = hub.stop(SIGTERM, std::chrono::seconds(10));
  EXPECT_TRUE(status.exited && status.code == 0) << status.to_string() << runner.log_tails();
  const std::string log = read_file(runner.logs().back());
  EXPECT_NE(log.find(R"("tls":"mutual")"), std::string::npos) << log;
  // Each request names the client that made it; the refused ones are logged as such.
  EXPECT_NE(log.find(R"("event":"http.request","client_subject":"CN=ops-client,O=Weft tests","request":"GET /healthz","status":200)"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("http.tls_handshake_failed"), std::string::npos) << log;
  EXPECT_EQ(log.find("intruder\",\"request\""), std::string::npos) << log;
}

TEST_F(HubTlsTest, CheckAndServeRefuseBadFilesAtTheirLine) {
  // A missing certificate: a config error, from the loader.
  const auto missing = write_config(dir_ / "nowhere.pem", pki_.server_key);
  const CommandResult no_cert = run_command(weft_binary(), {"check", "-c", missing.string()}, dir_.path(), "check-missing");
  EXPECT_EQ(no_cert.code, 1);
  EXPECT_NE(no_cert.err.find(missing.string() + ":4: hub.tls.cert_file names a file that does not exist"),
            std::string::npos)
      << no_cert.err;

  // A key that is not the certificate's: found by loading them as the server does.
  const auto mismatch = write_config(pki_.server_cert, other_.server_key);
  const CommandResult wrong_key = run_command(weft_binary(), {"check", "-c", mismatch.string()}, dir_.path(), "check-mismatch");
  EXPECT_EQ(wrong_key.code, 1);
  const std::string expected = mismatch.string() + ":5: hub.tls.key_file: " + other_.server_key.string() +
                               " is not the private key of the certificate in " + pki_.server_cert.string();
  EXPECT_NE(wrong_key.err.find(expected), std::string::npos) << wrong_key.err;

  const CommandResult serve = run_command(weft_binary(), {"serve", "-c", mismatch.string()}, dir_.path(), "serve-mismatch");
  EXPECT_EQ(serve.code, 1);
  EXPECT_NE(serve.err.find(expected), std::string::npos) << serve.err;
  // Nothing listened.
  auto refused = HttpClient(https_, trusting()).get("/healthz");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, HttpErrc::not_sent) << refused.error().message;
}

}  // namespace
}  // namespace weft::test
