// `weft sandbox` as a process: a real HTTP round trip to the Stripe emulator (auth,
// idempotent replay, the request log), signed webhooks arriving at a hub stand-in and
// verifying with the project's Stripe verifier, retries when the hub fails, the state file
// across a restart, and a clean stop on SIGTERM.

#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "connectors/stripe/stripe_webhook.hpp"
#include "http/server.hpp"
#include "support/http_client.hpp"
#include "support/process.hpp"

namespace weft::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

constexpr const char* kKey = "sk_test_weft_demo";
constexpr const char* kSecret = "whsec_weft_demo";

// The hub stand-in: records every webhook; answers the scripted statuses first, then 200.
class HookRecorder final : public http::Handler {
 public:
  void handle(http::Request request, http::Responder respond) override {
    http::Response response;
    {
      std::lock_guard lock(mutex_);
      response.status = 200;
      if (!statuses_.empty()) {
        response.status = statuses_.front();
        statuses_.pop_front();
      }
      received_.push_back({std::move(request), response.status});
    }
    changed_.notify_all();
    respond(std::move(response));
  }
  void fail_next(int n, int status) {
    std::lock_guard lock(mutex_);
    for (int i = 0; i < n; ++i) statuses_.push_back(status);
  }
  // The requests received so far, once at least `n` arrived or `timeout` passed.
  std::vector<std::pair<http::Request, int>> wait_for(std::size_t n, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, timeout, [&] { return received_.size() >= n; });
    return received_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<int> statuses_;
  std::vector<std::pair<http::Request, int>> received_;
};

class SandboxProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    http::ServerOptions options;
    options.port = 0;
    options.threads = 1;
    hub_ = std::make_unique<http::Server>(options, recorder_);
    ASSERT_TRUE(hub_->start().ok());
  }
  void TearDown() override {
    if (HasFailure()) {
      dir_.keep();
      std::fprintf(stderr, "sandbox log:\n%s\n", tail_of_file(dir_ / "sandbox.err").c_str());
    }
    hub_->stop();
  }

  // Starts the sandbox and returns its base URL, read from its stdout.
  std::string start(std::vector<std::string> extra = {}) {
    ProcessOptions options;
    options.program = weft_binary();
    options.args = {"sandbox", "--listen", "127.0.0.1:0", "--hub", "http://127.0.0.1:" + std::to_string(hub_->port())};
    options.args.insert(options.args.end(), extra.begin(), extra.end());
    const auto out = dir_ / ("sandbox-" + std::to_string(++runs_) + ".out");
    options.stdout_path = out;
    options.stderr_path = dir_ / "sandbox.err";
    auto spawned = Process::spawn(options);
    if (!spawned) {
      ADD_FAILURE() << spawned.error();
      return {};
    }
    sandbox_.emplace(std::move(*spawned));
    // Wait for the address line (the process needs a moment to bind).
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < deadline && sandbox_->running()) {
      const std::string text = read_file(out);
      if (const auto end = text.find('\n'); end != std::string::npos) return text.substr(0, end);
      std::this_thread::sleep_for(20ms);
    }
    ADD_FAILURE() << "the sandbox printed no address";
    return {};
  }

  TempDir dir_{"weft-sandbox"};
  HookRecorder recorder_;
  std::unique_ptr<http::Server> hub_;
  std::optional<Process> sandbox_;
  int runs_ = 0;
};

const HeaderList kAuth = {{"Authorization", std::string("Bearer ") + kKey},
                          {"Content-Type", "application/x-www-form-urlencoded"}};

