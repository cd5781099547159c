#include "scenario/admin_client.hpp"

#include "connectors/outbound_connector.hpp"

namespace weft::scenario {

Result<std::string, std::string> AdminClient::exchange(delivery::OutboundRequest request) {
  request.timeout = timeout_;
  const std::string what = request.method + " " + request.url;
  const delivery::Attempt attempt = transport_.send(request);
  if (attempt.transport != delivery::Transport::ok) {
    return fail(what + ": " + delivery::to_string(attempt.transport) + " (" + attempt.transport_detail + ")");
  }
  const int status = attempt.response.status;
  if (status < 200 || status > 299) {
    return fail(what + ": HTTP " + std::to_string(status) + " " + connectors::one_line(attempt.response.body, 300));
  }
  return attempt.response.body;
}

Result<std::string, std::string> AdminClient::get_text(const std::string& url) {
  delivery::OutboundRequest request;
  request.method = "GET";
  request.url = url;
  return exchange(std::move(request));
}

namespace {

Result<nlohmann::json, std::string> parse_json(const std::string& url, Result<std::string, std::string> body) {
  if (!body) return fail(body.error());
  auto parsed = nlohmann::json::parse(*body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return fail(url + ": the answer is not JSON: " + connectors::one_line(*body, 200));
  return parsed;
}

}  // namespace

Result<nlohmann::json, std::string> AdminClient::get_json(const std::string& url) {
  return parse_json(url, get_text(url));
}

Result<nlohmann::json, std::string> AdminClient::post_json(const std::string& url, const nlohmann::json& body) {
  delivery::OutboundRequest request;
  request.method = "POST";
  request.url = url;
  request.headers.add("Content-Type", "application/json");
  request.body = body.dump();
  return parse_json(url, exchange(std::move(request)));
}

std::string trim_base_url(std::string base) {
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base;
}

bool is_http_url(const std::string& url) {
  for (const char* scheme : {"http://", "https://"}) {
    const std::string prefix(scheme);
    if (url.rfind(prefix, 0) == 0 && url.size() > prefix.size() && url[prefix.size()] != '/') return true;
  }
  return false;
}

}  // namespace weft::scenario
