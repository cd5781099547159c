#include "scenario/scenario_player.hpp"

#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "config/config.hpp"
#include "delivery/curl_transport.hpp"
#include "delivery/delivery_invoker.hpp"
#include "sandbox/credentials.hpp"
#include "scenario/admin_client.hpp"
#include "weft/clock.hpp"
#include "weft/metrics.hpp"

namespace weft::scenario {

using nlohmann::json;

namespace {

// The four connectors against the sandbox, with the credentials it accepts. Limits are wide:
// the sandbox has none but the faults it is told to inject.
Result<config::Config, std::string> sandbox_config(const std::string& base_url) {
  const sandbox::Credentials c = sandbox::Credentials::from_environment();
  const std::vector<std::pair<std::string, std::vector<std::pair<std::string, std::string>>>> connectors{
      {"stripe", {{"api_key", c.stripe_api_key}, {"webhook_secret", c.stripe_webhook_secret}}},
      {"zendesk",
       {{"email", c.zendesk_email}, {"api_token", c.zendesk_api_token}, {"webhook_secret", c.zendesk_webhook_secret}}},
      {"netsuite",
       {{"account_id", c.netsuite_account_id},
        {"consumer_key", c.netsuite_consumer_key},
        {"consumer_secret", c.netsuite_consumer_secret},
        {"token_id", c.netsuite_token_id},
        {"token_secret", c.netsuite_token_secret},
        {"webhook_secret", c.netsuite_webhook_secret}}},
      {"salesforce",
       {{"client_id", c.salesforce_client_id},
        {"client_secret", c.salesforce_client_secret},
        {"webhook_secret", c.salesforce_webhook_secret}}},
  };
  // JSON strings are YAML double-quoted scalars; "$${" keeps a secret's "${" literal.
  auto quoted = [](const std::string& value) {
    std::string escaped;
    for (std::size_t i = 0; i < value.size(); ++i) {
      escaped += value.compare(i, 2, "${") == 0 ? "$" : "";
      escaped += value[i];
    }
    return json(escaped).dump();
  };
  std::string yaml = "connectors:\n";
  for (const auto& [type, settings] : connectors) {
    yaml += "  " + type + ":\n    type: " + type + "\n    base_url: " + quoted(base_url) +
            "\n    rate_per_second: 1000\n    burst: 1000\n    max_concurrency: 4\n";
    for (const auto& [key, value] : settings) yaml += "    " + key + ": " + quoted(value) + "\n";
  }
  auto parsed = config::parse(yaml, "scenario-connectors.yaml");
  if (!parsed) return fail("the scenario's connector config: " + config::format_errors(parsed.error()));
  return std::move(parsed).value();
}

std::string describe(const delivery::Failure& failure) {
  return std::string(delivery::to_string(failure.cls)) + ": " + failure.message;
}

class Player {
 public:
  Player(const PlayOptions& options, const config::Config& config)
      : options_(options),
        base_url_(trim_base_url(options.sandbox_url)),
        invoker_(delivery::make_delivery_invoker(config, registry_, system_clock())),
        admin_(admin_transport_),
        random_(delivery::seeded_random(1)) {}

  Result<PlayStats, std::string> run(const Plan& plan) {
    const std::size_t total = plan.operations.size();
    for (const Operation& operation : plan.operations) {
      auto input = resolve_references(operation.input, outputs_);
      if (!input) return fail(where(operation) + ": " + input.error());
      auto output = perform(operation, *input);
      if (!output) return fail(where(operation) + ": " + output.error());
      outputs_[operation.id] = std::move(output).value();
      ++stats_.operations;
      if (options_.progress) options_.progress(stats_.operations, total);
    }
    return stats_;
  }

 private:
  static std::string where(const Operation& operation) {
    return "operation " + operation.id + " (" + operation.platform + " " + operation.action + ")";
  }

  // Until it succeeds, or its failure is not retryable, or the retry policy gives up.
  Result<json, std::string> perform(const Operation& operation, const json& input) {
    const auto started = std::chrono::steady_clock::now();
    for (int attempt = 1;; ++attempt) {
      auto outcome = attempt_once(operation, input);
      if (auto* output = std::get_if<json>(&outcome)) return std::move(*output);
      if (auto* deferred = std::get_if<engine::Deferred>(&outcome)) {
        ++stats_.deferrals;
        --attempt;  // not an attempt: nothing was sent
        const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
        if (!delivery::within_deadline(options_.retry, elapsed)) return fail("still deferred: " + deferred->reason);
        std::this_thread::sleep_for(std::max(deferred->wait, std::chrono::milliseconds(5)));
        continue;
      }
      const auto& failure = std::get<delivery::Failure>(outcome);
      const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
      const auto decision = delivery::decide_retry(options_.retry, failure, attempt, elapsed, random_);
      if (decision.verdict != delivery::RetryVerdict::retry) {
        return fail(describe(failure) + " (" + delivery::to_string(decision.verdict) + " after " +
                    std::to_string(attempt) + " attempt(s))");
      }
      ++stats_.retries;
      std::this_thread::sleep_for(decision.delay);
    }
  }

  using Outcome = std::variant<json, delivery::Failure, engine::Deferred>;

  Outcome attempt_once(const Operation& operation, const json& input) {
    if (operation.channel == Channel::sandbox_helper) {
      // Admin requests take no faults: a failure here is the sandbox refusing the request.
      // The helper's path may name an earlier operation's output (…/disputes/{{…#/id}}/close).
      auto path = resolve_references(json(operation.action), outputs_);
      if (!path || !path->is_string()) {
        return delivery::Failure{delivery::FailureClass::validation,
                                 "the helper's path: " + (path ? std::string("not a string") : path.error()), {}, 0, {}};
      }
      auto answer = admin_.post_json(base_url_ + path->get<std::string>(), input);
      if (!answer) return delivery::Failure{delivery::FailureClass::validation, answer.error(), {}, 0, {}};
      return std::move(answer).value();
    }
    engine::ActionRequest request;
    request.connector = operation.platform;
    request.action = operation.action;
    request.input = input;
    request.idempotency_key = operation.idempotency_key;
    request.correlation_id = operation.idempotency_key;
    auto outcome = invoker_->invoke(request);
    if (auto* success = std::get_if<engine::ActionSuccess>(&outcome)) return std::move(success->output);
    if (auto* failure = std::get_if<delivery::Failure>(&outcome)) return std::move(*failure);
    return std::get<engine::Deferred>(outcome);
  }

  const PlayOptions& options_;
  std::string base_url_;
  metrics::Registry registry_;
  std::unique_ptr<delivery::DeliveryInvoker> invoker_;
  delivery::CurlTransport admin_transport_;
  AdminClient admin_;
  delivery::RandomSource random_;
  std::map<std::string, json> outputs_;
  PlayStats stats_;
};

}  // namespace

Result<PlayStats, std::string> play_scenario(const Plan& plan, const PlayOptions& options) {
  auto config = sandbox_config(trim_base_url(options.sandbox_url));
  if (!config) return fail(config.error());
  Player player(options, *config);
  return player.run(plan);
}

}  // namespace weft::scenario