TEST_F(SandboxProcessTest, StripeRoundTripReplayAndASignedWebhookAtTheHub) {
  const std::string base = start();
  ASSERT_FALSE(base.empty());
  HttpClient client(base);
  HeaderList keyed = kAuth;
  keyed.emplace_back("Idempotency-Key", "it-1");
  auto created = client.post("/v1/customers", "email=it%40weft.test&metadata[crm_id]=7", keyed);
  ASSERT_TRUE(created.ok()) << created.error().message;
  ASSERT_EQ(created->status, 200) << created->body;
  const json customer = json::parse(created->body);
  EXPECT_EQ(customer["object"], "customer");
  EXPECT_EQ(customer["metadata"]["crm_id"], "7");

  auto replayed = client.post("/v1/customers", "email=it%40weft.test&metadata[crm_id]=7", keyed);
  ASSERT_TRUE(replayed.ok());
  EXPECT_EQ(replayed->header("Idempotent-Replayed").value_or(""), "true");
  EXPECT_EQ(replayed->body, created->body);

  auto refused = client.get("/v1/customers", {{"Authorization", "Bearer sk_test_not_ours"}});
  ASSERT_TRUE(refused.ok());
  EXPECT_EQ(refused->status, 401);
  EXPECT_NE(refused->body.find("Invalid API Key provided"), std::string::npos);

  // One customer.created webhook, signed with the demo secret, naming the customer.
  auto hooks = recorder_.wait_for(1, 10s);
  ASSERT_EQ(hooks.size(), 1u);
  const auto& [hook, status] = hooks[0];
  EXPECT_EQ(hook.path, "/hooks/stripe");
  connectors::stripe::SignatureVerifier verifier(kSecret, std::chrono::seconds(300));
  EXPECT_TRUE(verifier.verify(hook.headers, hook.body, std::chrono::system_clock::now()).ok());
  const json event = json::parse(hook.body);
  EXPECT_EQ(event["type"], "customer.created");
  EXPECT_EQ(event["data"]["object"]["id"], customer["id"]);
  EXPECT_EQ(event["request"]["idempotency_key"], "it-1");

  auto log = client.get("/_sandbox/requests?platform=stripe");
  ASSERT_TRUE(log.ok());
  const json requests = json::parse(log->body)["requests"];
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[0]["idempotency_key"], "it-1");
  EXPECT_EQ(requests[0]["replayed"], false);
  EXPECT_EQ(requests[1]["replayed"], true);
  EXPECT_EQ(requests[2]["status"], 401);

  sandbox_->kill(SIGTERM);
  auto exited = sandbox_->wait_for(10s);
  ASSERT_TRUE(exited.has_value());
  EXPECT_TRUE(exited->exited && exited->code == 0) << exited->to_string();
}

TEST_F(SandboxProcessTest, AFailingHubGetsTheWebhookAgainFreshlySigned) {
  recorder_.fail_next(2, 503);
  const std::string base = start();
  ASSERT_FALSE(base.empty());
  HttpClient client(base);
  ASSERT_EQ(client.post("/v1/customers", "name=Retry", kAuth)->status, 200);
  auto hooks = recorder_.wait_for(3, 15s);
  ASSERT_EQ(hooks.size(), 3u);
  EXPECT_EQ(hooks[0].second, 503);
  EXPECT_EQ(hooks[2].second, 200);
  EXPECT_EQ(hooks[0].first.body, hooks[2].first.body);
  connectors::stripe::SignatureVerifier verifier(kSecret, std::chrono::seconds(300));
  EXPECT_TRUE(verifier.verify(hooks[2].first.headers, hooks[2].first.body, std::chrono::system_clock::now()).ok());
  json deliveries;
  for (int i = 0; i < 100; ++i) {  // the outbox records the 200 just after the hub sent it
    deliveries = json::parse(client.get("/_sandbox/webhooks")->body);
    if (deliveries["counts"]["delivered"] == 1) break;
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(deliveries["counts"]["delivered"], 1);
  EXPECT_EQ(deliveries["webhooks"][0]["attempts"], 3);
}

TEST_F(SandboxProcessTest, StateFileSurvivesARestart) {
  const std::string state = (dir_ / "state.json").string();
  std::string id;
  {
    HttpClient client(start({"--state", state}));
    auto created = client.post("/v1/customers", "name=Durable", kAuth);
    ASSERT_TRUE(created.ok());
    id = json::parse(created->body)["id"];
    sandbox_->kill(SIGTERM);
    ASSERT_TRUE(sandbox_->wait_for(10s).has_value());
  }
  HttpClient client(start({"--state", state}));
  auto fetched = client.get("/v1/customers/" + id, kAuth);
  ASSERT_TRUE(fetched.ok());
  EXPECT_EQ(fetched->status, 200) << fetched->body;
  EXPECT_EQ(json::parse(fetched->body)["name"], "Durable");
}

TEST_F(SandboxProcessTest, BadArgumentsAreRefused) {
  ProcessOptions options;
  options.program = weft_binary();
  options.args = {"sandbox", "--listen", "nonsense"};
  options.stderr_path = dir_ / "bad.err";
  auto spawned = Process::spawn(options);
  ASSERT_TRUE(spawned.ok());
  auto status = spawned->wait_for(10s);
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(status->code, 2);
  EXPECT_NE(read_file(dir_ / "bad.err").find("--listen"), std::string::npos);
}

}  // namespace
}  // namespace weft::test
