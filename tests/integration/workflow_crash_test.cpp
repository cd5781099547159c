// "Every effect lands exactly once", across kill -9.
//
// A real `weft serve` takes 1,000 signed Stripe webhooks; each starts an instance of a 3-step
// workflow whose steps call a local HTTP target (EffectTarget), which applies each effect once
// per Idempotency-Key as Stripe does and records which keys every (instance, step) used.
// Meanwhile the hub is killed with SIGKILL several times — while webhooks are still arriving
// and while instances are mid-flight — and restarted on the same database. At the end every
// instance must be completed, and the target must have seen every (instance, step) effect
// under exactly one idempotency key: a call repeated after a crash carries the same key, so
// the effect is applied once. 100 customers share the 1,000 instances, so instances of one
// business key also have to wait for each other across the restarts.
//
// WEFT_BINARY=<path> runs it against another build; WEFT_TEST_KEEP_DIRS=1 keeps the database
// and the hub's logs.

#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "support/effect_target.hpp"
#include "support/http_client.hpp"
#include "support/process.hpp"
#include "support/serve_runner.hpp"
#include "support/workflow_hub.hpp"
#include "weft/workflow_store.hpp"

namespace weft::test {
namespace {

using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

constexpr int kInstances = 1000;
constexpr int kSteps = kWorkflowSteps;
constexpr int kClients = 8;
constexpr const char* kSecret = "whsec_workflow_crash_test";
// Kill points: after this many acknowledged webhooks (the ingest and routing path), then
// after these many effects at the target (instances in the middle of their steps).
constexpr int kKillAfterAcks = 200;
constexpr std::int64_t kKillAfterEffects[] = {900, 1500, 2100, 2600};
constexpr auto kFinishDeadline = 180s;

// Whether the hub is up; clients wait on it after "connection refused".
struct HubState {
  std::mutex mutex;
  std::condition_variable cv;
  bool up = false;
  bool stop = false;
};

class WorkflowCrashTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(target_.start().ok());
    write_workflow_hub(dir_.path(), port_, target_.base_url(), kSecret);
  }

  void TearDown() override {
    if (HasFailure()) {
      dir_.keep();
      std::fprintf(stderr, "%s", runner_.log_tails().c_str());
    }
  }

  // Posts event `i` until the hub acknowledges it (2xx), riding out the kills: an answer lost
  // in a crash is posted again, which the hub answers "duplicate" if it had committed it.
  void post_until_acknowledged(HttpClient& http, int i, HubState& hub) {
    const std::string body = invoice_paid(i);
    for (int attempt = 0; attempt < 10000; ++attempt) {
      const HeaderList headers = {{"Stripe-Signature", stripe_signature(kSecret, body)}};
      auto result = http.post("/hooks/stripe", body, headers);
      if (result && result->status >= 200 && result->status < 300) return;
      if (result && result->status != 503) {
        ADD_FAILURE() << "event " << i << " answered " << result->status << ": " << result->body;
        return;
      }
      std::unique_lock lock(hub.mutex);
      hub.cv.wait_for(lock, 20ms, [&] { return hub.stop || hub.up; });
      if (hub.stop) return;
    }
    ADD_FAILURE() << "event " << i << " was never acknowledged";
  }

  TempDir dir_{"weft-workflow-crash"};
  EffectTarget target_{EffectTargetOptions{1ms, 2}};
  std::uint16_t port_ = free_loopback_port();
  std::string base_url_ = "http://127.0.0.1:" + std::to_string(port_);
  ServeRunner runner_{weft_binary(), dir_.path(), dir_ / "weft.yaml", base_url_};
};

