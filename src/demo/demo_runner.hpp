#pragma once
// `weft demo` (docs/scenario.md): `weft sandbox` and `weft serve` in one process — the hub on
// SQLite under a data directory that starts empty, every connector pointed at the sandbox,
// the sandbox's webhooks sent to the hub — then the seeded scenario played through the
// sandboxes' own APIs (optionally with faults), quiescence, the cross-platform consistency
// check and a summary per workflow. Then either exit (--once) or keep serving until a stop
// signal.
//
// Threads: the calling thread; the hub and the sandbox run their own.

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <string>

namespace weft::demo {

struct DemoOptions {
  std::string config_path = "examples/demo.yaml";
  std::string data_dir;       // empty: the directory of the config's SQLite database
  std::string listen;         // the hub's HOST:PORT; empty: the config's; port 0: a free port
  std::string sandbox_listen = "127.0.0.1:7171";  // port 0: a free port
  std::uint64_t seed = 1;
  int customers = 200;
  bool once = false;          // exit when the summary is printed (exit 1 when not consistent)
  bool json = false;          // print the report as one JSON object instead of the table
  bool faults = false;        // inject 429s, errors and a NetSuite outage while playing
  double timeout_seconds = 600;  // for quiescence
};

// The exit code: 0 consistent, 1 not consistent or a failure, 2 bad options. The report goes
// to `out`, progress and errors to `err`. Without `once`, `wait_for_stop` is called once the
// summary is out and the demo stops when it returns.
int run_demo(const DemoOptions& options, std::ostream& out, std::ostream& err,
             const std::function<void()>& wait_for_stop);

}  // namespace weft::demo
