#pragma once
// Plain HTTP request and response values shared by the server (Beast), the router, the
// handlers and the outbound transport. No Beast types here: heavy headers stay in the .cpp
// files that need them.

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace weft::http {

// Header names are compared case-insensitively; first match wins.
class Headers {
 public:
  void add(std::string name, std::string value) {
    fields_.emplace_back(std::move(name), std::move(value));
  }
  void set(std::string_view name, std::string value);
  std::optional<std::string_view> get(std::string_view name) const;
  const std::vector<std::pair<std::string, std::string>>& all() const { return fields_; }

 private:
  std::vector<std::pair<std::string, std::string>> fields_;
};

struct Request {
  std::string method;   // upper case, e.g. "POST"
  std::string target;   // as received: path and query
  std::string path;     // target without the query, percent-decoding not applied
  std::string query;    // after '?', without it
  Headers headers;
  std::string body;
  // Set by the server when the body exceeded its limit: body is then empty and the
  // connection will close after the response.
  bool body_too_large = false;
  // Set by the server under mutual TLS: the subject of the client's verified certificate
  // (RFC 2253, e.g. "CN=ops,O=Example"); empty over plain HTTP or TLS without client certs.
  std::string client_subject;
  // Set by the router: from X-Correlation-Id or traceparent, else generated. Returned in
  // the X-Correlation-Id response header and carried by every log line about the request.
  std::string correlation_id;
};

struct Response {
  int status = 200;
  Headers headers;
  std::string body;
};

// Completes a request. Callable once, from any thread.
using Responder = std::function<void(Response)>;

class Handler {
 public:
  virtual ~Handler() = default;
  // Called on a network thread: must not block on disk or on a remote call. Hand slow work
  // to another thread and call `respond` from there.
  virtual void handle(Request request, Responder respond) = 0;
};

bool iequals(std::string_view a, std::string_view b);

}  // namespace weft::http
