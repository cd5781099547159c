#pragma once
// The `weft` command line: subcommands serve, check (and, as they land, demo, sandbox,
// scenario, keys, replay, reconcile). Returns the process exit code.

namespace weft::cli {

int run(int argc, char** argv);

}  // namespace weft::cli
