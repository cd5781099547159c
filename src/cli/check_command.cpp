#include <iostream>

#include "cli/commands.hpp"
#include "config/config.hpp"

namespace weft::cli {

int run_check(const CheckOptions& options) {
  auto loaded = config::load(options.config_path);
  if (!loaded) {
    for (const auto& error : loaded.error()) std::cerr << error.to_string() << '\n';
    std::cerr << loaded.error().size() << (loaded.error().size() == 1 ? " error" : " errors")
              << " in " << options.config_path << '\n';
    return 1;
  }
  std::cout << options.config_path << ": ok (" << loaded->connectors.size() << " connectors)\n";
  return 0;
}

}  // namespace weft::cli
