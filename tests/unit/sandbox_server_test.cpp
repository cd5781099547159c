// SandboxServer with a fake emulator: routing by prefix, injected faults (outage, seeded error
// rate, 429 with Retry-After, latency through the scheduler, errors after the effect), the
// request log, reset, admin validation and the state file. No sockets, no sleeping.

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <optional>
#include <vector>

#include "sandbox/sandbox_server.hpp"
#include "support/process.hpp"
#include "weft/manual_clock.hpp"

namespace weft::sandbox {
namespace {

using nlohmann::json;

// Counts what it handled; POST /fake/items adds an item.
class FakeEmulator final : public PlatformEmulator {
 public:
  FakeEmulator(std::string name, std::vector<std::string> prefixes) : name_(std::move(name)), prefixes_(std::move(prefixes)) {}
  const std::string& platform() const override { return name_; }
  std::vector<std::string> path_prefixes() const override { return prefixes_; }
  http::Response handle(const http::Request& request) override {
    ++handled;
    if (request.method == "POST") items.push_back(request.body);
    http::Response response;
    response.status = request.path.find("/missing") != std::string::npos ? 404 : 200;
    response.body = json{{"platform", name_}, {"path", request.path}}.dump();
    if (request.headers.get("X-Replay")) response.headers.set("Idempotent-Replayed", "true");
    return response;
  }
  http::Response fault_response(int status) const override {
    http::Response response;
    response.status = status;
    response.body = json{{"fault", status}, {"platform", name_}}.dump();
    return response;
  }
  json state() const override { return json{{"items", items}}; }
  Result<void, std::string> restore(const json& state) override {
    if (!state.contains("items")) return fail(std::string("no items"));
    items = state["items"].get<std::vector<std::string>>();
    return {};
  }
  void reset() override { items.clear(); }
  http::Response handle_admin(const http::Request& request, std::string_view subpath) override {
    http::Response response;
    response.body = json{{"helper", std::string(subpath)}, {"method", request.method}}.dump();
    return response;
  }

  int handled = 0;
  std::vector<std::string> items;

 private:
  std::string name_;
  std::vector<std::string> prefixes_;
};

// Records the delays; runs the tasks only when told.
class FakeScheduler final : public Scheduler {
 public:
  void after(std::chrono::milliseconds delay, std::function<void()> task) override {
    delays.push_back(delay);
    tasks.push_back(std::move(task));
  }
  void run_all() {
    auto pending = std::move(tasks);
    tasks.clear();
    for (auto& task : pending) task();
  }
  std::vector<std::chrono::milliseconds> delays;
  std::vector<std::function<void()>> tasks;
};

class NoTransport final : public delivery::HttpTransport {
 public:
  delivery::Attempt send(const delivery::OutboundRequest&) override { return {}; }
};

class SandboxServerTest : public ::testing::Test {
 protected:
  explicit SandboxServerTest(std::uint64_t seed = 42, std::filesystem::path state = {}) { build(seed, std::move(state)); }

  void build(std::uint64_t seed, std::filesystem::path state) {
    std::vector<PlatformEmulatorPtr> emulators;
    auto a = std::make_unique<FakeEmulator>("alpha", std::vector<std::string>{"/api"});
    auto b = std::make_unique<FakeEmulator>("beta", std::vector<std::string>{"/api/v2", "/oauth"});
    alpha_ = a.get();
    beta_ = b.get();
    emulators.push_back(std::move(a));
    emulators.push_back(std::move(b));
    SandboxOptions options;
    options.seed = seed;
    options.state_path = std::move(state);
    server_ = std::make_unique<SandboxServer>(std::move(emulators), outbox_, scheduler_, clock_, options);
  }

  // Serves one request; nullopt when the answer has not been given (yet).
  std::optional<http::Response> call(const std::string& method, const std::string& target, const std::string& body = {},
                                     http::Headers headers = {}) {
    http::Request request;
    request.method = method;
    request.target = target;
    const auto q = target.find('?');
    request.path = target.substr(0, q);
    request.query = q == std::string::npos ? "" : target.substr(q + 1);
    request.body = body;
    request.headers = std::move(headers);
    std::optional<http::Response> answer;
    server_->handle(std::move(request), [&answer](http::Response response) { answer = std::move(response); });
    return answer;
  }
  json body_of(const std::optional<http::Response>& response) {
    return response ? json::parse(response->body, nullptr, false) : json();
  }

