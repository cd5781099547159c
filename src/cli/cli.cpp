#include "cli/cli.hpp"

#include <CLI/CLI.hpp>
#include <csignal>
#include <iostream>

#include "cli/commands.hpp"

namespace weft::cli {

int run(int argc, char** argv) {
  CLI::App app{"Weft: keeps support, billing, CRM and ERP platforms in step", "weft"};
  app.set_version_flag("--version", std::string("weft ") + WEFT_VERSION);
  app.require_subcommand(1);

  ServeOptions serve;
  auto* serve_cmd = app.add_subcommand("serve", "Run the hub: ingest, workflows, API, console");
  serve_cmd->add_option("-c,--config", serve.config_path, "Config file (YAML)")->required();
  serve_cmd->add_option("--listen", serve.listen, "HOST:PORT to listen on (overrides hub.listen)");
  serve_cmd->add_option("--storage", serve.storage_url,
                        "Storage URL, e.g. sqlite:/var/lib/weft/weft.db (overrides storage.url)");

  CheckOptions check;
  auto* check_cmd = app.add_subcommand("check", "Validate a config (and its workflows) and exit");
  check_cmd->add_option("-c,--config", check.config_path, "Config file (YAML)")->required();

  ReplayOptions replay;
  auto* replay_cmd = app.add_subcommand("replay", "Map and trigger stored raw events again (idempotent)");
  replay_cmd->add_option("-c,--config", replay.config_path, "Config file (YAML)")->required();
  replay_cmd->add_option("--connector", replay.connector, "Only events of this connector (its name in the config)");
  replay_cmd->add_option("--type", replay.type, "Only events of this platform event type, e.g. invoice.paid");
  replay_cmd->add_option("--key", replay.key, "Only events with this business key, e.g. cus_123");
  replay_cmd->add_option("--from", replay.from, "Received at or after (ISO-8601 or Unix seconds)");
  replay_cmd->add_option("--to", replay.to, "Received before (ISO-8601 or Unix seconds)");
  replay_cmd->add_flag("--all", replay.all, "Every event of the log (when no other filter is given)");
  replay_cmd->add_flag("--dry-run", replay.dry_run, "Count the matching events; change nothing");

  ReconcileOptions reconcile;
  auto* reconcile_cmd = app.add_subcommand(
      "reconcile", "Compare billing with the ERP for a period; exit 1 when they differ");
  reconcile_cmd->add_option("-c,--config", reconcile.config_path, "Config file (YAML)")->required();
  reconcile_cmd->add_option("--from", reconcile.from, "Invoices created at or after (ISO-8601 or Unix seconds; default: 24 h before --to)");
  reconcile_cmd->add_option("--to", reconcile.to, "Invoices created before (ISO-8601 or Unix seconds; default: now)");
  reconcile_cmd->add_flag("--json", reconcile.json, "Print the report as one JSON object instead of the table");

  KeysOptions keys;
  auto* keys_cmd = app.add_subcommand("keys", "Create, list and revoke API keys (no restart of serve needed)");
  keys_cmd->require_subcommand(1);
  const auto storage_options = [&keys](CLI::App* cmd) {
    cmd->add_option("-c,--config", keys.config_path, "Config file (YAML)")->required();
    cmd->add_option("--storage", keys.storage_url, "Storage URL (overrides storage.url)");
  };
  auto* keys_create_cmd = keys_cmd->add_subcommand("create", "Create a key; it is printed once, alone on the last line");
  storage_options(keys_create_cmd);
  keys_create_cmd->add_option("--name", keys.name, "Who holds the key (the actor in approvals and the audit log)")
      ->required();
  keys_create_cmd->add_option("--role", keys.role, "support-ops, finance-ops, platform-admin or read-only")->required();
  auto* keys_list_cmd = keys_cmd->add_subcommand("list", "List keys (never their secrets)");
  storage_options(keys_list_cmd);
  auto* keys_revoke_cmd = keys_cmd->add_subcommand("revoke", "Revoke a key by its id or name");
  storage_options(keys_revoke_cmd);
  keys_revoke_cmd->add_option("key", keys.key, "The key's id (key_…) or name")->required();

  SandboxOptions sandbox;
  auto* sandbox_cmd = app.add_subcommand("sandbox", "Emulate Stripe, Zendesk, NetSuite and Salesforce on one port");
  sandbox_cmd->add_option("--listen", sandbox.listen, "HOST:PORT to listen on (port 0: any free port)")
      ->capture_default_str();
  sandbox_cmd->add_option("--hub", sandbox.hub, "Hub URL: webhooks go to URL/hooks/<platform>");
  sandbox_cmd->add_option("--state", sandbox.state_path, "JSON file: state loaded at start, saved after changes");
  sandbox_cmd->add_option("--seed", sandbox.seed, "Seed of the fault injector's random draws (repeatable runs)");

  ScenarioRunOptions scenario_run;
  ScenarioVerifyOptions scenario_verify;
  auto* scenario_cmd = app.add_subcommand("scenario", "Play the seeded scenario on the sandbox, and verify the outcome");
  scenario_cmd->require_subcommand(1);
  auto* scenario_run_cmd = scenario_cmd->add_subcommand("run", "Play the scenario through the sandbox's platform APIs");
  scenario_run_cmd->add_option("--sandbox", scenario_run.sandbox_url, "The sandbox's URL, e.g. http://127.0.0.1:7171")
      ->required();
  scenario_run_cmd->add_option("--seed", scenario_run.seed, "Seed: the same seed plays the same scenario")
      ->capture_default_str();
  scenario_run_cmd->add_option("--customers", scenario_run.customers, "Customers to create on every platform")
      ->capture_default_str();
  auto* scenario_verify_cmd =
      scenario_cmd->add_subcommand("verify", "Wait for quiescence; print workflows, exceptions and consistency (JSON)");
  scenario_verify_cmd->add_option("--sandbox", scenario_verify.sandbox_url, "The sandbox's URL")->required();
  scenario_verify_cmd->add_option("--hub", scenario_verify.hub_url, "The hub's URL, e.g. http://127.0.0.1:7070")
      ->required();
  scenario_verify_cmd->add_option("--timeout", scenario_verify.timeout_seconds, "Seconds to wait for quiescence")
      ->capture_default_str();
  scenario_verify_cmd->add_option("--ca-file", scenario_verify.ca_file, "For an https:// hub: the CA certificates (PEM) to trust")
      ->check(CLI::ExistingFile);
  auto* client_cert = scenario_verify_cmd
                          ->add_option("--client-cert", scenario_verify.client_cert,
                                       "For a hub with mutual TLS: the client certificate (PEM)")
                          ->check(CLI::ExistingFile);
  auto* client_key = scenario_verify_cmd
                         ->add_option("--client-key", scenario_verify.client_key, "The client certificate's key (PEM)")
                         ->check(CLI::ExistingFile);
  client_cert->needs(client_key);
  client_key->needs(client_cert);

  demo::DemoOptions demo;
  auto* demo_cmd = app.add_subcommand(
      "demo", "Run the sandbox and the hub, play the seeded scenario, report per workflow and check consistency");
  demo_cmd->add_option("-c,--config", demo.config_path, "Config file (YAML); its connectors are pointed at the sandbox")
      ->capture_default_str();
  demo_cmd->add_option("--data", demo.data_dir, "Directory of the hub's database and log, emptied at start "
                                                "(default: that of the config's SQLite database)");
  demo_cmd->add_option("--listen", demo.listen, "The hub's HOST:PORT (default: the config's; port 0: a free one)");
  demo_cmd->add_option("--sandbox-listen", demo.sandbox_listen, "The sandbox's HOST:PORT (port 0: a free one)")
      ->capture_default_str();
  demo_cmd->add_option("--seed", demo.seed, "Seed: the same seed plays the same scenario")->capture_default_str();
  demo_cmd->add_option("--customers", demo.customers, "Customers to create on every platform")->capture_default_str();
  demo_cmd->add_flag("--once", demo.once, "Exit once the report is printed (exit 1 when not consistent)");
  demo_cmd->add_flag("--json", demo.json, "Print the report as one JSON object instead of the table");
  demo_cmd->add_flag("--faults", demo.faults, "Inject 429s, 5xx and a NetSuite outage while the scenario plays");
  demo_cmd->add_option("--timeout", demo.timeout_seconds, "Seconds to wait for quiescence")->capture_default_str();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // Usage errors exit 2 (help and version still 0).
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  if (scenario_run_cmd->parsed()) return run_scenario_run(scenario_run);
  if (scenario_verify_cmd->parsed()) return run_scenario_verify(scenario_verify);
  if (demo_cmd->parsed()) return run_demo(demo);
  if (serve_cmd->parsed()) return run_serve(serve);
  if (check_cmd->parsed()) return run_check(check);
  if (replay_cmd->parsed()) return run_replay(replay);
  if (reconcile_cmd->parsed()) return run_reconcile(reconcile);
  if (sandbox_cmd->parsed()) return run_sandbox(sandbox);
  if (keys_cmd->parsed()) {
    keys.action = keys_create_cmd->parsed()   ? KeysOptions::Action::create
                  : keys_revoke_cmd->parsed() ? KeysOptions::Action::revoke
                                              : KeysOptions::Action::list;
    return run_keys(keys);
  }
  return 2;
}

}  // namespace weft::cli
