#pragma once
// The long-running commands (serve, sandbox, demo) stop on SIGINT or SIGTERM, taken
// synchronously by the main thread: take_stop_signals() blocks them before any other thread
// starts (every thread inherits the mask) and ignores SIGPIPE; wait_for_stop_signal() returns
// the one that came.

#include <csignal>

namespace weft::cli {

sigset_t take_stop_signals();
int wait_for_stop_signal(const sigset_t& signals);

}  // namespace weft::cli
