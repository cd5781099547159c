// `weft demo`: the sandbox, the hub, the seeded scenario and its consistency report in one
// command (docs/scenario.md).

#include <iostream>

#include "cli/commands.hpp"
#include "cli/signals.hpp"

namespace weft::cli {

int run_demo(const demo::DemoOptions& options) {
  const sigset_t signals = take_stop_signals();
  return demo::run_demo(options, std::cout, std::cerr, [&] { wait_for_stop_signal(signals); });
}

}  // namespace weft::cli
