#pragma once
// ServeRunner: starts `weft serve -c CONFIG` for whole-process tests, again and again (crash
// tests restart it after every SIGKILL), each run with its own log file in the test's
// directory, and waits until it answers /healthz. On failure, the tails of those logs say
// what the hub saw.

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "support/http_client.hpp"
#include "support/process.hpp"

namespace weft::test {

class ServeRunner {
 public:
  // `binary`: the weft to run (tests pass weft_binary()); `base_url`: where the hub listens
  // (the config's hub.listen), e.g. http://127.0.0.1:PORT.
  ServeRunner(std::string binary, std::filesystem::path dir, std::filesystem::path config, std::string base_url);
  // For a hub on https://: the TLS files of the /healthz poll (CA, client cert for mutual TLS).
  void set_client_tls(HttpClient::Options tls) { client_tls_ = std::move(tls); }

  // Starts the hub and waits for /healthz; throws std::runtime_error with the log's tail when
  // it exits first or does not answer within `deadline`. The hub compiles every jq program of
  // its mappings and workflows before it listens (about 3 s of CPU with the shipped nine):
  // on a machine busy with other builds that took more than 10 s, and 40 s at a load of 13
  // on two cores. A liveness wait, not a measurement: generous.
  Process start(std::chrono::milliseconds deadline = std::chrono::seconds(120));

  // The last bytes of every run's log, for a failure message.
  std::string log_tails(std::size_t bytes_per_log = 3000) const;
  const std::vector<std::filesystem::path>& logs() const { return logs_; }

 private:
  std::string binary_;
  std::filesystem::path dir_;
  std::filesystem::path config_;
  std::string base_url_;
  HttpClient::Options client_tls_;
  std::vector<std::filesystem::path> logs_;
};

}  // namespace weft::test
