#include "delivery/trace_context.hpp"

#include "crypto/hmac.hpp"

namespace weft::delivery {

namespace {

bool is_lower_hex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool all_zeros(std::string_view s) { return s.find_first_not_of('0') == std::string_view::npos; }

// What the router accepts as a correlation id; anything else stays out of headers.
bool sane_token(std::string_view s) {
  if (s.empty() || s.size() > 128) return false;
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.' || c == ':';
    if (!ok) return false;
  }
  return true;
}

std::string fresh_span_id() {
  std::string id = crypto::random_hex(8);
  // One in 2^64, but an all-zero parent id would make the whole header invalid.
  if (all_zeros(id)) id.back() = '1';
  return id;
}

}  // namespace

bool valid_traceparent(std::string_view value) {
  if (value.size() != 55 || value[2] != '-' || value[35] != '-' || value[52] != '-') return false;
  const auto version = value.substr(0, 2);
  const auto trace_id = value.substr(3, 32);
  const auto parent_id = value.substr(36, 16);
  const auto flags = value.substr(53, 2);
  return is_lower_hex(version) && version != "ff" && is_lower_hex(trace_id) &&
         !all_zeros(trace_id) && is_lower_hex(parent_id) && !all_zeros(parent_id) &&
         is_lower_hex(flags);
}

std::string trace_id_for(std::string_view correlation, std::string_view instance_id) {
  if (correlation.size() == 32 && is_lower_hex(correlation) && !all_zeros(correlation)) {
    return std::string(correlation);
  }
  const std::string_view seed = correlation.empty() ? instance_id : correlation;
  const auto digest = crypto::sha256(std::string("weft-trace:") + std::string(seed));
  std::string trace_id = crypto::to_hex(digest.data(), 16);
  if (all_zeros(trace_id)) trace_id.back() = '1';
  return trace_id;
}

std::string outbound_traceparent(const engine::ActionRequest& request) {
  if (valid_traceparent(request.traceparent)) return request.traceparent;
  return "00-" + trace_id_for(request.correlation_id, request.instance_id) + "-" + fresh_span_id() + "-01";
}

void add_trace_headers(const engine::ActionRequest& request, http::Headers& headers) {
  if (!headers.get("traceparent")) headers.add("traceparent", outbound_traceparent(request));
  if (sane_token(request.correlation_id) && !headers.get("X-Correlation-Id")) {
    headers.add("X-Correlation-Id", request.correlation_id);
  }
}

}  // namespace weft::delivery
