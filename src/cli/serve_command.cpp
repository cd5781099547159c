#include <csignal>
#include <iostream>

#include "cli/commands.hpp"
#include "config/config.hpp"
#include "hub/hub.hpp"
#include "weft/log.hpp"

namespace weft::cli {

namespace {

// "HOST:PORT" → host and port; false when malformed.
bool split_listen(const std::string& text, std::string& host, std::uint16_t& port) {
  const std::size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) return false;
  try {
    const unsigned long p = std::stoul(text.substr(colon + 1));
    if (p > 65535) return false;
    port = static_cast<std::uint16_t>(p);
  } catch (const std::exception&) {
    return false;
  }
  host = text.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  return true;
}

}  // namespace

int run_serve(const ServeOptions& options) {
  auto loaded = config::load(options.config_path);
  if (!loaded) {
    for (const auto& error : loaded.error()) std::cerr << error.to_string() << '\n';
    return 1;
  }
  config::Config cfg = std::move(*loaded);
  if (!options.listen.empty() &&
      !split_listen(options.listen, cfg.hub.listen_host, cfg.hub.listen_port)) {
    std::cerr << "--listen: expected HOST:PORT, got '" << options.listen << "'\n";
    return 2;
  }
  if (!options.storage_url.empty()) cfg.storage.url = options.storage_url;

  log::Level level = log::Level::info;
  log::parse_level(cfg.log.level, level);
  log::configure(level, cfg.log.sink);

  // Signals are taken synchronously by this thread; every other thread inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  hub::Hub hub(std::move(cfg));
  if (auto started = hub.start(); !started) {
    log::error("hub.start_failed", {{"error", started.error()}});
    std::cerr << "weft serve: " << started.error() << '\n';
    return 1;
  }
  int received = 0;
  sigwait(&signals, &received);
  log::info("hub.stopping", {{"signal", received}});
  hub.stop();
  log::info("hub.stopped");
  log::flush();
  return 0;
}

}  // namespace weft::cli
