#pragma once
// AdminClient: plain JSON and text over HTTP for the scenario's own reads and helpers — the
// sandbox's /_sandbox/ admin API and the hub's /metrics — through the project's HttpTransport
// (libcurl), not through a connector: these are no platform's API.
//
// Threads: as the transport; one caller at a time is what the scenario needs.

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>

#include "delivery/http_transport.hpp"
#include "weft/result.hpp"

namespace weft::scenario {

class AdminClient {
 public:
  explicit AdminClient(delivery::HttpTransport& transport,
                       std::chrono::milliseconds timeout = std::chrono::seconds(30))
      : transport_(transport), timeout_(timeout) {}

  // The body of a 2xx answer; otherwise an error naming the URL and what came back.
  Result<std::string, std::string> get_text(const std::string& url);
  Result<nlohmann::json, std::string> get_json(const std::string& url);
  Result<nlohmann::json, std::string> post_json(const std::string& url, const nlohmann::json& body);

 private:
  Result<std::string, std::string> exchange(delivery::OutboundRequest request);

  delivery::HttpTransport& transport_;
  std::chrono::milliseconds timeout_;
};

// `base` without its trailing slashes, so that base + "/path" has one.
std::string trim_base_url(std::string base);
// Whether `url` starts with http:// or https:// and names a host.
bool is_http_url(const std::string& url);

}  // namespace weft::scenario
