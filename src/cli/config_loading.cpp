#include "cli/config_loading.hpp"

#include <filesystem>
#include <iostream>

namespace weft::cli {

std::optional<config::Config> load_config(const std::string& path,
                                          const std::string& storage_override, int& exit_code) {
  auto loaded = config::load(path);
  if (!loaded) {
    for (const auto& error : loaded.error()) std::cerr << error.to_string() << '\n';
    exit_code = 1;
    return std::nullopt;
  }
  if (!storage_override.empty()) {
    if (auto valid = config::validate_storage_url(storage_override); !valid) {
      std::cerr << "--storage: " << valid.error() << '\n';
      exit_code = 2;
      return std::nullopt;
    }
    loaded->storage.url =
        config::resolve_storage_url(storage_override, std::filesystem::current_path().string());
  }
  return std::move(*loaded);
}

}  // namespace weft::cli
