// Business SLOs and alerts (src/slo/) with an injected clock and an injected HTTP transport:
// the engine records SLA outcomes; the monitor computes each SLO's ratio over its rolling
// window, its error budget and state; alerts fire once per breach window, a resolved notice
// follows a recovery, every alert is signed verifiably, and an alert queued while the webhook
// is down is retried until it gets through (also across a restart, on SQLite).

#include <gtest/gtest.h>

#include <deque>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "connectors/weft_signature.hpp"
#include "engine/executor.hpp"
#include "engine/workflow_catalog.hpp"
#include "expect_ok.hpp"
#include "slo/slo_service.hpp"
#include "store/memory/memory_alert_store.hpp"
#include "store/memory/memory_workflow_store.hpp"
#include "support/process.hpp"
#include "weft/manual_clock.hpp"

namespace weft::slo {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

constexpr const char* kSecret = "whsec_alerts_test";

// Answers each request with the next scripted attempt (200 once the script runs out) and
// keeps what was sent.
class FakeTransport : public delivery::HttpTransport {
 public:
  delivery::Attempt send(const delivery::OutboundRequest& request) override {
    sent.push_back(request);
    if (script.empty()) return ok();
    delivery::Attempt a = script.front();
    script.pop_front();
    return a;
  }
  static delivery::Attempt ok() {
    delivery::Attempt a;
    a.response.status = 200;
    return a;
  }
  static delivery::Attempt down() {
    delivery::Attempt a;
    a.transport = delivery::Transport::connect_failed;
    a.transport_detail = "connection refused";
    return a;
  }
  static delivery::Attempt status(int code) {
    delivery::Attempt a;
    a.response.status = code;
    return a;
  }
  std::deque<delivery::Attempt> script;
  std::vector<delivery::OutboundRequest> sent;
};

// A transport the test keeps a handle on after handing it to the service.
class SharedTransport : public delivery::HttpTransport {
 public:
  explicit SharedTransport(FakeTransport& fake) : fake_(fake) {}
  delivery::Attempt send(const delivery::OutboundRequest& r) override { return fake_.send(r); }

 private:
  FakeTransport& fake_;
};

config::SloConfig sla_slo(double objective = 0.9, std::int64_t window_ms = 3'600'000) {
  config::SloConfig s;
  s.name = "credits-posted-fast";
  s.workflow = "service-credit";
  s.sla = "approval-to-erp";
  s.objective = objective;
  s.window_ms = window_ms;
  return s;
}

config::SloConfig backlog_slo(int max_open) {
  config::SloConfig s;
  s.name = "exception-backlog";
  s.workflow = "service-credit";
  s.max_open = max_open;
  return s;
}

config::AlertsConfig alerts_config() {
  config::AlertsConfig a;
  a.webhook_url = "https://alerts.example.test/hook";
  a.secret = config::Secret(kSecret);
  a.repeat_after_ms = 3'600'000;
  return a;
}

class SloTest : public ::testing::Test {
 protected:
  // The service over the test's stores; `alerts` configures the webhook.
  void start(std::vector<config::SloConfig> slos, bool alerts = true) {
    cfg_.slos = std::move(slos);
    if (alerts) cfg_.alerts = alerts_config();
    SloServiceOptions options;
    options.sender.random_seed = 7;
    service_ = std::make_unique<SloService>(cfg_, workflows_, alerts_, registry_, clock_,
                                            std::make_unique<SharedTransport>(transport_), options);
    ASSERT_TRUE(service_->start(false).ok());
  }

  std::int64_t now() const { return clock_->unix_millis(); }

