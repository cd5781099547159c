#include "support/relay_hub.hpp"

#include <yaml-cpp/yaml.h>

#include <deque>
#include <iostream>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>

#include "delivery/curl_transport.hpp"
#include "support/answering_server.hpp"

namespace weft::bench {

namespace {

constexpr std::size_t kMaxInFlight = 256;

// Workflows in flight, at most as many as the engine runs at once (engine.workers, 256 in
// the benchmark); the rest wait in arrival order, as unstarted instances wait in the hub.
// Without the bound a stall of the machine lets calls pile up, each on a new connection.
class Relays {
 public:
  Relays(delivery::CurlTransport& transport, std::string effects_url, std::size_t max_in_flight)
      : transport_(transport),
        effects_url_(std::move(effects_url)),
        max_in_flight_(max_in_flight) {}

  void start(std::string instance, std::string invoice) {
    {
      std::lock_guard lock(mutex_);
      if (in_flight_ >= max_in_flight_) {
        waiting_.emplace_back(std::move(instance), std::move(invoice));
        return;
      }
      ++in_flight_;
    }
    call(std::make_shared<Workflow>(Workflow{std::move(instance), std::move(invoice)}), 0);
  }

 private:
  struct Workflow {
    std::string instance;
    std::string invoice;
  };

  // The workflow's calls in turn, each sent when the one before has been answered.
  void call(std::shared_ptr<Workflow> w, int step) {
    static constexpr const char* kSteps[] = {"first", "second", "third"};
    delivery::OutboundRequest request;
    request.url = effects_url_;
    request.headers.add("Content-Type", "application/json");
    request.headers.add("Idempotency-Key", w->instance + ":" + kSteps[step]);
    nlohmann::json body{{"instance", w->instance}, {"step", kSteps[step]}};
    if (step != 1) body["invoice"] = w->invoice;
    request.body = body.dump();
    transport_.send_async(std::move(request), [this, w, step](delivery::Attempt attempt) {
      if (attempt.transport != delivery::Transport::ok) {
        std::cerr << "relay hub: " << w->instance << " step " << step << ": "
                  << attempt.transport_detail << '\n';
      } else if (step < 2) {
        return call(w, step + 1);
      }
      finished();
    });
  }

  void finished() {
    std::pair<std::string, std::string> next;
    {
      std::lock_guard lock(mutex_);
      if (waiting_.empty()) {
        --in_flight_;
        return;
      }
      next = std::move(waiting_.front());
      waiting_.pop_front();
    }
    call(std::make_shared<Workflow>(Workflow{std::move(next.first), std::move(next.second)}), 0);
  }

  delivery::CurlTransport& transport_;
  const std::string effects_url_;
  const std::size_t max_in_flight_;
  std::mutex mutex_;
  std::size_t in_flight_ = 0;
  std::deque<std::pair<std::string, std::string>> waiting_;
};

}  // namespace

int run_relay_hub(int argc, char** argv) {
  const std::string config = argument_after(argc, argv, "-c");
  std::string effects_url;
  try {
    effects_url =
        YAML::LoadFile(config)["connectors"]["target"]["base_url"].as<std::string>() + "/effects";
  } catch (const std::exception& e) {
    std::cerr << "relay hub: cannot read connectors.target.base_url from '" << config
              << "': " << e.what() << '\n';
    return 2;
  }
  delivery::CurlTransport transport;
  Relays relays(transport, effects_url, kMaxInFlight);
  return run_answering_server(argc, argv, [&](const AnsweredRequest& request) {
    if (request.method != "POST") return;
    const auto event = nlohmann::json::parse(request.body, nullptr, false);
    if (!event.is_object()) return;
    relays.start("rl_" + event.value("id", ""), event["data"]["object"].value("id", ""));
  });
}

}  // namespace weft::bench
