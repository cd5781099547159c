// `weft sandbox`: the platform emulators on one port, for demos and scenario tests.

#include <csignal>
#include <iostream>
#include <random>

#include "cli/commands.hpp"
#include "config/config.hpp"
#include "delivery/curl_transport.hpp"
#include "http/server.hpp"
#include "sandbox/emulators.hpp"
#include "sandbox/sandbox_server.hpp"
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

  // Signals are taken synchronously by this thread; every other thread inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  const ClockPtr clock = system_clock();
  const sandbox::Credentials credentials = sandbox::Credentials::from_environment();
  delivery::CurlTransportOptions transport_options;
  transport_options.user_agent = "weft-sandbox";
  delivery::CurlTransport transport(transport_options);
  sandbox::OutboxOptions outbox_options;
  outbox_options.hub_url = options.hub;
  sandbox::DeliveringOutbox outbox(outbox_options, transport, clock);
  sandbox::TimerThread timer;

  sandbox::SandboxOptions sandbox_options;
  sandbox_options.seed = options.seed ? *options.seed : std::random_device{}();
  sandbox_options.state_path = options.state_path;
  const sandbox::EmulatorContext context{credentials, clock, outbox};
  sandbox::SandboxServer sandbox(sandbox::make_emulators(context), outbox, timer, clock, sandbox_options);
  if (auto loaded = sandbox.load_state(); !loaded) {
    std::cerr << "weft sandbox: --state: " << loaded.error() << '\n';
    return 1;
  }

  http::ServerOptions server_options;
  server_options.host = listen->host;
  server_options.port = listen->port;
  server_options.threads = 2;
  http::Server server(server_options, sandbox);
  if (auto started = server.start(); !started) {
    std::cerr << "weft sandbox: " << started.error() << '\n';
    return 1;
  }
  outbox.start();
  // The real address on stdout (port 0 picks a free one): scripts and tests read it.
  std::cout << "http://" << listen->host << ':' << server.port() << std::endl;
  log::info("sandbox.started", {{"listen", listen->host + ":" + std::to_string(server.port())},
                                {"hub", options.hub.empty() ? std::string("(none: webhooks recorded, not sent)") : options.hub},
                                {"seed", static_cast<std::int64_t>(sandbox_options.seed)}});

  int received = 0;
  sigwait(&signals, &received);
  log::info("sandbox.stopping", {{"signal", received}});
  server.stop_accepting();
  server.drain(std::chrono::seconds(2));
  timer.stop();
  server.stop();
  outbox.stop();
  sandbox.shutdown();
  log::info("sandbox.stopped");
  log::flush();
  return 0;
}

}  // namespace weft::cli
