// `weft keys create|list|revoke`: API keys, managed in the hub's storage. A running
// `weft serve` looks keys up in the same database at every request, so a new key works and a
// revoked one stops working at once, without a restart.

#include <cstdlib>
#include <iostream>

#include "api/api_keys.hpp"
#include "cli/commands.hpp"
#include "cli/config_loading.hpp"
#include "core/time_format.hpp"
#include "store/api_key_rules.hpp"
#include "weft/clock.hpp"
#include "weft/workflow_store.hpp"

namespace weft::cli {

namespace {

// The command line's actor in the audit log: the operating-system user who ran it.
std::string cli_actor() {
  const char* user = std::getenv("USER");
  return std::string("cli:") + (user != nullptr && *user != '\0' ? user : "unknown");
}

std::optional<ApiStorePtr> open_api_store(const KeysOptions& options, int& exit_code) {
  auto cfg = load_config(options.config_path, options.storage_url, exit_code);
  if (!cfg) return std::nullopt;
  auto storage = open_storage(cfg->storage.url);
  if (!storage) {
    std::cerr << "weft keys: cannot open storage " << config::redact_storage_url(cfg->storage.url)
              << ": " << storage.error().message << '\n';
    exit_code = 1;
    return std::nullopt;
  }
  return std::move(storage->api);
}

int create(ApiStore& store, const KeysOptions& options) {
  if (auto problem = api::key_name_problem(options.name); !problem.empty()) {
    std::cerr << "weft keys create: --name: " << problem << '\n';
    return 2;
  }
  const auto role = api::parse_role(options.role);
  if (!role) {
    std::cerr << "weft keys create: --role must be one of " << api::role_list() << '\n';
    return 2;
  }
  const std::int64_t now = system_clock()->unix_millis();
  const api::NewApiKey key = api::make_api_key(options.name, *role, now);
  AuditRecord audit{
      0, now, cli_actor(), "key.create", key.record.id, "null", store::key_summary_json(key.record),
      ""};
  if (auto created = store.create_key(key.record, audit); !created) {
    std::cerr << "weft keys create: " << created.error().message << '\n';
    return created.error().code == StoreErrc::conflict ? 2 : 1;
  }
  std::cout << "Created API key " << key.record.id << " for " << key.record.name << " ("
            << key.record.role << "). It is shown only now; store it safely:\n"
            << key.secret << '\n';
  return 0;
}

int list(ApiStore& store) {
  auto keys = store.list_keys();
  if (!keys) {
    std::cerr << "weft keys list: " << keys.error().message << '\n';
    return 1;
  }
  for (const ApiKeyRecord& k : *keys) {
    std::cout << k.id << '\t' << k.name << '\t' << k.role << '\t' << "created "
              << format_iso8601_ms(k.created_at_ms) << '\t'
              << (k.active() ? std::string("active")
                             : "revoked " + format_iso8601_ms(k.revoked_at_ms))
              << '\n';
  }
  return 0;
}

int revoke(ApiStore& store, const KeysOptions& options) {
  AuditRecord audit{0, system_clock()->unix_millis(), cli_actor(), "key.revoke", "", "null", "null",
                    ""};
  auto revoked = store.revoke_key(options.key, audit);
  if (!revoked) {
    std::cerr << "weft keys revoke: " << revoked.error().message << '\n';
    return 1;
  }
  if (!revoked->has_value()) {
    std::cerr << "weft keys revoke: no active key has the id or name '" << options.key << "'\n";
    return 2;
  }
  std::cout << "Revoked API key " << (*revoked)->id << " (" << (*revoked)->name << ")\n";
  return 0;
}

}  // namespace

int run_keys(const KeysOptions& options) {
  int exit_code = 0;
  auto store = open_api_store(options, exit_code);
  if (!store) return exit_code;
  switch (options.action) {
    case KeysOptions::Action::create:
      return create(**store, options);
    case KeysOptions::Action::list:
      return list(**store);
    case KeysOptions::Action::revoke:
      return revoke(**store, options);
  }
  return 2;
}

}  // namespace weft::cli
