#pragma once
// ShippedWorkflowHub: the shipped workflows end to end. `weft sandbox` (its webhooks sent to
// the hub) and `weft serve` with the repository's mappings/ and workflows/ and the Stripe,
// NetSuite, Zendesk and Salesforce connectors pointed at the sandbox with the demo credentials. Tests act
// as the platforms' users would (creating records through the platforms' APIs, here through
// Weft's own connectors as clients), wait until everything settled, and read the outcome
// from the sandbox's admin API and the hub's database.
//
// No gtest here: failures throw std::runtime_error with what was seen. Threads: one.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "delivery/delivery_invoker.hpp"
#include "support/http_client.hpp"
#include "support/process.hpp"
#include "support/sandbox_runner.hpp"
#include "support/serve_runner.hpp"
#include "weft/metrics.hpp"
#include "weft/workflow_store.hpp"

namespace weft::test {

// A customer on Stripe, Zendesk and NetSuite, linked by the demo's external-id convention
// (the organization's external_id and the NetSuite customer's externalId are the Stripe id).
struct LinkedCustomer {
  std::string stripe_id;
  std::int64_t organization_id = 0;
  std::string netsuite_id;
};

class ShippedWorkflowHub {
 public:
  // `binary`: the weft to run (tests pass weft_binary()); `name` names the temporary directory.
  ShippedWorkflowHub(std::string binary, const std::string& name);
  ~ShippedWorkflowHub();

  // Starts the sandbox, then the hub.
  void start();
  // SIGTERM the hub (an outage of Weft itself is not what these tests are about; the
  // platforms' outages are faults).
  void stop_hub();

  // One call of `connector`.`action` against the sandbox, as a platform's user makes it;
  // the output, or a throw naming the failure. `key`: the idempotency key (Stripe POSTs).
  nlohmann::json act(const std::string& connector, const std::string& action, nlohmann::json input,
                     const std::string& key = "");

  // The customer `name` on the three platforms, as their users would create it.
  LinkedCustomer linked_customer(const std::string& name);
  // A finalized invoice of `cents` USD with one item for `stripe_customer`, paid by card when
  // `pay`; its id. `name` makes the idempotency keys.
  std::string invoice(const std::string& stripe_customer, std::int64_t cents, const std::string& name,
                      bool pay = false);

  // The sandbox's admin API.
  nlohmann::json state() const;                                  // GET /_sandbox/state
  // The sandbox NetSuite's records of `type` whose externalId is `external_id`.
  nlohmann::json netsuite_records(const std::string& type, const std::string& external_id) const;
  nlohmann::json requests(const std::string& platform) const;   // the request log, oldest first
  // How many of `platform`'s requests got an injected fault (a fault test that injected
  // none would prove nothing).
  std::size_t faulted_requests(const std::string& platform) const;
  // The Stripe idempotency keys whose write took effect more than once, with how often (an
  // empty object when every keyed write applied once; repeats replayed do not count).
  nlohmann::json stripe_writes_applied_twice() const;
  void faults(const nlohmann::json& body);                       // POST /_sandbox/faults
  // The faults of every "for a while" test: on each of `platforms` 40 % of requests answered
  // 429 (Retry-After 1 s) and 40 % with `status`; or every request 503 (an outage).
  void flaky(const std::vector<std::string>& platforms, int status = 503);
  void down(const std::vector<std::string>& platforms);
  void clear_faults();                                           // DELETE /_sandbox/faults
  // POST /_sandbox/<path> with `body`: what a platform has no API for (Stripe: open or close
  // a dispute, e.g. "stripe/disputes"); the sandbox's answer.
  nlohmann::json sandbox_helper(const std::string& path, const nlohmann::json& body);
  // From now on the sandbox's Stripe declines every automatic charge, or no longer does
  // (POST /_sandbox/stripe/declines).
  void stripe_cards_decline(bool decline);

  // Waits until the sandbox has no webhook pending, the hub has processed every raw event
  // and no instance is running (waiting ones count as settled); throws after `timeout`.
  void settle(std::chrono::milliseconds timeout = std::chrono::seconds(60));

  // The hub's database (opened once, read while the hub runs).
  Storage& storage();
  std::vector<InstanceRecord> instances(const std::string& workflow);
  std::vector<ExceptionRecord> open_exceptions(const std::string& workflow);
  // The last raw event the hub stored from `connector` of `type`.
  RawEvent raw_event(const std::string& connector, const std::string& type);
  // Posts `body` to /hooks/<connector>, signed now as that platform signs; the HTTP status.
  int post_webhook(const std::string& connector, const std::string& body);

  const std::string& sandbox_url() const { return sandbox_url_; }
  // The hub's config file (for subcommands run beside it: weft keys, weft reconcile).
  std::filesystem::path config_path() const { return dir_ / "weft.yaml"; }
  const std::string& hub_url() const { return hub_url_; }

  // A new API key for `name` with `role`, made as an operator would (`weft keys create` on
  // the hub's config, while it runs); the key.
  std::string api_key(const std::string& name, const std::string& role);
  // The approvals pending for `instance_id`, as the engine stored them.
  std::vector<ApprovalRecord> pending_approvals(const std::string& instance_id);
  // POST /v1/approvals/{approval_id}/decision with `body`, as the holder of API key `key`
  // would (an Idempotency-Key when one is given); the answer. Throws when there is none.
  HttpResponse decide(const std::string& approval_id, const std::string& key, const nlohmann::json& body,
                      const std::string& idempotency_key = "");

  // The logs of the sandbox and the hub, for a failure message.
  std::string logs() const;
  void keep_files() { dir_.keep(); }

 private:
  std::string binary_;
  TempDir dir_;
  std::uint16_t port_;
  std::string hub_url_;
  SandboxRunner sandbox_;
  std::string sandbox_url_;
  std::unique_ptr<ServeRunner> serve_;
  std::optional<Process> hub_;
  metrics::Registry registry_;
  std::unique_ptr<delivery::DeliveryInvoker> client_;
  std::optional<Storage> storage_;
};

}  // namespace weft::test
