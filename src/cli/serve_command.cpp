#include <csignal>
#include <filesystem>
#include <iostream>

#include "cli/commands.hpp"
#include "cli/config_loading.hpp"
#include "cli/signals.hpp"
#include "config/config.hpp"
#include "hub/hub.hpp"
#include "hub/hub_tls.hpp"
#include "weft/log.hpp"

namespace weft::cli {

int run_serve(const ServeOptions& options) {
  int exit_code = 0;
  auto loaded = load_config(options.config_path, options.storage_url, exit_code);
  if (!loaded) return exit_code;
  config::Config cfg = std::move(*loaded);
  // A bad certificate or key is a config error, said at its line before anything starts.
  if (const auto tls_errors = hub::check_tls_files(cfg); !tls_errors.empty()) {
    std::cerr << config::format_errors(tls_errors);
    return 1;
  }
  if (!options.listen.empty()) {
    auto listen = config::parse_listen(options.listen);
    if (!listen) {
      std::cerr << "--listen: " << listen.error() << '\n';
      return 2;
    }
    cfg.hub.listen_host = listen->host;
    cfg.hub.listen_port = listen->port;
  }

  log::Level level = log::Level::info;
  log::parse_level(cfg.log.level, level);
  log::configure(level, cfg.log.sink);

  const sigset_t signals = take_stop_signals();

  hub::Hub hub(std::move(cfg));
  if (auto started = hub.start(); !started) {
    log::error("hub.start_failed", {{"error", started.error()}});
    std::cerr << "weft serve: " << started.error() << '\n';
    return 1;
  }
  const int received = wait_for_stop_signal(signals);
  log::info("hub.stopping", {{"signal", received}});
  hub.stop();
  log::info("hub.stopped");
  log::flush();
  return 0;
}

}  // namespace weft::cli