  // One instance of service-credit whose SLA ended now, met or breached; its state knows the
  // customer and the amount.
  void outcome(bool breached) {
    const std::string id = "wf_" + std::to_string(++instances_);
    Transition t;
    InstanceRecord r;
    r.id = id;
    r.workflow = "service-credit";
    r.version = 1;
    r.business_key = "zen:ticket:" + std::to_string(instances_);
    r.trigger_event_id = "ce_" + id;
    r.order_seq = instances_;
    r.status = InstanceStatus::completed;
    r.correlation_id = "corr-" + id;
    r.state_json =
        json{{"event", {{"payload", {{"ticket_id", instances_}, {"organization_id", "org_9"}}}}},
             {"credit_note", {{"total", 2500}, {"currency", "usd"}}}}
            .dump();
    r.created_at_ms = r.updated_at_ms = now();
    t.create = r;
    t.sla_outcomes.push_back({id, "service-credit", "approval-to-erp", r.business_key,
                              now() - 60'000, now(), breached, now()});
    ok(workflows_.apply(std::span<const Transition>(&t, 1)));
  }
  void outcomes(int met, int breached) {
    for (int i = 0; i < met; ++i) outcome(false);
    for (int i = 0; i < breached; ++i) outcome(true);
  }

  SloStatus status(std::size_t i = 0) {
    auto all = service_->monitor().statuses();
    EXPECT_GT(all.size(), i);
    return all.size() > i ? all[i] : SloStatus{};
  }
  // The bodies of the alerts sent so far, in order.
  std::vector<json> sent_bodies() const {
    std::vector<json> out;
    for (const auto& r : transport_.sent) out.push_back(json::parse(r.body));
    return out;
  }
  double gauge(const char* name, const std::string& slo) {
    return registry_.gauge(name, "", {"slo"}).with({slo}).value();
  }

  std::shared_ptr<ManualClock> clock_ = std::make_shared<ManualClock>();
  MemoryWorkflowStore workflows_;
  MemoryAlertStore alerts_;
  metrics::Registry registry_;
  FakeTransport transport_;
  config::Config cfg_;
  std::unique_ptr<SloService> service_;
  int instances_ = 0;
};

TEST_F(SloTest, RatioAndErrorBudgetAreComputedOverTheRollingWindow) {
  start({sla_slo(0.9)});
  service_->tick();
  EXPECT_EQ(status().ratio, 1.0);  // no outcomes yet: met
  EXPECT_EQ(status().state, "ok");

  outcomes(9, 1);
  service_->tick();
  EXPECT_DOUBLE_EQ(status().ratio, 0.9);
  EXPECT_NEAR(status().error_budget_remaining, 0.0, 1e-9);  // the one miss allowed, spent
  EXPECT_EQ(status().state, "ok");
  EXPECT_DOUBLE_EQ(gauge("weft_slo_ratio", "credits-posted-fast"), 0.9);

  clock_->advance(30min);
  outcomes(0, 1);
  service_->tick();
  EXPECT_NEAR(status().ratio, 9.0 / 11.0, 1e-9);
  EXPECT_EQ(status().met, 9);
  EXPECT_EQ(status().breached, 2);
  EXPECT_EQ(status().state, "breached");
  EXPECT_LT(status().error_budget_remaining, 0.0);
  EXPECT_EQ(gauge("weft_slo_breached", "credits-posted-fast"), 1.0);

  // The first ten leave the window an hour after they were decided; the late one stays.
  clock_->advance(31min);
  service_->tick();
  EXPECT_EQ(status().met, 0);
  EXPECT_EQ(status().breached, 1);
  EXPECT_EQ(status().ratio, 0.0);
  clock_->advance(30min);
  service_->tick();
  EXPECT_EQ(status().ratio, 1.0);
  EXPECT_EQ(status().state, "ok");
  EXPECT_EQ(gauge("weft_slo_breached", "credits-posted-fast"), 0.0);
}

TEST_F(SloTest, ABreachAlertsOncePerBreachWindowThenARecoveryIsResolved) {
  start({sla_slo(0.9)});
  outcomes(1, 1);
  service_->tick();
  ASSERT_EQ(transport_.sent.size(), 1u);
  const json first = sent_bodies()[0];
  EXPECT_EQ(first["type"], "slo.breached");
  EXPECT_EQ(first["state"], "breached");
  const std::string since = first["since"];

  // Still breached, within the breach window: nothing more, however often it is evaluated.
  for (int i = 0; i < 5; ++i) {
    clock_->advance(10min);
    outcomes(0, 1);
    service_->tick();
  }
  EXPECT_EQ(transport_.sent.size(), 1u);

  // The window has passed and it is still breached: one reminder, the same breach.
  clock_->advance(10min);
  outcomes(0, 1);
  service_->tick();
  ASSERT_EQ(transport_.sent.size(), 2u);
  EXPECT_EQ(sent_bodies()[1]["type"], "slo.breached");
  EXPECT_EQ(sent_bodies()[1]["since"], since);
  EXPECT_NE(sent_bodies()[1]["id"], first["id"]);
  service_->tick();
  EXPECT_EQ(transport_.sent.size(), 2u);

  // Recovery: enough met outcomes; one resolved notice, then quiet.
  outcomes(200, 0);
  service_->tick();
  ASSERT_EQ(transport_.sent.size(), 3u);
  EXPECT_EQ(sent_bodies()[2]["type"], "slo.resolved");
  EXPECT_EQ(sent_bodies()[2]["state"], "ok");
  clock_->advance(2h);
  service_->tick();
  EXPECT_EQ(transport_.sent.size(), 3u);
  EXPECT_EQ(ok(alerts_.alerts("credits-posted-fast", 10)).size(), 3u);
}

TEST_F(SloTest, TheAlertCarriesTheBusinessContextAndAVerifiableSignature) {
  start({sla_slo(0.99)});
  outcomes(3, 2);
  service_->tick();
  ASSERT_EQ(transport_.sent.size(), 1u);
  const delivery::OutboundRequest& sent = transport_.sent[0];
  EXPECT_EQ(sent.method, "POST");
  EXPECT_EQ(sent.url, "https://alerts.example.test/hook");
  EXPECT_EQ(sent.headers.get("Content-Type").value_or(""), "application/json");

  const json body = json::parse(sent.body);
  EXPECT_EQ(sent.headers.get(kAlertIdHeader).value_or(""), body["id"].get<std::string>());
  EXPECT_EQ(body["slo"], "credits-posted-fast");
  EXPECT_EQ(body["workflow"], "service-credit");
  EXPECT_EQ(body["sla"], "approval-to-erp");
  EXPECT_DOUBLE_EQ(body["ratio"].get<double>(), 0.6);
  EXPECT_DOUBLE_EQ(body["objective"].get<double>(), 0.99);
  EXPECT_EQ(body["window"], "1h");
  EXPECT_EQ(body["outcomes"], (json{{"met", 3}, {"breached", 2}}));
  ASSERT_EQ(body["instances"].size(), 2u);  // the breaching ones only
  const json& instance = body["instances"][0];
  EXPECT_EQ(instance["context"]["customer"], "org_9");
  EXPECT_EQ(instance["context"]["amount"], 2500);
  EXPECT_EQ(instance["context"]["currency"], "usd");
  EXPECT_EQ(instance["links"]["instance"],
            "/v1/workflows/" + instance["instance_id"].get<std::string>());
  EXPECT_EQ(instance["links"]["lineage"].get<std::string>().rfind("/v1/lineage/zen%3Aticket%3A", 0),
            0u);
  EXPECT_EQ(body["links"]["slos"], "/v1/slos");

  // The receiver's check: HMAC-SHA256 over "t.body" with the shared secret, fresh timestamp.
  const connectors::TimestampedSignatureVerifier receiver(
      std::string(connectors::kWeftSignatureHeader), kSecret, 300s);
  EXPECT_TRUE(receiver.verify(sent.headers, sent.body, clock_->now()).ok());
  EXPECT_FALSE(receiver.verify(sent.headers, sent.body + " ", clock_->now()).ok());
  const connectors::TimestampedSignatureVerifier impostor(
      std::string(connectors::kWeftSignatureHeader), "another secret", 300s);
  EXPECT_FALSE(impostor.verify(sent.headers, sent.body, clock_->now()).ok());
  EXPECT_FALSE(
      receiver.verify(sent.headers, sent.body, clock_->now() + 10min).ok());  // a replay, late
}

TEST_F(SloTest, AnAlertQueuedWhileTheWebhookIsDownIsRetriedUntilItGetsThrough) {
  transport_.script = {FakeTransport::down(), FakeTransport::status(503),
                       FakeTransport::status(500)};
  start({sla_slo(0.9)});
  outcomes(0, 1);
  service_->tick();
  ASSERT_EQ(transport_.sent.size(), 1u);
  auto pending = ok(alerts_.alerts("credits-posted-fast", 10));
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0].status, "pending");
  EXPECT_EQ(pending[0].attempts, 1);
  EXPECT_GT(pending[0].next_attempt_ms, now());  // backing off, not hammering
  EXPECT_NE(pending[0].last_error.find("connection refused"), std::string::npos);

