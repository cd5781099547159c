#pragma once
// ConnectorContract: what every connector contract test needs to run one connector against
// `weft sandbox` through the real delivery path (DeliveryInvoker + libcurl): the sandbox
// process, a Config naming the connector with the sandbox as its base_url, calls and their
// outcomes, the admin API (faults, request log, state, platform helpers) and the sandbox's
// log when a test fails.
//
// No gtest here (the benchmarks link this library too): ok() and failed() throw
// ContractError on the wrong outcome, which gtest reports as the test's failure with the
// message. Tests derive their fixture from ContractTest (tests/integration/contract_fixture.hpp),
// which mixes this in.
//
// Threads: one test thread.

#include <deque>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "config/config.hpp"
#include "connectors/outbound_connector.hpp"
#include "delivery/delivery_invoker.hpp"
#include "engine/action_invoker.hpp"
#include "support/process.hpp"
#include "support/sandbox_runner.hpp"
#include "weft/metrics.hpp"

namespace weft::test {

// An outcome other than the one the test expected; its message says which it was.
struct ContractError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class ConnectorContract {
 public:
  // A connector's configuration keys besides type and base_url, in order, e.g.
  // {{"api_key", "sk_test_weft_demo"}}. Values are written as quoted YAML strings.
  using Settings = std::vector<std::pair<std::string, std::string>>;

  // `binary`: the weft to run as the sandbox (tests pass weft_binary()); `type`: the
  // platform, also the connector's name (so the sandbox's admin API and the config agree).
  ConnectorContract(std::string binary, std::string type, Settings settings);
  virtual ~ConnectorContract();
  ConnectorContract(const ConnectorContract&) = delete;
  ConnectorContract& operator=(const ConnectorContract&) = delete;

  // Starts the sandbox (again: a new one, on a new port) with `sandbox_args` (e.g. --state
  // FILE), and the invoker over the settings given to the constructor.
  void start(std::vector<std::string> sandbox_args = {});
  // A directory for the test's files, removed with the fixture.
  const TempDir& work_dir() const { return dir_; }
  const std::string& type() const { return type_; }
  const std::string& base_url() const { return base_url_; }
  const config::Config& config() const { return config_; }

  // The connector against the sandbox with other settings (wrong credentials, limits).
  config::Config config_with(const Settings& settings) const;
  // An invoker of its own (limiter, breaker, metrics) over `settings`.
  std::unique_ptr<delivery::DeliveryInvoker> invoker_with(const Settings& settings);
  // Replaces the invoker with a fresh one over the constructor's settings: after a 429 the
  // old one holds every call of the connector for the Retry-After.
  void renew_invoker();

  // One attempt of `action`, as an engine step makes it.
  engine::ActionOutcome call(const std::string& action, nlohmann::json input, std::string key = "");
  engine::ActionOutcome call_with(delivery::DeliveryInvoker& invoker, const std::string& action,
                                  nlohmann::json input, std::string key = "");
  // Every page of a list action, following the connector's next_page (as pollers do); throws
  // when there are more than `max_pages`.
  std::vector<nlohmann::json> pages(const std::string& action, nlohmann::json input,
                                    int max_pages = 20);

  // The ids of the records under `list_key` ("data", "items", "records"…) in every page, as
  // text; throws ContractError when a record shows up twice (pages that overlap).
  static std::set<std::string> ids_in(const std::vector<nlohmann::json>& pages,
                                      const std::string& list_key,
                                      const std::string& id_key = "id");

  // The output of a success; throws ContractError naming the failure or deferral otherwise.
  static nlohmann::json ok(const engine::ActionOutcome& outcome);
  // The failure; throws ContractError naming the success or deferral otherwise.
  static delivery::Failure failed(const engine::ActionOutcome& outcome);

  // POST /_sandbox/faults with `body`, e.g. {"zendesk": {"outage": true}}.
  void faults(const nlohmann::json& body);
  // No faults for this platform.
  void clear_faults();
  // POST /_sandbox/<platform><subpath> (a platform's test helper); its JSON answer.
  nlohmann::json sandbox_helper(const std::string& subpath, const nlohmann::json& body);
  // This platform's request log entries (GET /_sandbox/requests), oldest first.
  nlohmann::json requests() const;
  // Those of its entries that carry this idempotency key (the platform's: see docs/sandbox.md).
  nlohmann::json requests_with_key(const std::string& key) const;
  // This platform's records (GET /_sandbox/state), by record type.
  nlohmann::json state() const;
  // How many records of `type` in its state have `field` equal to `value`.
  std::size_t count_records(const std::string& type, const std::string& field,
                            const nlohmann::json& value) const;

  // The tail of the sandbox's log on stderr (TearDown does this when a test failed).
  void print_sandbox_log() const;

 private:
  nlohmann::json admin_get(const std::string& path) const;

  std::string type_;
  Settings settings_;
  TempDir dir_;
  SandboxRunner sandbox_;
  std::string base_url_;
  config::Config config_;
  connectors::OutboundConnectorPtr connector_;  // for next_page
  std::deque<metrics::Registry> registries_;    // one per invoker, outliving it
  std::unique_ptr<delivery::DeliveryInvoker> invoker_;
};

}  // namespace weft::test
