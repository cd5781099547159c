// SLOs and alerts in a real `weft serve`: an SLA objective already breached by the outcomes in
// its database is alerted to a small local webhook receiver at start-up, signed so that the
// receiver can verify it, and shows in /metrics; `weft check` names an SLO of an unknown
// workflow at its line.

#include <gtest/gtest.h>

#include <condition_variable>
#include <csignal>
#include <mutex>
#include <nlohmann/json.hpp>

#include "connectors/weft_signature.hpp"
#include "http/router.hpp"
#include "http/server.hpp"
#include "support/http_client.hpp"
#include "support/process.hpp"
#include "weft/workflow_store.hpp"

namespace weft::test {
namespace {

using namespace std::chrono_literals;

constexpr const char* kSecret = "whsec_slo_alerts";

constexpr const char* kWorkflow = R"(name: credit
version: 1
trigger: {event: case.credit_requested}
slas:
  - {name: approval-to-erp, from: started, to: posted, limit: 15m}
steps:
  - id: post
    call: erp.create_credit_memo
    milestone: posted
)";

// A webhook receiver: answers 200 and keeps every request.
class Receiver {
 public:
  Receiver() {
    router_.add("POST", "/alerts",
                [this](http::Request r, const http::PathParams&, http::Responder respond) {
                  {
                    std::lock_guard lock(mutex_);
                    received_.push_back(std::move(r));
                  }
                  changed_.notify_all();
                  respond(http::Response{200, {}, "{}"});
                });
    http::ServerOptions options;
    options.port = 0;
    options.threads = 1;
    server_ = std::make_unique<http::Server>(options, router_);
  }
  ~Receiver() { server_->stop(); }
  Result<void, std::string> start() { return server_->start(); }
  std::string url() const {
    return "http://127.0.0.1:" + std::to_string(server_->port()) + "/alerts";
  }
  // The first request, once it has come (nullopt after `timeout`).
  std::optional<http::Request> first(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    if (!changed_.wait_for(lock, timeout, [this] { return !received_.empty(); }))
      return std::nullopt;
    return received_.front();
  }
  std::size_t count() {
    std::lock_guard lock(mutex_);
    return received_.size();
  }

 private:
  http::Router router_;
  std::unique_ptr<http::Server> server_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<http::Request> received_;
};

std::string slo_config(std::uint16_t port, const TempDir& dir, const std::string& webhook,
                       const std::string& workflow) {
  return "hub:\n  listen: 127.0.0.1:" + std::to_string(port) +
         "\nstorage:\n  url: sqlite:" + (dir / "weft.db").string() +
         "\nworkflows_dir: " + (dir / "workflows").string() +
         "\nslos:\n  - name: credits-posted-fast\n    workflow: " + workflow +
         "\n    sla: approval-to-erp\n    objective: 0.9\n    window: 1h\nalerts:\n  "
         "webhook_url: " +
         webhook + "\n  secret: " + kSecret +
         "\n  timeout: 5s\nconnectors:\n  erp:\n    type: http\n    base_url: http://127.0.0.1:9\n";
}

TEST(SloAlerts, ABreachedSloIsAlertedSignedToTheWebhookByARunningHub) {
  TempDir dir("weft-slo-alerts");
  dir.write("workflows/credit.yaml", kWorkflow);
  {
    // Two of the SLA's outcomes in the last hour, one breached: 50% < 90%.
    auto storage = open_storage("sqlite:" + (dir / "weft.db").string());
    ASSERT_TRUE(storage.ok()) << storage.error().message;
    const std::int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count();
    Transition t;
    t.sla_outcomes = {{"wf_ok", "credit", "approval-to-erp", "zen:ticket:1", now - 120'000,
                       now - 60'000, false, now - 60'000},
                      {"wf_late", "credit", "approval-to-erp", "zen:ticket:2", now - 1'200'000,
                       now - 300'000, true, std::nullopt}};
    ASSERT_TRUE(storage->workflows->apply(std::span<const Transition>(&t, 1)).ok());
  }
  Receiver receiver;
  ASSERT_TRUE(receiver.start().ok());
  const std::uint16_t port = free_loopback_port();
  write_file(dir / "weft.yaml", slo_config(port, dir, receiver.url(), "credit"));

  ProcessOptions options;
  options.program = weft_binary();
  options.args = {"serve", "-c", (dir / "weft.yaml").string()};
  options.stderr_path = dir / "hub.log";
  auto hub = Process::spawn(options);
  ASSERT_TRUE(hub.ok()) << hub.error();
  const std::string base = "http://127.0.0.1:" + std::to_string(port);
  ASSERT_TRUE(wait_for_status(base, "/readyz", 200, 30s)) << tail_of_file(dir / "hub.log");

  auto alert = receiver.first(30s);
  ASSERT_TRUE(alert.has_value()) << tail_of_file(dir / "hub.log");
  const connectors::TimestampedSignatureVerifier verifier(
      std::string(connectors::kWeftSignatureHeader), kSecret, 300s);
  EXPECT_TRUE(verifier.verify(alert->headers, alert->body, std::chrono::system_clock::now()).ok());
  const auto body = nlohmann::json::parse(alert->body);
  EXPECT_EQ(body["type"], "slo.breached");
  EXPECT_EQ(body["slo"], "credits-posted-fast");
  EXPECT_EQ(body["ratio"], 0.5);
  ASSERT_EQ(body["instances"].size(), 1u);
  EXPECT_EQ(body["instances"][0]["business_key"], "zen:ticket:2");
  EXPECT_EQ(alert->headers.get("Weft-Alert-Id").value_or(""), body["id"].get<std::string>());

  HttpClient client(base);
  auto metrics = client.get("/metrics");
  ASSERT_TRUE(metrics.ok());
  EXPECT_NE(metrics->body.find("weft_slo_breached{slo=\"credits-posted-fast\"} 1"),
            std::string::npos);
  EXPECT_NE(metrics->body.find("weft_slo_ratio{slo=\"credits-posted-fast\"} 0.5"),
            std::string::npos);

  const ExitStatus status = hub->stop(SIGTERM, 10s);
  EXPECT_TRUE(status.exited && status.code == 0) << status.to_string() << "\n"
                                                 << tail_of_file(dir / "hub.log");
  EXPECT_EQ(receiver.count(), 1u);  // once per breach window
}

TEST(SloAlerts, CheckAndServeRefuseAnSloOfAnUnknownWorkflowAtItsLine) {
  TempDir dir("weft-slo-check");
  dir.write("workflows/credit.yaml", kWorkflow);
  write_file(dir / "weft.yaml",
             slo_config(free_loopback_port(), dir, "http://127.0.0.1:9/alerts", "credits"));
  const auto config = (dir / "weft.yaml").string();
  CommandResult check = run_command(weft_binary(), {"check", "-c", config}, dir.path(), "check");
  EXPECT_EQ(check.code, 1) << check.out << check.err;
  EXPECT_NE(
      check.err.find(
          config +
          ":8: SLO 'credits-posted-fast': no workflow named 'credits' (did you mean 'credit'?)"),
      std::string::npos)
      << check.err;
  CommandResult serve = run_command(weft_binary(), {"serve", "-c", config}, dir.path(), "serve");
  EXPECT_NE(serve.code, 0);
  EXPECT_NE(serve.err.find("no workflow named 'credits'"), std::string::npos) << serve.err;
}

}  // namespace
}  // namespace weft::test
