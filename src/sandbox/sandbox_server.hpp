#pragma once
// SandboxServer: the http::Handler of `weft sandbox`. It routes each request by longest path
// prefix to its platform's emulator, applying that platform's injected faults first (outage,
// 429 with Retry-After, error status, before or after the emulator acted, and latency),
// records it in the request log, and serves the admin API under /_sandbox/:
//
//   GET  /_sandbox                  platforms and their prefixes (also a readiness check)
//   GET  /_sandbox/state            every record by platform and type
//   POST /_sandbox/reset            empty state, no faults, empty request log, no webhooks
//   GET|POST|DELETE /_sandbox/faults  show / set (per platform) / clear injected faults
//   GET  /_sandbox/requests?platform=&limit=&after=   the request log, oldest first
//   GET  /_sandbox/webhooks         webhook deliveries: pending, delivered, failed
//   *    /_sandbox/<platform>/…     the emulator's test-only helpers (handle_admin)
//
// Threads: handle() runs on network threads and never sleeps there: emulators answer from
// memory, and latency is added by the Scheduler. Unknown paths get a JSON 404.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sandbox/faults.hpp"
#include "sandbox/platform_emulator.hpp"
#include "sandbox/request_log.hpp"
#include "sandbox/scheduler.hpp"
#include "sandbox/state_file.hpp"
#include "sandbox/webhook_outbox.hpp"
#include "weft/http.hpp"

namespace weft::sandbox {

struct SandboxOptions {
  std::uint64_t seed = 1;            // for the fault PRNG
  std::filesystem::path state_path;  // empty: state in memory only
  std::size_t request_log_capacity = 100'000;
};

class SandboxServer final : public http::Handler {
 public:
  // `outbox` and `scheduler` must outlive the server; so must `clock`'s object.
  SandboxServer(std::vector<PlatformEmulatorPtr> emulators, DeliveringOutbox& outbox, Scheduler& scheduler,
                ClockPtr clock, SandboxOptions options);
  ~SandboxServer() override;
  SandboxServer(const SandboxServer&) = delete;
  SandboxServer& operator=(const SandboxServer&) = delete;

  // Loads the state file (when one is configured) into the emulators and starts saving
  // after changes. The error names the file and the platform whose state was refused.
  Result<void, std::string> load_state();
  // Writes the state file a last time (when one is configured).
  void shutdown();

  void handle(http::Request request, http::Responder respond) override;

  FaultInjector& faults() { return faults_; }
  const RequestLog& requests() const { return requests_; }
  nlohmann::json state() const;  // {"<platform>": {...}}
  std::vector<std::string> platforms() const;

 private:
  http::Response serve_admin(const http::Request& request);
  http::Response serve_platform(PlatformEmulator& emulator, const http::Request& request, const FaultDecision& fault);
  PlatformEmulator* emulator_for_path(const std::string& path) const;
  PlatformEmulator* emulator_named(const std::string& name) const;
  void reset();
  void changed();

  std::vector<PlatformEmulatorPtr> emulators_;
  DeliveringOutbox& outbox_;
  Scheduler& scheduler_;
  ClockPtr clock_;
  SandboxOptions options_;
  FaultInjector faults_;
  RequestLog requests_;
  std::unique_ptr<StateSaver> saver_;
};

// The JSON error answers of the admin API and of unknown paths: {"error": message}.
http::Response json_response(int status, const nlohmann::json& body);

}  // namespace weft::sandbox
