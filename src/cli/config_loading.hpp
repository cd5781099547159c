#pragma once
// Loading the config for a subcommand, with the --storage override `serve` and `keys` share.

#include <optional>
#include <string>

#include "config/config.hpp"

namespace weft::cli {

// The config at `path`, its storage URL replaced by `storage_override` when that is not
// empty (a relative path is relative to the working directory, as a user typing it expects).
// On failure the errors are printed and `exit_code` says what to exit with.
std::optional<config::Config> load_config(const std::string& path,
                                          const std::string& storage_override, int& exit_code);

}  // namespace weft::cli
