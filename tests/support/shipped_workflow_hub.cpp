#include "support/shipped_workflow_hub.hpp"

#include <signal.h>
#include <time.h>

#include <map>
#include <stdexcept>
#include <thread>
#include <utility>

#include "config/config.hpp"
#include "connectors/stripe/stripe_webhook.hpp"
#include "connectors/weft_signature.hpp"
#include "connectors/zendesk/zendesk_webhook.hpp"
#include "support/http_client.hpp"

namespace weft::test {

using nlohmann::json;
using namespace std::chrono_literals;

namespace {

// The demo credentials (docs/sandbox.md), which the sandbox accepts by default.
constexpr const char* kStripeWebhookSecret = "whsec_weft_demo";
constexpr const char* kNetSuiteWebhookSecret = "ns_demo_webhook_secret";
constexpr const char* kZendeskWebhookSecret = "zd_demo_webhook_secret";
constexpr const char* kSalesforceWebhookSecret = "sf_demo_webhook_secret";

std::string config_yaml(std::uint16_t port, const std::string& sandbox, const std::string& db) {
  const std::string source = WEFT_SOURCE_DIR;
  const std::string base = "    base_url: " + json(sandbox).dump() + "\n";
  return "hub:\n  listen: \"127.0.0.1:" + std::to_string(port) + "\"\n  threads: 2\n" +
         "storage:\n  url: " + json("sqlite:" + db).dump() + "\n" +
         "log:\n  level: info\n  sink: stderr\n" +
         "mappings_dir: " + json(source + "/mappings").dump() + "\n" +
         "workflows_dir: " + json(source + "/workflows").dump() + "\n" +
         "connectors:\n"
         "  stripe:\n    type: stripe\n" +
         base +
         "    api_key: sk_test_weft_demo\n    api_version: \"2024-06-20\"\n"
         "    webhook_secret: " +
         kStripeWebhookSecret +
         "\n"
         "  netsuite:\n    type: netsuite\n" +
         base +
         "    account_id: 1234567_SB1\n    consumer_key: ns_demo_consumer_key\n"
         "    consumer_secret: ns_demo_consumer_secret\n    token_id: ns_demo_token_id\n"
         "    token_secret: ns_demo_token_secret\n    webhook_secret: " +
         kNetSuiteWebhookSecret +
         "\n"
         "  zendesk:\n    type: zendesk\n" +
         base +
         "    email: demo@weft.example\n    api_token: zd_demo_token\n"
         "    webhook_secret: " +
         kZendeskWebhookSecret +
         "\n"
         "  salesforce:\n    type: salesforce\n" +
         base +
         "    client_id: sf_demo_client_id\n    client_secret: sf_demo_client_secret\n"
         "    webhook_secret: " +
         kSalesforceWebhookSecret + "\n";
}

json admin(const std::string& base, const std::string& method, const std::string& path,
           const std::string& body = "") {
  HttpClient client(base);
  auto answer = client.request(method, path, {{"Content-Type", "application/json"}}, body);
  if (!answer.ok() || answer->status != 200) {
    throw std::runtime_error(method + " " + path + " failed: " +
                             (answer.ok() ? std::to_string(answer->status) + " " + answer->body
                                          : answer.error().message));
  }
  return json::parse(answer->body);
}

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Now as Zendesk stamps its webhooks: ISO-8601 UTC to the second.
std::string iso_now() {
  const std::time_t now = static_cast<std::time_t>(unix_now());
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

}  // namespace

ShippedWorkflowHub::ShippedWorkflowHub(std::string binary, const std::string& name)
    : binary_(std::move(binary)),
      dir_("weft-" + name),
      port_(free_loopback_port()),
      hub_url_("http://127.0.0.1:" + std::to_string(port_)),
      sandbox_(binary_, dir_.path()) {}

ShippedWorkflowHub::~ShippedWorkflowHub() {
  storage_.reset();
  stop_hub();
}

void ShippedWorkflowHub::start() {
  sandbox_url_ = sandbox_.start({"--hub", hub_url_, "--seed", "7"});
  const std::string yaml = config_yaml(port_, sandbox_url_, (dir_ / "weft.db").string());
  write_file(dir_ / "weft.yaml", yaml);
  auto parsed = config::parse(yaml, (dir_ / "weft.yaml").string());
  if (!parsed) throw std::runtime_error(config::format_errors(parsed.error()));
  client_ = delivery::make_delivery_invoker(*parsed, registry_, system_clock());
  serve_ = std::make_unique<ServeRunner>(binary_, dir_.path(), dir_ / "weft.yaml", hub_url_);
  hub_.emplace(serve_->start());
}

void ShippedWorkflowHub::stop_hub() {
  if (hub_) hub_->stop(SIGTERM, 10s);
  hub_.reset();
}

json ShippedWorkflowHub::act(const std::string& connector, const std::string& action, json input,
                             const std::string& key) {
  engine::ActionRequest request;
  request.connector = connector;
  request.action = action;
  request.input = std::move(input);
  request.idempotency_key = key;
  request.correlation_id = "test-client";
  auto outcome = client_->invoke(request);
  if (const auto* success = std::get_if<engine::ActionSuccess>(&outcome)) return success->output;
  if (const auto* failure = std::get_if<delivery::Failure>(&outcome)) {
    throw std::runtime_error(connector + "." + action + " failed: " + failure->message);
  }
  throw std::runtime_error(connector + "." + action +
                           " was deferred: " + std::get<engine::Deferred>(outcome).reason);
}

std::string ShippedWorkflowHub::api_key(const std::string& name, const std::string& role) {
  const CommandResult made = run_command(
      binary_,
      {"keys", "create", "-c", (dir_ / "weft.yaml").string(), "--name", name, "--role", role},
      dir_.path(), "keys-" + name);
  if (made.code != 0) throw std::runtime_error("weft keys create failed: " + made.err);
  std::string text = made.out;
  while (!text.empty() && text.back() == '\n') text.pop_back();
  return text.substr(text.rfind('\n') + 1);  // the key is alone on the last line
}

std::vector<ApprovalRecord> ShippedWorkflowHub::pending_approvals(const std::string& instance_id) {
  std::vector<ApprovalRecord> out;
  for (ApprovalRecord& approval : storage().workflows->pending_approvals().value()) {
    if (approval.instance_id == instance_id) out.push_back(std::move(approval));
  }
  return out;
}

HttpResponse ShippedWorkflowHub::decide(const std::string& approval_id, const std::string& key, const json& body,
                                        const std::string& idempotency_key) {
  HeaderList headers{{"Authorization", "Bearer " + key}};
  if (!idempotency_key.empty()) headers.emplace_back("Idempotency-Key", idempotency_key);
  auto answer = HttpClient(hub_url_).post("/v1/approvals/" + approval_id + "/decision", body.dump(), headers);
  if (!answer.ok()) throw std::runtime_error("no answer to the decision: " + answer.error().message);
  return std::move(*answer);
}

json ShippedWorkflowHub::state() const { return admin(sandbox_url_, "GET", "/_sandbox/state"); }

json ShippedWorkflowHub::netsuite_records(const std::string& type,
                                          const std::string& external_id) const {
  json out = json::array();
  for (const json& record : state()["netsuite"].value(type, json::array())) {
    if (record.value("externalId", json()) == external_id) out.push_back(record);
  }
  return out;
}

json ShippedWorkflowHub::requests(const std::string& platform) const {
  return admin(sandbox_url_, "GET",
               "/_sandbox/requests?platform=" + platform + "&limit=100000")["requests"];
}

std::size_t ShippedWorkflowHub::faulted_requests(const std::string& platform) const {
  std::size_t faulted = 0;
  for (const json& entry : requests(platform)) {
    if (!entry["fault"].is_null()) ++faulted;
  }
  return faulted;
}

json ShippedWorkflowHub::stripe_writes_applied_twice() const {
  std::map<std::string, int> applied;
  for (const json& entry : requests("stripe")) {
    if (entry["method"] == "POST" && entry["fault"].is_null() && entry["status"] == 200 &&
        !entry["replayed"].get<bool>() && entry["idempotency_key"].is_string()) {
      ++applied[entry["idempotency_key"].get<std::string>()];
    }
  }
  json twice = json::object();
  for (const auto& [key, count] : applied) {
    if (count > 1) twice[key] = count;
  }
  return twice;
}

void ShippedWorkflowHub::faults(const json& body) {
  admin(sandbox_url_, "POST", "/_sandbox/faults", body.dump());
}

void ShippedWorkflowHub::flaky(const std::vector<std::string>& platforms, int status) {
  json body = json::object();
  for (const std::string& platform : platforms) {
    body[platform] = {{"rate_limit", {{"rate", 0.4}, {"retry_after_seconds", 1}}},
                      {"error_rate", 0.4},
                      {"status", status}};
  }
  faults(body);
}

void ShippedWorkflowHub::down(const std::vector<std::string>& platforms) {
  json body = json::object();
  for (const std::string& platform : platforms) body[platform] = {{"outage", true}};
  faults(body);
}

void ShippedWorkflowHub::clear_faults() { admin(sandbox_url_, "DELETE", "/_sandbox/faults"); }

LinkedCustomer ShippedWorkflowHub::linked_customer(const std::string& name) {
  LinkedCustomer c;
  c.stripe_id =
      act("stripe", "create_customer", {{"name", name}}, "test-customer-" + name).at("id");
  c.organization_id = act("zendesk", "upsert_organization",
                          {{"external_id", c.stripe_id}, {"name", name}})["organization"]["id"];
  c.netsuite_id = act("netsuite", "upsert_customer",
                      {{"external_id", c.stripe_id}, {"body", {{"companyName", name}}}})
                      .at("id");
  return c;
}

std::string ShippedWorkflowHub::invoice(const std::string& stripe_customer, std::int64_t cents,
                                        const std::string& name, bool pay) {
  act("stripe", "create_invoice_item",
      {{"customer", stripe_customer},
       {"amount", cents},
       {"currency", "usd"},
       {"description", "Seats"}},
      "test-item-" + name);
  const std::string draft =
      act("stripe", "create_invoice",
          {{"customer", stripe_customer}, {"pending_invoice_items_behavior", "include"}},
          "test-invoice-" + name)
          .at("id");
  const std::string id =
      act("stripe", "finalize_invoice", {{"id", draft}}, "test-finalize-" + name).at("id");
  if (pay) act("stripe", "pay_invoice", {{"id", id}}, "test-pay-" + name);
  return id;
}

json ShippedWorkflowHub::sandbox_helper(const std::string& path, const json& body) {
  return admin(sandbox_url_, "POST", "/_sandbox/" + path, body.dump());
}

void ShippedWorkflowHub::stripe_cards_decline(bool decline) {
  sandbox_helper("stripe/declines", json{{"decline", decline}});
}

void ShippedWorkflowHub::settle(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string last;
  int quiet_rounds = 0;  // settled twice in a row: a webhook in flight between the two reads shows
  while (std::chrono::steady_clock::now() < deadline) {
    const json hooks = admin(sandbox_url_, "GET", "/_sandbox/webhooks")["counts"];
    const auto unprocessed = storage().events->count_unprocessed();
    InstanceQuery running;
    running.status = InstanceStatus::running;
    running.limit = 1;
    const auto busy = storage().workflows->query_instances(running);
    const bool settled = hooks.value("pending", 1) == 0 && unprocessed.ok() && *unprocessed == 0 &&
                         busy.ok() && busy->empty();
    last = "webhooks " + hooks.dump() + ", unprocessed " +
           (unprocessed.ok() ? std::to_string(*unprocessed) : unprocessed.error().message) +
           ", running " +
           (busy.ok() ? (busy->empty() ? "none" : busy->front().id) : busy.error().message);
    quiet_rounds = settled ? quiet_rounds + 1 : 0;
    if (quiet_rounds == 2) return;
    std::this_thread::sleep_for(100ms);
  }
  throw std::runtime_error("not settled after " + std::to_string(timeout.count()) + " ms: " + last);
}

Storage& ShippedWorkflowHub::storage() {
  if (!storage_) {
    auto opened = open_storage("sqlite:" + (dir_ / "weft.db").string());
    if (!opened) throw std::runtime_error("open the hub's database: " + opened.error().message);
    storage_.emplace(std::move(opened).value());
  }
  return *storage_;
}

std::vector<InstanceRecord> ShippedWorkflowHub::instances(const std::string& workflow) {
  InstanceQuery query;
  query.workflow = workflow;
  query.limit = 1000;
  auto found = storage().workflows->query_instances(query);
  if (!found) throw std::runtime_error(found.error().message);
  return *found;
}

std::vector<ExceptionRecord> ShippedWorkflowHub::open_exceptions(const std::string& workflow) {
  auto found = storage().workflows->query_exceptions(
      ExceptionQuery{ExceptionStatus::open, workflow, {}, "", 1000});
  if (!found) throw std::runtime_error(found.error().message);
  return *found;
}

RawEvent ShippedWorkflowHub::raw_event(const std::string& connector, const std::string& type) {
  RawEventQuery query;
  query.connector = connector;
  query.event_type = type;
  query.limit = 1000;
  auto found = storage().events->query_raw_events(query);
  if (!found || found->empty()) {
    throw std::runtime_error("no raw " + connector + " event " + type +
                             (found ? std::string() : ": " + found.error().message));
  }
  return found->back();
}

int ShippedWorkflowHub::post_webhook(const std::string& connector, const std::string& body) {
  HeaderList headers;
  if (connector == "stripe") {
    headers = {{"Stripe-Signature", connectors::stripe::SignatureVerifier::sign(
                                        kStripeWebhookSecret, unix_now(), body)}};
  } else if (connector == "netsuite" || connector == "salesforce") {
    headers = {{"X-Weft-Signature",
                connectors::TimestampedSignatureVerifier::sign(
                    connector == "netsuite" ? kNetSuiteWebhookSecret : kSalesforceWebhookSecret,
                    unix_now(), body)}};
  } else if (connector == "zendesk") {
    const std::string timestamp = iso_now();
    headers = {{"X-Zendesk-Webhook-Signature", connectors::zendesk::SignatureVerifier::sign(
                                                   kZendeskWebhookSecret, timestamp, body)},
               {"X-Zendesk-Webhook-Signature-Timestamp", timestamp}};
  } else {
    throw std::runtime_error("post_webhook: no signer for " + connector);
  }
  HttpClient client(hub_url_);
  auto answer = client.post("/hooks/" + connector, body, headers);
  if (!answer.ok())
    throw std::runtime_error("POST /hooks/" + connector + ": " + answer.error().message);
  return answer->status;
}

std::string ShippedWorkflowHub::logs() const {
  return "--- sandbox ---\n" + sandbox_.log_tail(6000) + "\n--- hub ---\n" +
         (serve_ ? serve_->log_tails(12000) : std::string());
}

}  // namespace weft::test