  service_->tick();  // not due yet
  EXPECT_EQ(transport_.sent.size(), 1u);

  // Each retry waits longer; the third retry gets through.
  std::int64_t previous_wait = 0;
  for (int attempt = 2; attempt <= 4; ++attempt) {
    auto a = ok(alerts_.alerts("credits-posted-fast", 1)).at(0);
    const std::int64_t wait = a.next_attempt_ms - now();
    EXPECT_GT(wait, previous_wait) << attempt;
    previous_wait = wait;
    clock_->advance(std::chrono::milliseconds(wait));
    service_->tick();
    EXPECT_EQ(transport_.sent.size(), static_cast<std::size_t>(attempt));
  }
  auto delivered = ok(alerts_.alerts("credits-posted-fast", 10));
  ASSERT_EQ(delivered.size(), 1u);  // one alert, not one per attempt
  EXPECT_EQ(delivered[0].status, "delivered");
  EXPECT_EQ(delivered[0].attempts, 4);
  for (const auto& r : transport_.sent)
    EXPECT_EQ(r.body, transport_.sent[0].body);  // the same alert
  EXPECT_EQ(
      registry_.counter("weft_slo_alert_attempts_total", "", {"outcome"}).with({"failed"}).value(),
      3.0);
  EXPECT_EQ(registry_.counter("weft_slo_alert_attempts_total", "", {"outcome"})
                .with({"delivered"})
                .value(),
            1.0);

