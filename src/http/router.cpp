#include "http/router.hpp"

#include <chrono>

#include "core/ordered_id.hpp"
#include "crypto/hmac.hpp"
#include "http/problem.hpp"

namespace weft::http {

namespace {

std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    if (slash > start) out.emplace_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return out;
}

bool is_hex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace

std::string_view PathParams::get(std::string_view name) const {
  for (const auto& [n, v] : items_) {
    if (n == name) return v;
  }
  return {};
}

void Router::add(std::string method, std::string pattern, Route route) {
  Entry entry;
  entry.method = std::move(method);
  entry.segments = split_path(pattern);
  if (!entry.segments.empty() && entry.segments.back() == "*") {
    entry.prefix = true;
    entry.segments.pop_back();
  }
  entry.route = std::move(route);
  entries_.push_back(std::move(entry));
}

bool Router::match(const Entry& entry, std::string_view path, PathParams& params) {
  const std::vector<std::string> parts = split_path(path);
  if (entry.prefix ? parts.size() < entry.segments.size() : parts.size() != entry.segments.size()) {
    return false;
  }
  for (std::size_t i = 0; i < entry.segments.size(); ++i) {
    const std::string& seg = entry.segments[i];
    if (seg.size() > 2 && seg.front() == '{' && seg.back() == '}') {
      params.add(seg.substr(1, seg.size() - 2), parts[i]);
    } else if (seg != parts[i]) {
      return false;
    }
  }
  return true;
}

void Router::handle(Request request, Responder respond) {
  request.correlation_id = correlation_id_for(request.headers);
  // Every response carries the correlation id.
  Responder tagged = [respond = std::move(respond), id = request.correlation_id](Response r) {
    r.headers.set("X-Correlation-Id", id);
    respond(std::move(r));
  };
  std::string allowed;
  for (const Entry& entry : entries_) {
    PathParams params;
    if (!match(entry, request.path, params)) continue;
    if (entry.method == request.method) {
      entry.route(std::move(request), params, std::move(tagged));
      return;
    }
    if (allowed.find(entry.method) == std::string::npos) {
      if (!allowed.empty()) allowed += ", ";
      allowed += entry.method;
    }
  }
  if (!allowed.empty()) {
    Response r = problem(405, "method-not-allowed", "Method not allowed",
                         request.method + " is not allowed here; use " + allowed, request);
    r.headers.set("Allow", allowed);
    return tagged(std::move(r));
  }
  tagged(problem(404, "not-found", "Not found", "no resource at " + request.path, request));
}

std::string correlation_id_for(const Headers& headers) {
  if (auto given = headers.get("X-Correlation-Id")) {
    // Accept what a caller sends when it is a sane token; it goes into logs and headers.
    bool sane = !given->empty() && given->size() <= 128;
    for (char c : *given) {
      const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '_' || c == '.' || c == ':';
      sane = sane && ok;
    }
    if (sane) return std::string(*given);
  }
  if (auto tp = headers.get("traceparent")) {
    // version "-" trace-id(32 hex) "-" parent-id(16 hex) "-" flags(2 hex)
    if (tp->size() >= 55 && (*tp)[2] == '-' && (*tp)[35] == '-') {
      const std::string_view trace = tp->substr(3, 32);
      if (is_hex(trace) && trace != std::string(32, '0')) return std::string(trace);
    }
  }
  return new_trace_id();
}

std::string new_trace_id() {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
  return hex_position(static_cast<std::uint64_t>(ms) & 0xffffffffffffULL) + crypto::random_hex(10);
}

}  // namespace weft::http
