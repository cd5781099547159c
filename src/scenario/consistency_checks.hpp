#pragma once
// The cross-platform consistency check (docs/scenario.md): computed from what the sandbox
// holds (GET /_sandbox/state), what it was asked (GET /_sandbox/requests) and what its
// webhook outbox did (GET /_sandbox/webhooks).
//
// Generic checks hold whatever workflows run: no customer duplicated on any platform (by the
// linking external id), every link names an existing Stripe customer, no effect applied twice
// (one applied write per idempotency key; one record per external id), nothing credited or
// refunded beyond what was billed, every webhook delivered. A workflow's own checks (invoice
// posting, service credits) are included only when the hub has that workflow loaded; the
// others are listed as skipped with the reason, never counted as passing.
//
// Threads: pure functions.

#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

namespace weft::scenario {

struct Check {
  std::string name;
  bool ok = false;
  nlohmann::json expected;
  nlohmann::json actual;
  nlohmann::json examples = nlohmann::json::array();  // a few offending records, when not ok
};

struct SkippedCheck {
  std::string name;
  std::string reason;
};

struct ConsistencyInput {
  nlohmann::json state;     // GET /_sandbox/state
  nlohmann::json requests;  // GET /_sandbox/requests: {"requests": [...], "dropped": N}
  nlohmann::json webhooks;  // GET /_sandbox/webhooks (its "counts" and "hub_url")
  std::set<std::string> workflows;  // loaded in the hub
};

struct Consistency {
  std::vector<Check> checks;
  std::vector<SkippedCheck> skipped;
  bool ok() const;
};

Consistency check_consistency(const ConsistencyInput& input);

// {"ok", "checks": [{"name", "ok", "expected", "actual"[, "examples"]}], "skipped": [...]}
nlohmann::json to_json(const Consistency& consistency);

}  // namespace weft::scenario
