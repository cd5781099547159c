// Routing, 404/405 answers and correlation ids.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "http/router.hpp"

namespace weft::http {
namespace {

Response call(Router& router, std::string method, std::string path, Headers headers = {}) {
  Request r;
  r.method = std::move(method);
  r.path = path;
  r.target = path;
  r.headers = std::move(headers);
  Response out;
  router.handle(std::move(r), [&out](Response resp) { out = std::move(resp); });
  return out;
}

TEST(Router, DispatchesWithPathParameters) {
  Router router;
  std::string seen;
  router.add("POST", "/hooks/{connector}", [&](Request, const PathParams& p, Responder respond) {
    seen = std::string(p.get("connector"));
    respond(Response{});
  });
  EXPECT_EQ(call(router, "POST", "/hooks/stripe").status, 200);
  EXPECT_EQ(seen, "stripe");
}

TEST(Router, WrongMethodIs405WithAllowAndProblemJson) {
  Router router;
  router.add("POST", "/hooks/{connector}", [](Request, const PathParams&, Responder r) { r({}); });
  const Response r = call(router, "GET", "/hooks/stripe");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.headers.get("Allow"), "POST");
  EXPECT_EQ(r.headers.get("Content-Type"), "application/problem+json");
  const auto body = nlohmann::json::parse(r.body);
  EXPECT_EQ(body["status"], 405);
  EXPECT_EQ(body["type"], "urn:weft:problem:method-not-allowed");
}

TEST(Router, UnknownPathIs404) {
  Router router;
  router.add("GET", "/healthz", [](Request, const PathParams&, Responder r) { r({}); });
  EXPECT_EQ(call(router, "GET", "/nope").status, 404);
  EXPECT_EQ(call(router, "GET", "/healthz/extra").status, 404);
}

TEST(Router, PrefixPatternsMatchTheRest) {
  Router router;
  router.add("GET", "/console/*", [](Request, const PathParams&, Responder r) { r({}); });
  EXPECT_EQ(call(router, "GET", "/console/app.js").status, 200);
  EXPECT_EQ(call(router, "GET", "/console").status, 200);
}

TEST(Router, CorrelationIdIsTakenFromTheCallerOrGenerated) {
  Router router;
  router.add("GET", "/x", [](Request, const PathParams&, Responder r) { r({}); });
  Headers given;
  given.add("X-Correlation-Id", "order-42");
  EXPECT_EQ(call(router, "GET", "/x", given).headers.get("X-Correlation-Id"), "order-42");

  Headers trace;
  trace.add("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  EXPECT_EQ(call(router, "GET", "/x", trace).headers.get("X-Correlation-Id"),
            "4bf92f3577b34da6a3ce929d0e0e4736");

  Headers hostile;
  hostile.add("X-Correlation-Id", "bad\nvalue\"}");
  const auto generated = call(router, "GET", "/x", hostile).headers.get("X-Correlation-Id");
  ASSERT_TRUE(generated.has_value());
  EXPECT_EQ(generated->size(), 32u);
  // Errors carry it too.
  EXPECT_TRUE(call(router, "GET", "/nope", given).headers.get("X-Correlation-Id").has_value());
}

// Generated ids are W3C trace ids that sort by the millisecond they were made in, and differ
// within one millisecond.
TEST(Router, NewTraceIdsSortByTimeAndAreNeverTheSame) {
  const auto now_ms = [] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  };
  const auto before = now_ms();
  std::vector<std::string> ids;
  for (int i = 0; i < 1000; ++i) ids.push_back(new_trace_id());
  const auto after = now_ms();
  for (const std::string& id : ids) {
    ASSERT_EQ(id.size(), 32u);
    EXPECT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos) << id;
    const auto made = static_cast<std::int64_t>(std::stoull(id.substr(0, 12), nullptr, 16));
    EXPECT_GE(made, before);
    EXPECT_LE(made, after);
  }
  for (std::size_t i = 1; i < ids.size(); ++i) {
    EXPECT_LE(ids[i - 1].substr(0, 12), ids[i].substr(0, 12)) << "in the order made, at " << i;
  }
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(std::adjacent_find(ids.begin(), ids.end()), ids.end()) << "an id came twice";
}

}  // namespace
}  // namespace weft::http
