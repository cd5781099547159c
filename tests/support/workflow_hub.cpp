#include "support/workflow_hub.hpp"

#include <chrono>
#include <nlohmann/json.hpp>

#include "connectors/stripe/stripe_webhook.hpp"
#include "support/process.hpp"

namespace weft::test {

namespace {

constexpr const char* kMapping = R"yaml(platform: stripe
version: 1
mappings:
  - event: invoice.paid
    jq: |
      {type: "invoice.paid", schema_version: 1, business_key: .data.object.customer,
       payload: {invoice_id: .data.object.id, customer_id: .data.object.customer, currency: "usd",
                 total: .data.object.amount_paid, amount_paid: .data.object.amount_paid}}
)yaml";

constexpr const char* kWorkflow = R"yaml(name: three-steps
version: 1
trigger:
  event: invoice.paid
steps:
  - id: first
    call: target.record
    with: '{path: "/effects", body: {instance: .instance.id, step: "first", invoice: .event.payload.invoice_id}}'
    output: first
  - id: second
    call: target.record
    with: '{path: "/effects", body: {instance: .instance.id, step: "second", after: .first.id}}'
    output: second
  - id: third
    call: target.record
    with: '{path: "/effects", body: {instance: .instance.id, step: "third", invoice: .event.payload.invoice_id}}'
)yaml";

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

void write_workflow_hub(const std::filesystem::path& dir, std::uint16_t port, const std::string& target_url,
                        const std::string& secret, const WorkflowHubOptions& options) {
  std::filesystem::create_directories(dir / "mappings");
  std::filesystem::create_directories(dir / "workflows");
  write_file(dir / "mappings" / "stripe.yaml", kMapping);
  write_file(dir / "workflows" / "three-steps.yaml", kWorkflow);
  std::string engine;
  if (options.engine_workers > 0 || options.engine_max_batch > 0) {
    engine = "engine:\n";
    if (options.engine_workers > 0) engine += "  workers: " + std::to_string(options.engine_workers) + "\n";
    if (options.engine_max_batch > 0) engine += "  max_batch: " + std::to_string(options.engine_max_batch) + "\n";
  }
  std::string storage = "storage:\n  url: \"sqlite:" + (dir / "weft.db").string() + "\"\n  synchronous: " +
                        options.synchronous + "\n";
  if (options.commit_interval_ms) {
    storage += "  commit_interval_ms: " + std::to_string(*options.commit_interval_ms) + "\n";
  }
  write_file(dir / "weft.yaml", "hub:\n  listen: \"127.0.0.1:" + std::to_string(port) + "\"\n  threads: " +
                                    std::to_string(options.hub_threads) + "\n" +
                                    storage +
                                    "log:\n  level: " + options.log_level + "\n  sink: " + options.log_sink + "\n" +
                                    engine +
                                    "mappings_dir: mappings\nworkflows_dir: workflows\n"
                                    "connectors:\n"
                                    "  stripe:\n    type: stripe\n    base_url: http://127.0.0.1:9\n"
                                    "    api_key: sk_test_x\n    webhook_secret: " + secret + "\n"
                                    "  target:\n    type: http\n    base_url: " + target_url + "\n");
}

std::string invoice_paid(int i) {
  const std::string id = "evt_wf_" + std::to_string(i);
  return nlohmann::json{{"id", id},
                        {"object", "event"},
                        {"type", "invoice.paid"},
                        {"created", unix_now()},
                        {"data",
                         {{"object",
                           {{"id", "in_" + std::to_string(i)},
                            {"object", "invoice"},
                            {"customer", "cus_" + std::to_string(i % kWorkflowCustomers)},
                            {"amount_paid", 100 + i}}}}}}
      .dump();
}

std::string stripe_signature(const std::string& secret, const std::string& body) {
  return connectors::stripe::SignatureVerifier::sign(secret, unix_now(), body);
}

}  // namespace weft::test
