#include "scenario/scenario_verify.hpp"

#include <thread>

#include "delivery/curl_transport.hpp"
#include "scenario/admin_client.hpp"
#include "scenario/consistency_checks.hpp"
#include "scenario/hub_metrics.hpp"

namespace weft::scenario {

using nlohmann::json;

namespace {

struct Snapshot {
  HubStatus hub;
  json webhooks;
  json fingerprint;  // what must stop changing
};

// The sandbox's state and request log are read whole: at the demo's 200 customers the state
// alone is over the 8 MiB a platform answer may have.
delivery::CurlTransportOptions admin_transport_options(const VerifyOptions& verify) {
  delivery::CurlTransportOptions options;
  options.max_response_bytes = std::size_t{512} << 20;
  options.ca_file = verify.ca_file;
  options.client_cert_file = verify.client_cert_file;
  options.client_key_file = verify.client_key_file;
  return options;
}

class Verifier {
 public:
  explicit Verifier(const VerifyOptions& options)
      : options_(options),
        sandbox_(trim_base_url(options.sandbox_url)),
        hub_(trim_base_url(options.hub_url)),
        transport_(admin_transport_options(options)),
        client_(transport_) {}

  Result<VerifyReport, std::string> run() {
    const auto started = std::chrono::steady_clock::now();
    auto snapshot = take();
    if (!snapshot) return fail(snapshot.error());
    int stable = 0;
    bool at_rest = false;
    for (;;) {
      const bool quiet = snapshot->hub.idle() && snapshot->webhooks["counts"].value("pending", 0) == 0;
      if (at_rest = quiet && stable >= options_.stable_polls; at_rest) break;
      if (std::chrono::steady_clock::now() - started >= options_.timeout) break;
      if (options_.progress) options_.progress("waiting for quiescence: " + snapshot->fingerprint.dump());
      std::this_thread::sleep_for(options_.poll_interval);
      auto next = take();
      if (!next) return fail(next.error());
      stable = quiet && next->fingerprint == snapshot->fingerprint ? stable + 1 : 0;
      snapshot = std::move(next);
    }
    const double waited =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return report(*snapshot, at_rest, waited);
  }

 private:
  Result<Snapshot, std::string> take() {
    auto metrics_text = client_.get_text(hub_ + "/metrics");
    if (!metrics_text) return fail("the hub: " + metrics_text.error());
    auto samples = parse_prometheus(*metrics_text);
    if (!samples) return fail("the hub's /metrics: " + samples.error());
    auto webhooks = client_.get_json(sandbox_ + "/_sandbox/webhooks");
    if (!webhooks) return fail("the sandbox: " + webhooks.error());
    auto last = client_.get_json(sandbox_ + "/_sandbox/requests?limit=1");
    if (!last) return fail("the sandbox: " + last.error());
    Snapshot s{hub_status(*samples), std::move(webhooks).value(), json::object()};
    json finished = json::object();
    for (const auto& [name, counts] : s.hub.workflows) finished[name] = counts;
    s.fingerprint = {{"requests", last->value("last_seq", 0)},
                     {"webhooks", s.webhooks.value("counts", json::object())},
                     {"events_unprocessed", s.hub.events_unprocessed},
                     {"tasks_due", s.hub.tasks_due},
                     {"workflows", std::move(finished)}};
    return s;
  }

  Result<VerifyReport, std::string> report(const Snapshot& snapshot, bool at_rest, double waited) {
    auto state = client_.get_json(sandbox_ + "/_sandbox/state");
    if (!state) return fail("the sandbox: " + state.error());
    // The log keeps at most 100,000 entries; ask for all of them.
    auto requests = client_.get_json(sandbox_ + "/_sandbox/requests?limit=100000");
    if (!requests) return fail("the sandbox: " + requests.error());
    const Consistency consistency = check_consistency(
        {std::move(state).value(), std::move(requests).value(), snapshot.webhooks, snapshot.hub.loaded()});

    json notes = json::array();
    json workflows = json::object();
    for (const auto& [name, counts] : snapshot.hub.workflows) workflows[name] = counts;
    if (workflows.empty()) notes.push_back("the hub reports no loaded workflow: no instance counts to show");
    json exceptions = json::object();
    for (const auto& [cls, n] : snapshot.hub.exceptions_open) exceptions[cls] = static_cast<std::int64_t>(n);
    if (!at_rest) notes.push_back("not at rest within the timeout: the checks read a state still changing");

    VerifyReport out;
    out.consistent = at_rest && consistency.ok();
    out.json = {{"workflows", std::move(workflows)},
                {"exceptions", std::move(exceptions)},
                {"consistency", to_json(consistency)},
                {"quiescence", {{"reached", at_rest}, {"waited_seconds", waited}}},
                {"notes", std::move(notes)}};
    out.json["consistency"]["ok"] = out.consistent;
    return out;
  }

  const VerifyOptions& options_;
  std::string sandbox_, hub_;
  delivery::CurlTransport transport_;
  AdminClient client_;
};

}  // namespace

Result<VerifyReport, std::string> verify_scenario(const VerifyOptions& options) {
  return Verifier(options).run();
}

}  // namespace weft::scenario
