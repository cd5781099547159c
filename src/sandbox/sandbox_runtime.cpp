#include "sandbox/sandbox_runtime.hpp"

#include <chrono>
#include <random>

#include "delivery/curl_transport.hpp"
#include "http/server.hpp"
#include "sandbox/credentials.hpp"
#include "sandbox/emulators.hpp"
#include "sandbox/sandbox_server.hpp"
#include "sandbox/scheduler.hpp"
#include "sandbox/webhook_outbox.hpp"

namespace weft::sandbox {

// Declared in the order they are built: each part uses only those above it, and they are
// destroyed in reverse.
struct SandboxRuntime::Parts {
  Parts(const RuntimeOptions& options, const ClockPtr& clock, std::uint64_t seed)
      : credentials(Credentials::from_environment()),
        transport(transport_options()),
        outbox(outbox_options(options), transport, clock),
        server(make_emulators(EmulatorContext{credentials, clock, outbox}), outbox, timer, clock,
               sandbox_options(options, seed)),
        http(http_options(options), server) {}

  static delivery::CurlTransportOptions transport_options() {
    delivery::CurlTransportOptions o;
    o.user_agent = "weft-sandbox";
    return o;
  }
  static OutboxOptions outbox_options(const RuntimeOptions& options) {
    OutboxOptions o;
    o.hub_url = options.hub_url;
    return o;
  }
  static SandboxOptions sandbox_options(const RuntimeOptions& options, std::uint64_t seed) {
    SandboxOptions o;
    o.seed = seed;
    o.state_path = options.state_path;
    return o;
  }
  static http::ServerOptions http_options(const RuntimeOptions& options) {
    http::ServerOptions o;
    o.host = options.host;
    o.port = options.port;
    o.threads = options.threads;
    return o;
  }

  Credentials credentials;
  delivery::CurlTransport transport;
  DeliveringOutbox outbox;
  TimerThread timer;
  SandboxServer server;
  http::Server http;
  bool running = false;
};

SandboxRuntime::SandboxRuntime(RuntimeOptions options, ClockPtr clock)
    : options_(std::move(options)),
      clock_(std::move(clock)),
      seed_(options_.seed ? *options_.seed : std::random_device{}()) {}

SandboxRuntime::~SandboxRuntime() { stop(); }

Result<void, std::string> SandboxRuntime::start() {
  parts_ = std::make_unique<Parts>(options_, clock_, seed_);
  if (auto loaded = parts_->server.load_state(); !loaded) return fail("--state: " + loaded.error());
  if (auto started = parts_->http.start(); !started) return fail(started.error());
  parts_->outbox.start();
  parts_->running = true;
  return {};
}

void SandboxRuntime::stop() {
  if (!parts_ || !parts_->running) return;
  parts_->running = false;
  parts_->http.stop_accepting();
  parts_->http.drain(std::chrono::seconds(2));
  parts_->timer.stop();
  parts_->http.stop();
  parts_->outbox.stop();
  parts_->server.shutdown();
}

std::uint16_t SandboxRuntime::port() const { return parts_ ? parts_->http.port() : options_.port; }

std::string SandboxRuntime::url() const { return "http://" + options_.host + ":" + std::to_string(port()); }

std::uint64_t SandboxRuntime::seed() const { return seed_; }

}  // namespace weft::sandbox
