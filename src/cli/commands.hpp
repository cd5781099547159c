#pragma once
// One function per subcommand; each returns the exit code.

#include <cstdint>
#include <optional>
#include <string>

#include "demo/demo_runner.hpp"

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

// Which raw events to route again; at least one filter, or `all`.
struct ReplayOptions {
  std::string config_path;
  std::string connector, type, key;
  std::string from, to;  // received time: ISO-8601 or Unix seconds; from inclusive, to exclusive
  bool all = false;
  bool dry_run = false;
};
int run_replay(const ReplayOptions& options);

// `weft reconcile`: billing against the ERP for a period (src/reconcile/).
struct ReconcileOptions {
  std::string config_path;
  std::string from, to;  // ISO-8601 or Unix seconds; default: the last 24 h
  bool json = false;
};
int run_reconcile(const ReconcileOptions& options);

// `weft keys create|list|revoke` (docs/api.md).
struct KeysOptions {
  enum class Action { create, list, revoke };
  Action action = Action::list;
  std::string config_path;
  std::string storage_url;  // empty: from config
  std::string name, role;   // create
  std::string key;          // revoke: the key's id or name
};
int run_keys(const KeysOptions& options);

// The platform emulators (docs/sandbox.md).
struct SandboxOptions {
  std::string listen = "127.0.0.1:7171";
  std::string hub;         // webhooks go to <hub>/hooks/<platform>; empty: recorded only
  std::string state_path;  // empty: state in memory only
  std::optional<std::uint64_t> seed;  // fault PRNG; unset: random
};
int run_sandbox(const SandboxOptions& options);

// `weft scenario run`: plays the seeded scenario through the sandbox's platform APIs.
struct ScenarioRunOptions {
  std::string sandbox_url;
  std::uint64_t seed = 1;
  int customers = 200;
};
int run_scenario_run(const ScenarioRunOptions& options);

// `weft scenario verify`: waits for quiescence, prints the consistency report (JSON).
struct ScenarioVerifyOptions {
  std::string sandbox_url;
  std::string hub_url;
  double timeout_seconds = 120;
  std::string ca_file;                       // an https:// hub's CA (PEM); empty: the system's
  std::string client_cert, client_key;       // for a hub with mutual TLS (PEM)
};
int run_scenario_verify(const ScenarioVerifyOptions& options);

// `weft demo`: sandbox + hub + scenario + consistency report + summary (docs/scenario.md).
int run_demo(const demo::DemoOptions& options);

}  // namespace weft::cli
