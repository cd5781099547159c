#pragma once
// SandboxRunner: starts `weft sandbox --listen 127.0.0.1:0` as a process for whole-process
// tests (connector contracts against the emulators, the hub end to end) and reads the base URL
// it prints. Optionally gives it a hub URL for its webhooks.

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "support/process.hpp"

namespace weft::test {

class SandboxRunner {
 public:
  // `binary`: the weft to run (tests pass weft_binary()); `dir`: where its logs go.
  SandboxRunner(std::string binary, std::filesystem::path dir)
      : binary_(std::move(binary)), dir_(std::move(dir)) {}

  // Starts it and returns its base URL (http://127.0.0.1:PORT); throws std::runtime_error
  // with its log's tail when it exits or prints nothing within 10 s.
  std::string start(std::vector<std::string> extra_args = {});
  void stop();  // SIGTERM and wait; also done by the destructor
  ~SandboxRunner() { stop(); }

  std::string log_tail(std::size_t bytes = 3000) const;

 private:
  std::string binary_;
  std::filesystem::path dir_;
  std::optional<Process> process_;
  int runs_ = 0;
};

}  // namespace weft::test
