#pragma once
// `weft scenario verify`: waits until the hub and the sandbox are at rest, then reports the
// hub's workflows and exceptions and the cross-platform consistency check as one JSON object
// (docs/scenario.md).
//
// At rest ("quiescence"): the hub has no raw event waiting to be mapped and no step due now
// (weft_events_unprocessed, weft_tasks_due), the sandbox has no webhook pending, and neither
// the sandbox's request log nor the hub's finished instances moved over the last few polls.
// Instances waiting for an approval or a later retry are at rest; they show as "running".
//
// Threads: the calling thread only.

#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "weft/result.hpp"

namespace weft::scenario {

struct VerifyOptions {
  std::string sandbox_url;
  std::string hub_url;
  // For an https:// hub (or sandbox): the CA to trust, and a client certificate and key when
  // the hub asks for one (hub.tls.client_ca_file). Empty: the system's CAs, no certificate.
  std::string ca_file;
  std::string client_cert_file;
  std::string client_key_file;
  std::chrono::milliseconds timeout{std::chrono::seconds(120)};
  std::chrono::milliseconds poll_interval{500};
  int stable_polls = 3;  // consecutive polls with nothing moving
  std::function<void(const std::string&)> progress;  // one line per poll that is not yet at rest
};

struct VerifyReport {
  // {"workflows", "exceptions", "consistency", "quiescence", "notes"}
  nlohmann::json json;
  bool consistent = false;  // at rest in time, and every consistency check passed
};

// An error when the sandbox or the hub cannot be read at all.
Result<VerifyReport, std::string> verify_scenario(const VerifyOptions& options);

}  // namespace weft::scenario
