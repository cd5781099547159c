#pragma once
// A hub set up for whole-process workflow tests: a config in `dir` with a Stripe connector
// (webhooks signed with `secret`), a generic `target` connector at `target_url` (an
// EffectTarget), a mapping of Stripe's invoice.paid, and the `three-steps` workflow whose
// steps each POST {instance, step} to the target. Instance i's event is invoice_paid(i); 100
// customers share the instances (business keys cus_0 … cus_99).

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace weft::test {

inline constexpr int kWorkflowSteps = 3;
inline constexpr int kWorkflowCustomers = 100;

// What the benchmark varies; the defaults are what the tests use.
struct WorkflowHubOptions {
  int hub_threads = 2;
  int engine_workers = 0;       // 0: the hub's default
  std::size_t engine_max_batch = 0;  // 0: the hub's default
  std::string synchronous = "full";
  std::optional<double> commit_interval_ms;  // nullopt: the hub's default
  std::string log_level = "warn";
  std::string log_sink = "stderr";
};

// Writes weft.yaml, mappings/stripe.yaml and workflows/three-steps.yaml under `dir`; the hub
// listens on 127.0.0.1:`port` and keeps its database in dir/weft.db.
void write_workflow_hub(const std::filesystem::path& dir, std::uint16_t port, const std::string& target_url,
                        const std::string& secret, const WorkflowHubOptions& options = {});

// The body of Stripe event evt_wf_<i>, an invoice.paid, created now.
std::string invoice_paid(int i);

// The Stripe-Signature header value for `body`, signed now.
std::string stripe_signature(const std::string& secret, const std::string& body);

}  // namespace weft::test
