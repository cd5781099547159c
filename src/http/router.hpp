#pragma once
// Routes requests by method and path pattern to handlers, answers 404 and 405 (with Allow)
// itself, and gives every request a correlation id that goes back in X-Correlation-Id.
//
// Patterns are literal segments and {name} segments, e.g. "/hooks/{connector}"; a trailing
// "/*" matches any rest of the path. Routes are added before serving starts.

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "weft/http.hpp"

namespace weft::http {

class PathParams {
 public:
  void add(std::string name, std::string value) { items_.emplace_back(std::move(name), std::move(value)); }
  std::string_view get(std::string_view name) const;
  const std::vector<std::pair<std::string, std::string>>& items() const { return items_; }

 private:
  std::vector<std::pair<std::string, std::string>> items_;
};

using Route = std::function<void(Request, const PathParams&, Responder)>;

class Router final : public Handler {
 public:
  void add(std::string method, std::string pattern, Route route);
  void handle(Request request, Responder respond) override;

 private:
  struct Entry {
    std::string method;
    std::vector<std::string> segments;
    bool prefix = false;
    Route route;
  };
  static bool match(const Entry& entry, std::string_view path, PathParams& params);
  std::vector<Entry> entries_;
};

// The correlation id for a request: a valid X-Correlation-Id, else the trace id of a valid
// W3C traceparent, else a new id (new_trace_id).
std::string correlation_id_for(const Headers& headers);

// A new W3C trace id (32 hex digits) that sorts by time: 48 bits of Unix milliseconds, then
// 80 random bits (so its right-most 7 bytes are random, as W3C Trace Context asks). The
// instances an id starts are indexed by it: ids of one time land on the same index pages
// instead of one random page each.
std::string new_trace_id();

}  // namespace weft::http