  std::shared_ptr<ManualClock> clock_ = std::make_shared<ManualClock>();
  NoTransport transport_;
  DeliveringOutbox outbox_{OutboxOptions{}, transport_, clock_};
  FakeScheduler scheduler_;
  FakeEmulator* alpha_ = nullptr;
  FakeEmulator* beta_ = nullptr;
  std::unique_ptr<SandboxServer> server_;
};

TEST_F(SandboxServerTest, RoutesByLongestPrefixAtSegmentBoundaries) {
  EXPECT_EQ(body_of(call("GET", "/api/v2/tickets"))["platform"], "beta");
  EXPECT_EQ(body_of(call("GET", "/api/v1/customers"))["platform"], "alpha");
  EXPECT_EQ(body_of(call("GET", "/api"))["platform"], "alpha");
  EXPECT_EQ(body_of(call("POST", "/oauth/token"))["platform"], "beta");
  // "/apix" is not under "/api".
  auto unknown = call("GET", "/apix/thing");
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 404);
  EXPECT_EQ(body_of(unknown)["error"], "no emulated platform serves /apix/thing");
  EXPECT_TRUE(unknown->headers.get("X-Correlation-Id").has_value());
}

TEST_F(SandboxServerTest, OutageAnswersTheEmulatorsOwn503WithoutReachingIt) {
  auto set = call("POST", "/_sandbox/faults", R"({"alpha": {"outage": true}})");
  ASSERT_EQ(set->status, 200) << set->body;
  auto response = call("POST", "/api/items", "x");
  EXPECT_EQ(response->status, 503);
  EXPECT_EQ(body_of(response)["fault"], 503);
  EXPECT_EQ(alpha_->handled, 0);
  EXPECT_TRUE(alpha_->items.empty());
  // Other platforms are unaffected.
  EXPECT_EQ(call("GET", "/api/v2/x")->status, 200);
  auto log = body_of(call("GET", "/_sandbox/requests?platform=alpha"));
  ASSERT_EQ(log["requests"].size(), 1u);
  EXPECT_EQ(log["requests"][0]["fault"], "outage");
  EXPECT_EQ(log["requests"][0]["status"], 503);
}

TEST_F(SandboxServerTest, RateLimitAnswers429WithRetryAfter) {
  ASSERT_EQ(call("POST", "/_sandbox/faults", R"({"beta": {"rate_limit": {"rate": 1, "retry_after_seconds": 7}}})")->status, 200);
  auto response = call("GET", "/api/v2/x");
  EXPECT_EQ(response->status, 429);
  EXPECT_EQ(response->headers.get("Retry-After").value_or(""), "7");
  EXPECT_EQ(beta_->handled, 0);
}

TEST_F(SandboxServerTest, ErrorRateFailsTheSameRequestsForTheSameSeed) {
  auto statuses = [this]() {
    std::vector<int> seen;
    EXPECT_EQ(call("POST", "/_sandbox/faults", R"({"alpha": {"error_rate": 0.5, "status": 502}})")->status, 200);
    for (int i = 0; i < 40; ++i) seen.push_back(call("GET", "/api/x")->status);
    return seen;
  };
  const auto first = statuses();
  build(42, {});
  const auto second = statuses();
  EXPECT_EQ(first, second);
  const auto failed = std::count(first.begin(), first.end(), 502);
  EXPECT_GT(failed, 5);
  EXPECT_LT(failed, 35);
  EXPECT_EQ(std::count(first.begin(), first.end(), 200) + failed, 40);
  build(43, {});
  EXPECT_NE(statuses(), first);
}

TEST_F(SandboxServerTest, ErrorAfterEffectAppliesTheRequestThenAnswersTheError) {
  ASSERT_EQ(call("POST", "/_sandbox/faults", R"({"alpha": {"error_rate": 1, "status": 500, "error_after_effect": true}})")->status,
            200);
  auto response = call("POST", "/api/items", "first");
  EXPECT_EQ(response->status, 500);
  EXPECT_EQ(alpha_->items, std::vector<std::string>{"first"});
}

TEST_F(SandboxServerTest, LatencyDelaysTheAnswerThroughTheScheduler) {
  ASSERT_EQ(call("POST", "/_sandbox/faults", R"({"alpha": {"latency_ms": 250}})")->status, 200);
  auto response = call("GET", "/api/x");
  EXPECT_FALSE(response.has_value());  // not answered on the calling (network) thread
  ASSERT_EQ(scheduler_.delays.size(), 1u);
  EXPECT_EQ(scheduler_.delays[0], std::chrono::milliseconds(250));
  std::optional<http::Response> late;
  http::Request request;
  request.method = "GET";
  request.path = "/api/y";
  server_->handle(request, [&late](http::Response r) { late = std::move(r); });
  EXPECT_FALSE(late.has_value());
  scheduler_.run_all();
  ASSERT_TRUE(late.has_value());
  EXPECT_EQ(late->status, 200);
}

TEST_F(SandboxServerTest, RequestLogRecordsKeysReplaysAndFiltersByPlatformAndLimit) {
  http::Headers keyed;
  keyed.set("Idempotency-Key", "key-1");
  call("POST", "/api/items", "a", keyed);
  http::Headers replay = keyed;
  replay.set("X-Replay", "1");
  call("POST", "/api/items", "a", replay);
  call("GET", "/api/v2/missing?page=2");
  auto all = body_of(call("GET", "/_sandbox/requests"));
  ASSERT_EQ(all["requests"].size(), 3u);
  EXPECT_EQ(all["requests"][0]["idempotency_key"], "key-1");
  EXPECT_EQ(all["requests"][0]["replayed"], false);
  EXPECT_EQ(all["requests"][1]["replayed"], true);
  EXPECT_EQ(all["requests"][2]["platform"], "beta");
  EXPECT_EQ(all["requests"][2]["status"], 404);
  EXPECT_EQ(all["requests"][2]["query"], "page=2");
  EXPECT_TRUE(all["requests"][2]["idempotency_key"].is_null());
  auto last = body_of(call("GET", "/_sandbox/requests?platform=alpha&limit=1"));
  ASSERT_EQ(last["requests"].size(), 1u);
  EXPECT_EQ(last["requests"][0]["seq"], 2);
  auto after = body_of(call("GET", "/_sandbox/requests?after=2"));
  ASSERT_EQ(after["requests"].size(), 1u);
  EXPECT_EQ(after["requests"][0]["seq"], 3);
  // Admin calls are not platform traffic.
  EXPECT_EQ(body_of(call("GET", "/_sandbox/requests"))["total"], 3);
}

TEST_F(SandboxServerTest, RequestLogParametersAreValidated) {
  EXPECT_EQ(call("GET", "/_sandbox/requests?platform=alpah")->status, 400);
  EXPECT_NE(body_of(call("GET", "/_sandbox/requests?platform=alpah"))["error"].get<std::string>().find("alpha"),
            std::string::npos);
  EXPECT_EQ(call("GET", "/_sandbox/requests?limit=0")->status, 400);
  EXPECT_EQ(call("GET", "/_sandbox/requests?limit=ten")->status, 400);
  EXPECT_EQ(call("GET", "/_sandbox/requests?colour=red")->status, 400);
  EXPECT_EQ(call("GET", "/_sandbox/requests?limit=%zz")->status, 400);
}

TEST_F(SandboxServerTest, FaultBodiesAreValidatedWithClearErrors) {
  auto error_of = [this](const std::string& body) {
    auto response = call("POST", "/_sandbox/faults", body);
    EXPECT_EQ(response->status, 400) << body;
    return body_of(response)["error"].get<std::string>();
  };
  EXPECT_NE(error_of("not json").find("not valid JSON"), std::string::npos);
  EXPECT_NE(error_of("[1]").find("keyed by platform"), std::string::npos);
  EXPECT_NE(error_of(R"({"alhpa": {}})").find("did you mean 'alpha'"), std::string::npos);
  EXPECT_NE(error_of(R"({"alpha": {"error_rate": 1.5}})").find("alpha.error_rate"), std::string::npos);
  EXPECT_NE(error_of(R"({"alpha": {"status": 200}})").find("alpha.status"), std::string::npos);
  EXPECT_NE(error_of(R"({"alpha": {"latncy_ms": 5}})").find("did you mean 'latency_ms'"), std::string::npos);
  EXPECT_NE(error_of(R"({"alpha": {"rate_limit": {"rate": "half"}}})").find("alpha.rate_limit.rate"), std::string::npos);
  EXPECT_NE(error_of(R"({"alpha": {"outage": "yes"}})").find("true or false"), std::string::npos);
  // All or nothing: the valid part of a refused body is not applied.
  error_of(R"({"alpha": {"outage": true}, "beta": {"error_rate": 2}})");
  EXPECT_EQ(body_of(call("GET", "/_sandbox/faults")), json::object());
  EXPECT_EQ(call("PUT", "/_sandbox/faults")->status, 405);
}

TEST_F(SandboxServerTest, FaultsAreShownAndClearedPerPlatform) {
  ASSERT_EQ(call("POST", "/_sandbox/faults", R"({"alpha": {"outage": true}, "beta": {"latency_ms": 5}})")->status, 200);
  auto shown = body_of(call("GET", "/_sandbox/faults"));
  EXPECT_EQ(shown["alpha"]["outage"], true);
  EXPECT_EQ(shown["beta"]["latency_ms"], 5);
  ASSERT_EQ(call("POST", "/_sandbox/faults", R"({"alpha": null})")->status, 200);
  shown = body_of(call("GET", "/_sandbox/faults"));
  EXPECT_FALSE(shown.contains("alpha"));
  EXPECT_TRUE(shown.contains("beta"));
  ASSERT_EQ(call("DELETE", "/_sandbox/faults")->status, 200);
  EXPECT_EQ(body_of(call("GET", "/_sandbox/faults")), json::object());
}

TEST_F(SandboxServerTest, ResetClearsStateFaultsAndTheLog) {
  call("POST", "/api/items", "a");
  ASSERT_EQ(call("POST", "/_sandbox/faults", R"({"beta": {"outage": true}})")->status, 200);
  EXPECT_EQ(body_of(call("GET", "/_sandbox/state"))["alpha"]["items"], json::array({"a"}));
  auto reset = call("POST", "/_sandbox/reset");
  ASSERT_EQ(reset->status, 200);
  EXPECT_TRUE(alpha_->items.empty());
  EXPECT_EQ(body_of(call("GET", "/_sandbox/faults")), json::object());
  EXPECT_EQ(body_of(call("GET", "/_sandbox/requests"))["requests"].size(), 0u);
  EXPECT_EQ(call("GET", "/api/v2/x")->status, 200);
  EXPECT_EQ(call("GET", "/_sandbox/reset")->status, 405);
}

TEST_F(SandboxServerTest, PlatformHelpersAndUnknownAdminPaths) {
  auto helper = body_of(call("POST", "/_sandbox/beta/disputes"));
  EXPECT_EQ(helper["helper"], "/disputes");
  EXPECT_EQ(helper["method"], "POST");
  EXPECT_EQ(call("GET", "/_sandbox/nothing")->status, 404);
  auto index = body_of(call("GET", "/_sandbox"));
  EXPECT_EQ(index["platforms"].size(), 2u);
}

TEST_F(SandboxServerTest, BodyTooLargeIs413) {
  http::Request request;
  request.method = "POST";
  request.path = "/api/items";
  request.body_too_large = true;
  std::optional<http::Response> answer;
  server_->handle(request, [&answer](http::Response r) { answer = std::move(r); });
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 413);
  EXPECT_EQ(alpha_->handled, 0);
}

TEST_F(SandboxServerTest, StateFileIsSavedAtShutdownAndLoadedAtStart) {
  test::TempDir dir("weft-sandbox-state");
  const auto path = dir / "state.json";
  build(1, path);
  ASSERT_TRUE(server_->load_state().ok());  // no file yet: a first start
  call("POST", "/api/items", "kept");
  server_->shutdown();
  auto saved = json::parse(test::read_file(path), nullptr, false);
  ASSERT_TRUE(saved.is_object()) << test::read_file(path);
  EXPECT_EQ(saved["alpha"]["items"], json::array({"kept"}));

  build(1, path);
  ASSERT_TRUE(server_->load_state().ok());
  EXPECT_EQ(alpha_->items, std::vector<std::string>{"kept"});

  dir.write("bad.json", R"({"gamma": {}})");
  build(1, dir / "bad.json");
  auto refused = server_->load_state();
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().find("unknown platform 'gamma'"), std::string::npos);
  dir.write("broken.json", "{");
  build(1, dir / "broken.json");
  ASSERT_FALSE(server_->load_state().ok());
}

}  // namespace
}  // namespace weft::sandbox
