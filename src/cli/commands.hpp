#pragma once
// One function per subcommand; each returns the exit code.

#include <string>

namespace weft::cli {

struct ServeOptions {
  std::string config_path;
  std::string listen;       // empty: from config
  std::string storage_url;  // empty: from config
};
int run_serve(const ServeOptions& options);

struct CheckOptions {
  std::string config_path;
};
int run_check(const CheckOptions& options);

}  // namespace weft::cli
