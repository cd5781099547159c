#include "support/sandbox_runner.hpp"

#include <chrono>
#include <csignal>
#include <stdexcept>
#include <thread>

namespace weft::test {

using namespace std::chrono_literals;

std::string SandboxRunner::start(std::vector<std::string> extra_args) {
  stop();
  ProcessOptions options;
  options.program = binary_;
  options.args = {"sandbox", "--listen", "127.0.0.1:0"};
  options.args.insert(options.args.end(), extra_args.begin(), extra_args.end());
  const auto out = dir_ / ("sandbox-" + std::to_string(++runs_) + ".out");
  options.stdout_path = out;
  options.stderr_path = dir_ / "sandbox.err";
  auto spawned = Process::spawn(options);
  if (!spawned) throw std::runtime_error("cannot start weft sandbox: " + spawned.error());
  process_.emplace(std::move(*spawned));
  // Its first line of output is the base URL, once it has bound.
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < deadline && process_->running()) {
    const std::string text = read_file(out);
    if (const auto end = text.find('\n'); end != std::string::npos) return text.substr(0, end);
    std::this_thread::sleep_for(20ms);
  }
  throw std::runtime_error("weft sandbox printed no address; its log:\n" + log_tail());
}

void SandboxRunner::stop() {
  if (process_ && process_->running()) process_->stop(SIGTERM, 5s);
  process_.reset();
}

std::string SandboxRunner::log_tail(std::size_t bytes) const {
  return tail_of_file(dir_ / "sandbox.err", bytes);
}

}  // namespace weft::test
