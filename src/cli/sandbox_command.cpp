// `weft sandbox`: the platform emulators on one port, for demos and scenario tests.

#include <csignal>
#include <iostream>

#include "cli/commands.hpp"
#include "cli/signals.hpp"
#include "config/config.hpp"
#include "sandbox/sandbox_runtime.hpp"
#include "weft/log.hpp"

namespace weft::cli {

int run_sandbox(const SandboxOptions& options) {
  auto listen = config::parse_listen(options.listen);
  if (!listen) {
    std::cerr << "--listen: " << listen.error() << '\n';
    return 2;
  }
  if (!options.hub.empty() && options.hub.rfind("http://", 0) != 0 && options.hub.rfind("https://", 0) != 0) {
    std::cerr << "--hub: expected an http:// or https:// URL, got '" << options.hub << "'\n";
    return 2;
  }
  log::configure(log::Level::info, "stderr");
  const sigset_t signals = take_stop_signals();

  sandbox::RuntimeOptions runtime_options;
  runtime_options.host = listen->host;
  runtime_options.port = listen->port;
  runtime_options.hub_url = options.hub;
  runtime_options.state_path = options.state_path;
  runtime_options.seed = options.seed;
  sandbox::SandboxRuntime sandbox(runtime_options);
  if (auto started = sandbox.start(); !started) {
    std::cerr << "weft sandbox: " << started.error() << '\n';
    return 1;
  }
  // The real address on stdout (port 0 picks a free one): scripts and tests read it.
  std::cout << sandbox.url() << std::endl;
  log::info("sandbox.started", {{"listen", listen->host + ":" + std::to_string(sandbox.port())},
                                {"hub", options.hub.empty() ? std::string("(none: webhooks recorded, not sent)") : options.hub},
                                {"seed", static_cast<std::int64_t>(sandbox.seed())}});

  const int received = wait_for_stop_signal(signals);
  log::info("sandbox.stopping", {{"signal", received}});
  sandbox.stop();
  log::info("sandbox.stopped");
  log::flush();
  return 0;
}

}  // namespace weft::cli
