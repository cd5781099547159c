#include "support/relay_hub.hpp"

#include <yaml-cpp/yaml.h>

#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "delivery/curl_transport.hpp"
#include "support/answering_server.hpp"

namespace weft::bench {

namespace {

// One workflow: its three calls in turn, each sent when the one before has been answered.
struct Relay : std::enable_shared_from_this<Relay> {
  delivery::CurlTransport& transport;
  const std::string& effects_url;
  std::string instance;
  std::string invoice;

  Relay(delivery::CurlTransport& t, const std::string& url, std::string id, std::string inv)
      : transport(t), effects_url(url), instance(std::move(id)), invoice(std::move(inv)) {}

  void call(int step) {
    static constexpr const char* kSteps[] = {"first", "second", "third"};
    delivery::OutboundRequest request;
    request.url = effects_url;
    request.headers.add("Content-Type", "application/json");
    request.headers.add("Idempotency-Key", instance + ":" + kSteps[step]);
    nlohmann::json body{{"instance", instance}, {"step", kSteps[step]}};
    if (step != 1) body["invoice"] = invoice;
    request.body = body.dump();
    transport.send_async(std::move(request), [self = shared_from_this(), step](delivery::Attempt attempt) {
      if (attempt.transport != delivery::Transport::ok) {
        std::cerr << "relay hub: " << self->instance << " step " << step << ": " << attempt.transport_detail << '\n';
        return;
      }
      if (step < 2) self->call(step + 1);
    });
  }
};

}  // namespace

int run_relay_hub(int argc, char** argv) {
  const std::string config = argument_after(argc, argv, "-c");
  std::string effects_url;
  try {
    effects_url = YAML::LoadFile(config)["connectors"]["target"]["base_url"].as<std::string>() + "/effects";
  } catch (const std::exception& e) {
    std::cerr << "relay hub: cannot read connectors.target.base_url from '" << config << "': " << e.what() << '\n';
    return 2;
  }
  delivery::CurlTransport transport;
  return run_answering_server(argc, argv, [&](const AnsweredRequest& request) {
    if (request.method != "POST") return;
    const auto event = nlohmann::json::parse(request.body, nullptr, false);
    if (!event.is_object()) return;
    const std::string invoice = event["data"]["object"].value("id", "");
    std::make_shared<Relay>(transport, effects_url, "rl_" + event.value("id", ""), invoice)->call(0);
  });
}

}  // namespace weft::bench