  clock_->advance(24h);
  service_->tick();  // still breached: a reminder, which goes through at once
  EXPECT_EQ(transport_.sent.size(), 5u);
}

TEST_F(SloTest, AnAlertTheWebhookNeverTakesIsAbandonedAfterADay) {
  for (int i = 0; i < 5000; ++i)
    transport_.script.push_back(FakeTransport::status(502));  // never up
  start({sla_slo(0.9)});
  outcomes(0, 1);
  service_->tick();
  auto first = [&] { return ok(alerts_.alerts("credits-posted-fast", 100)).back(); };  // the oldest
  ASSERT_EQ(first().status, "pending");
  for (int i = 0; i < 200 && first().status == "pending"; ++i) {
    clock_->advance(10min);
    outcomes(0, 1);  // stays breached; reminders are due only hourly
    service_->tick();
  }
  auto all = ok(alerts_.alerts("credits-posted-fast", 100));
  EXPECT_EQ(all.back().status, "abandoned");
  EXPECT_GE(clock_->unix_millis() - all.back().created_at_ms,
            23 * 3'600'000);  // a day of tries, less a backoff
  EXPECT_EQ(all.back().last_error.find("502") != std::string::npos, true) << all.back().last_error;
}

TEST_F(SloTest, AGrowingExceptionBacklogAlertsWithItsExceptions) {
  start({backlog_slo(2)});
  auto open = [&](int n) {
    Transition t;
    ExceptionRecord e;
    e.id = "exc_" + std::to_string(n);
    e.instance_id = "wf_" + std::to_string(n);
    e.workflow = "service-credit";
    e.step_id = "credit_memo";
    e.failure_class = "validation";
    e.reason = "NetSuite refused the credit memo";
    e.created_at_ms = now();
    t.open_exceptions.push_back(e);
    ok(workflows_.apply(std::span<const Transition>(&t, 1)));
  };
  open(1);
  open(2);
  service_->tick();
  EXPECT_EQ(status().state, "ok");
  EXPECT_EQ(status().open_exceptions, 2);
  EXPECT_TRUE(transport_.sent.empty());

  open(3);
  service_->tick();
  EXPECT_EQ(status().state, "breached");
  ASSERT_EQ(transport_.sent.size(), 1u);
  json body = sent_bodies()[0];
  EXPECT_EQ(body["kind"], "exceptions");
  EXPECT_EQ(body["open_exceptions"], 3);
  EXPECT_EQ(body["max_open"], 2);
  ASSERT_EQ(body["exceptions"].size(), 3u);
  EXPECT_EQ(body["exceptions"][0]["links"]["exception"], "/v1/exceptions/exc_1");
  EXPECT_EQ(body["links"]["exceptions"], "/v1/exceptions?status=open&workflow=service-credit");

  ASSERT_TRUE(ok(workflows_.resolve_exception("exc_3", ExceptionStatus::discarded, "ops",
                                              "duplicate", now())));
  service_->tick();
  EXPECT_EQ(status().state, "ok");
  ASSERT_EQ(transport_.sent.size(), 2u);
  EXPECT_EQ(sent_bodies()[1]["type"], "slo.resolved");
}

TEST_F(SloTest, WithoutAlertsConfiguredSlosAreComputedAndNothingIsQueued) {
  start({sla_slo(0.9), backlog_slo(0)}, false);
  outcomes(0, 3);
  service_->tick();
  EXPECT_EQ(status(0).state, "breached");
  EXPECT_EQ(status(1).state, "ok");
  EXPECT_TRUE(ok(alerts_.alerts("", 10)).empty());
  EXPECT_TRUE(transport_.sent.empty());
}

// The engine writes an SLA's outcome with the transition that learnt it: a breach noticed
// while the end milestone is pending, and the end when it comes (counted once).
TEST(EngineSlaOutcomes, AreRecordedDurablyWhenMetAndWhenBreached) {
  constexpr const char* kWorkflow = R"(name: credit
version: 1
trigger: {event: case.credit_requested}
slas:
  - {name: approval-to-erp, from: approved, to: posted, limit: 15m}
steps:
  - id: approve
    call: erp.approve
    milestone: approved
  - id: post
    call: erp.post
    milestone: posted
)";
  auto clock = std::make_shared<ManualClock>();
  // The ERP's post takes `post_takes` of (manual) time.
  struct SlowErp : engine::ActionInvoker {
    engine::ActionOutcome invoke(const engine::ActionRequest& request) override {
      if (request.action == "post") clock->advance(post_takes);
      return engine::ActionSuccess{json::object()};
    }
    std::shared_ptr<ManualClock> clock;
    std::chrono::milliseconds post_takes{0};
  } erp;
  erp.clock = clock;
  auto catalog = std::make_shared<engine::WorkflowCatalog>();
  auto def = engine::load_definition(kWorkflow, "credit.yaml", engine::ValidationOptions{});
  ASSERT_TRUE(def.ok()) << config::format_errors(def.error());
  ASSERT_TRUE(catalog->add(*def).ok());
  MemoryWorkflowStore store;
  metrics::Registry registry;
  engine::EngineMetrics engine_metrics(registry);
  engine::Executor executor(store, catalog, erp, engine_metrics, clock,
                            engine::ExecutorOptions{1, 42, {}});
  ASSERT_TRUE(executor.start(false).ok());
  std::int64_t started = 0;  // each instance's trigger position
  auto run = [&](const std::string& id, std::chrono::milliseconds post_takes) {
    erp.post_takes = post_takes;
    json event = {{"id", "ce_" + id},
                  {"type", "case.credit_requested"},
                  {"business_key", "key-" + id},
                  {"payload", json::object()}};
    InstanceRecord r =
        engine::InstanceRun::start(*catalog->latest("credit"), id, event, "key-" + id, "ce_" + id,
                                   ++started, "corr-" + id, clock->unix_millis());
    Transition create;
    create.create = r;
    ok(store.apply(std::span<const Transition>(&create, 1)));
    executor.schedule(r);
    executor.run_due();
  };
  const std::int64_t start = clock->unix_millis();
  run("fast", 1min);
  run("slow", 20min);
  SlaOutcomeQuery q{"credit", "approval-to-erp", start - 1, clock->unix_millis(), std::nullopt,
                    100};
  auto counts = ok(store.count_sla_outcomes(q));
  EXPECT_EQ(counts.met, 1);
  EXPECT_EQ(counts.breached, 1);
  auto breached = ok(
      store.query_sla_outcomes(SlaOutcomeQuery{q.workflow, q.sla, q.from_ms, q.to_ms, true, 10}));
  ASSERT_EQ(breached.size(), 1u);
  EXPECT_EQ(breached[0].instance_id, "slow");
  EXPECT_EQ(breached[0].business_key, "key-slow");
  ASSERT_TRUE(breached[0].finished_at_ms.has_value());
  EXPECT_EQ(*breached[0].finished_at_ms - breached[0].started_at_ms, 20 * 60'000);
  EXPECT_EQ(registry.counter("weft_sla_breaches_total", "", {"workflow", "sla"})
                .with({"credit", "approval-to-erp"})
                .value(),
            1.0);
  executor.stop();
}

// The dedup state and the queue are durable: after a restart on the same database, a breach
// that was alerted is not alerted again, and an alert still pending is delivered.
TEST(SloRestart, NeitherRepeatsNorLosesAnAlert) {
  test::TempDir dir("weft-slo");
  const std::string url = "sqlite:" + (std::filesystem::path(dir.path()) / "weft.db").string();
  auto clock = std::make_shared<ManualClock>();
  config::Config cfg;
  cfg.slos = {sla_slo(0.9)};
  cfg.alerts = alerts_config();
  FakeTransport transport;
  transport.script = {FakeTransport::down()};
  auto record_breach = [&](WorkflowStore& store, const std::string& id) {
    Transition t;
    t.sla_outcomes.push_back({id, "service-credit", "approval-to-erp", "key-" + id,
                              clock->unix_millis() - 1, clock->unix_millis(), true, std::nullopt});
    ok(store.apply(std::span<const Transition>(&t, 1)));
  };
  {
    auto storage = open_storage(url);
    ASSERT_TRUE(storage.ok()) << storage.error().message;
    metrics::Registry registry;
    SloService service(cfg, *storage->workflows, *storage->alerts, registry, clock,
                       std::make_unique<SharedTransport>(transport));
    ASSERT_TRUE(service.start(false).ok());
    record_breach(*storage->workflows, "wf_1");
    service.tick();  // queued; the webhook is down
    EXPECT_EQ(transport.sent.size(), 1u);
  }
  clock->advance(10min);
  {
    auto storage = open_storage(url);
    ASSERT_TRUE(storage.ok()) << storage.error().message;
    metrics::Registry registry;
    SloService service(cfg, *storage->workflows, *storage->alerts, registry, clock,
                       std::make_unique<SharedTransport>(transport));
    ASSERT_TRUE(service.start(false).ok());
    record_breach(*storage->workflows, "wf_2");
    service.tick();  // the pending one goes out; the breach is known: no second alert
    ASSERT_EQ(transport.sent.size(), 2u);
    EXPECT_EQ(transport.sent[1].body, transport.sent[0].body);
    service.tick();
    EXPECT_EQ(transport.sent.size(), 2u);
    auto alerts = storage->alerts->alerts("", 10);
    ASSERT_TRUE(alerts.ok());
    ASSERT_EQ(alerts->size(), 1u);
    EXPECT_EQ(alerts->front().status, "delivered");
  }
}

}  // namespace
}  // namespace weft::slo