TEST_F(WorkflowCrashTest, EveryStepEffectLandsExactlyOnceAcrossSigkill) {
  HubState hub;
  Process server = runner_.start();
  {
    std::lock_guard lock(hub.mutex);
    hub.up = true;
  }

  std::atomic<int> next{0};
  std::atomic<int> acknowledged{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&] {
      HttpClient http(base_url_);
      for (int i = next++; i < kInstances; i = next++) {
        post_until_acknowledged(http, i, hub);
        ++acknowledged;
      }
    });
  }

  // One kill while webhooks are arriving, the others while instances are mid-flight.
  auto kill_and_restart = [&](const std::string& when) {
    {
      std::lock_guard lock(hub.mutex);
      hub.up = false;
    }
    ASSERT_TRUE(server.kill(SIGKILL));
    server.wait_for(5s);
    std::printf("killed %s (acknowledged %d, effects %lld)\n", when.c_str(), acknowledged.load(),
                static_cast<long long>(target_.effects()));
    server = runner_.start();
    {
      std::lock_guard lock(hub.mutex);
      hub.up = true;
    }
    hub.cv.notify_all();
  };
  const auto deadline = SteadyClock::now() + kFinishDeadline;
  while (acknowledged < kKillAfterAcks && SteadyClock::now() < deadline) std::this_thread::sleep_for(1ms);
  kill_and_restart("after " + std::to_string(kKillAfterAcks) + " acknowledged webhooks");
  for (std::int64_t effects : kKillAfterEffects) {
    ASSERT_TRUE(target_.wait_for_effects(effects, std::chrono::duration_cast<std::chrono::milliseconds>(
                                                      deadline - SteadyClock::now())))
        << "only " << target_.effects() << " effects before the deadline";
    kill_and_restart("after " + std::to_string(effects) + " effects");
  }
  for (auto& client : clients) client.join();
  {
    std::lock_guard lock(hub.mutex);
    hub.stop = true;
  }
  ASSERT_EQ(acknowledged.load(), kInstances);

  const bool finished = target_.wait_for_effects(
      kInstances * kSteps, std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now()));
  // Let calls that are being repeated after the last restart arrive, then stop cleanly.
  std::this_thread::sleep_for(500ms);
  const auto exit = server.stop(SIGTERM, 10s);
  EXPECT_EQ(exit.to_string(), "exit 0");
  ASSERT_TRUE(finished) << "only " << target_.effects() << " of " << kInstances * kSteps << " effects";

  const EffectCounts counts = target_.counts();
  std::printf("target: %lld requests, %lld effects, %lld repeated calls answered from the idempotency store\n",
              static_cast<long long>(counts.requests), static_cast<long long>(counts.effects),
              static_cast<long long>(counts.redeliveries));
  EXPECT_EQ(counts.without_key, 0);
  EXPECT_EQ(counts.effects, kInstances * kSteps);
  std::set<std::string> instances;
  int steps_with_several_keys = 0;
  for (const auto& [instance_step, keys] : counts.keys_by_step) {
    instances.insert(instance_step.first);
    if (keys.size() != 1) ++steps_with_several_keys;
  }
  EXPECT_EQ(counts.keys_by_step.size(), static_cast<std::size_t>(kInstances * kSteps));
  EXPECT_EQ(instances.size(), static_cast<std::size_t>(kInstances));
  EXPECT_EQ(steps_with_several_keys, 0) << "an (instance, step) effect was sent under more than one key";

  // The hub's own record agrees: every instance completed, nothing in the workbench.
  auto storage = open_storage("sqlite:" + (dir_ / "weft.db").string());
  ASSERT_TRUE(storage.ok()) << storage.error().message;
  int completed = 0, total = 0;
  std::map<std::string, std::vector<InstanceRecord>> by_key;
  InstanceQuery q;
  q.limit = 1000;
  for (;;) {
    auto page = storage->workflows->query_instances(q);
    ASSERT_TRUE(page.ok()) << page.error().message;
    for (const auto& r : *page) {
      ++total;
      if (r.status == InstanceStatus::completed) ++completed;
      by_key[r.business_key].push_back(r);
    }
    if (page->size() < 1000) break;
    q.after_id = page->back().id;
  }
  EXPECT_EQ(total, kInstances);
  EXPECT_EQ(completed, kInstances);

  // Instances of one business key ran one after the other, in event-log order, restarts
  // notwithstanding: all of an instance's history precedes all of the next one's.
  EXPECT_EQ(by_key.size(), static_cast<std::size_t>(kWorkflowCustomers));
  int out_of_order = 0;
  for (auto& [key, instances_of_key] : by_key) {
    std::sort(instances_of_key.begin(), instances_of_key.end(),
              [](const auto& a, const auto& b) { return a.order_seq < b.order_seq; });
    std::int64_t previous_last = 0;
    for (const auto& r : instances_of_key) {
      auto history = storage->workflows->history(r.id);
      ASSERT_TRUE(history.ok());
      ASSERT_FALSE(history->empty());
      if (history->front().seq < previous_last) ++out_of_order;
      previous_last = history->back().seq;
    }
  }
  EXPECT_EQ(out_of_order, 0) << "instances of one key overlapped or ran out of event order";
  auto open = storage->workflows->query_exceptions(ExceptionQuery{ExceptionStatus::open, {}, {}, "", 100});
  ASSERT_TRUE(open.ok());
  EXPECT_TRUE(open->empty()) << open->size() << " open exceptions, first: "
                             << (open->empty() ? "" : open->front().reason);
  EXPECT_EQ(storage->events->count_unprocessed().value(), 0);
}

}  // namespace
}  // namespace weft::test
