#pragma once
// Plays a Plan against `weft sandbox` through the platforms' own APIs: the real connectors
// and delivery layer (auth — NetSuite TBA, Salesforce OAuth —, encoding, idempotency keys,
// libcurl), with the credentials the sandbox accepts, so that the sandbox sends its webhooks
// to the hub as the platforms would. Operations run one at a time in the plan's order; a
// retryable failure (an injected 429, 5xx or outage) is retried with backoff under the same
// idempotency key, so a fault never doubles an effect; anything else stops the run.
//
// Threads: the calling thread only.

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "delivery/backoff.hpp"
#include "scenario/scenario_plan.hpp"
#include "weft/result.hpp"

namespace weft::scenario {

struct PlayOptions {
  std::string sandbox_url;  // e.g. http://127.0.0.1:7171
  // Per operation. Generous: a sandbox outage of a minute is ridden out.
  delivery::RetryPolicy retry{.max_attempts = 40,
                              .initial_delay = std::chrono::milliseconds(100),
                              .multiplier = 2.0,
                              .max_delay = std::chrono::seconds(3),
                              .jitter = delivery::Jitter::equal,
                              .deadline = std::chrono::minutes(3)};
  // Called after each operation with (done, total), for progress lines.
  std::function<void(std::size_t, std::size_t)> progress;
};

struct PlayStats {
  std::size_t operations = 0;
  std::size_t retries = 0;   // failed attempts that were tried again
  std::size_t deferrals = 0; // waits for the connector's own rate limit or breaker
};

// An error names the operation, its platform and action, and the platform's answer.
Result<PlayStats, std::string> play_scenario(const Plan& plan, const PlayOptions& options);

}  // namespace weft::scenario
