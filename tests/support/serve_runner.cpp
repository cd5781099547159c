#include "support/serve_runner.hpp"

#include <stdexcept>

namespace weft::test {

ServeRunner::ServeRunner(std::string binary, std::filesystem::path dir, std::filesystem::path config,
                         std::string base_url)
    : binary_(std::move(binary)), dir_(std::move(dir)), config_(std::move(config)), base_url_(std::move(base_url)) {}

Process ServeRunner::start(std::chrono::milliseconds deadline) {
  const auto log = dir_ / ("serve-" + std::to_string(logs_.size() + 1) + ".log");
  logs_.push_back(log);
  ProcessOptions options;
  options.program = binary_;
  options.args = {"serve", "-c", config_.string()};
  options.stderr_path = log;
  options.stdout_path = log;
  options.working_dir = dir_;
  auto spawned = Process::spawn(options);
  if (!spawned) throw std::runtime_error("cannot start weft serve: " + spawned.error());
  Process server = std::move(*spawned);
  const auto until = std::chrono::steady_clock::now() + deadline;
  while (!wait_for_status(base_url_, "/healthz", 200, std::chrono::milliseconds(100), client_tls_)) {
    if (!server.running()) {
      throw std::runtime_error("weft serve exited (" + server.exit_status()->to_string() + ") before listening:\n" +
                               tail_of_file(log));
    }
    if (std::chrono::steady_clock::now() >= until) {
      throw std::runtime_error("weft serve did not answer /healthz in time:\n" + tail_of_file(log));
    }
  }
  return server;
}

std::string ServeRunner::log_tails(std::size_t bytes_per_log) const {
  std::string out;
  for (const auto& log : logs_) out += "--- " + log.string() + " (tail) ---\n" + tail_of_file(log, bytes_per_log) + "\n";
  return out;
}

}  // namespace weft::test
