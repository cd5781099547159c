// The executor with its own threads: an instance waiting for a platform or for its commit
// holds no thread, `workers` bounds the instances in flight, and every instance still runs
// to the end with each effect called once. The invoker holds every call until the test
// answers it, the way the real transport's event loop does.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "engine/executor.hpp"
#include "store/memory/memory_workflow_store.hpp"

namespace weft::engine {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

// Keeps every call in flight until answer_all(); invoke() (blocking) must not be used.
class HeldInvoker final : public ActionInvoker {
 public:
  ActionOutcome invoke(const ActionRequest& request) override {
    ADD_FAILURE() << "the engine called " << request.step_id << " blocking";
    return delivery::Failure{};
  }
  void invoke_async(const ActionRequest& request, ActionDone done) override {
    std::lock_guard lock(mutex_);
    keys_.push_back(request.idempotency_key);
    held_.push_back({request.step_id, std::move(done)});
    peak_ = std::max(peak_, held_.size());
    changed_.notify_all();
  }
  // Waits (at most 10 s, against a hang) until `n` calls are in flight; false if never.
  bool wait_for_held(std::size_t n) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, 10s, [&] { return held_.size() >= n; });
  }
  // Answers every call in flight with success, from this thread.
  std::vector<std::string> answer_all() {
    std::deque<std::pair<std::string, ActionDone>> answering;
    {
      std::lock_guard lock(mutex_);
      answering.swap(held_);
    }
    std::vector<std::string> steps;
    for (auto& [step, done] : answering) {
      steps.push_back(step);
      done(ActionSuccess{json{{"id", step}}});
    }
    return steps;
  }
  std::size_t peak() {
    std::lock_guard lock(mutex_);
    return peak_;
  }
  std::vector<std::string> keys() {
    std::lock_guard lock(mutex_);
    return keys_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::pair<std::string, ActionDone>> held_;
  std::vector<std::string> keys_;
  std::size_t peak_ = 0;
};

constexpr const char* kThreeSteps = R"(name: three-steps
version: 1
trigger: {event: invoice.paid}
steps:
  - {id: credit, call: billing.create_credit_note}
  - {id: post, call: erp.post_journal}
  - {id: tell, call: support.add_comment}
)";

constexpr const char* kFanOut = R"(name: fan-out
version: 1
trigger: {event: invoice.paid}
steps:
  - id: everywhere
    parallel:
      - {name: erp, steps: [{id: post, call: erp.post_journal}]}
      - {name: support, steps: [{id: tell, call: support.add_comment}]}
)";

// Looks for something on a platform, and waits for the platform's report of it if it was not
// there yet (invoice-dispute's erp_lookup and await_erp_posting).
constexpr const char* kLookThenWait = R"(name: look-then-wait
version: 1
trigger: {event: invoice.paid}
steps:
  - {id: look, call: erp.post_journal}
  - id: posted
    wait:
      event: {type: invoice.posted, key: '.event.business_key'}
      timeout: 10m
  - {id: tell, call: support.add_comment}
)";

class ExecutorFlights : public ::testing::Test {
 protected:
  void load(const char* workflow) {
    auto def = load_definition(workflow, "test.yaml", ValidationOptions{});
    ASSERT_TRUE(def.ok()) << config::format_errors(def.error());
    definition = std::make_shared<WorkflowDefinition>(*def);
    catalog = std::make_shared<WorkflowCatalog>();
    ASSERT_TRUE(catalog->add(*def).ok());
  }

  // Creates `n` instances with keys k0 … k<n-1>, due now, and hands them to the executor.
  void create(Executor& executor, int n) {
    for (int i = 0; i < n; ++i) {
      const std::string key = "k" + std::to_string(i);
      json event = {{"id", "ce_" + key},
                    {"type", "invoice.paid"},
                    {"business_key", key},
                    {"payload", json::object()}};
      InstanceRecord record = InstanceRun::start(*definition, "wf_" + key, event, key, "ce_" + key,
                                                 i + 1, "corr-" + key, clock->unix_millis());
      Transition t;
      t.create = record;
      ASSERT_EQ(store.apply(std::span<const Transition>(&t, 1)).value()[0],
                TransitionOutcome::applied);
      record.revision = 1;
      executor.schedule(record);
    }
  }

  // An executor running `workers` instances at most on `threads` threads of its own.
  std::unique_ptr<Executor> start(int workers, int threads) {
    ExecutorOptions options;
    options.workers = workers;
    options.threads = threads;
    options.random_seed = 7;
    auto executor = std::make_unique<Executor>(store, catalog, invoker, metrics, clock, options);
    EXPECT_TRUE(executor->start().ok());
    return executor;
  }

  std::size_t completed(int n) {
    std::size_t done = 0;
    for (int i = 0; i < n; ++i) {
      auto r = store.load_instance("wf_k" + std::to_string(i)).value();
      if (r && r->status == InstanceStatus::completed) ++done;
    }
    return done;
  }

  ClockPtr clock = system_clock();
  metrics::Registry registry;
  EngineMetrics metrics{registry};
  MemoryWorkflowStore store;
  HeldInvoker invoker;
  std::shared_ptr<WorkflowDefinition> definition;
  std::shared_ptr<WorkflowCatalog> catalog;
};

TEST_F(ExecutorFlights, InstancesWaitingForPlatformsHoldNoThread) {
  load(kThreeSteps);
  auto executor = start(16, 1);
  create(*executor, 8);
  // One thread has all eight instances waiting for their first call at once, then their
  // second, then their third.
  for (const char* step : {"credit", "post", "tell"}) {
    ASSERT_TRUE(invoker.wait_for_held(8)) << "waiting for the calls of " << step;
    const auto answered = invoker.answer_all();
    ASSERT_EQ(answered.size(), 8u);
    for (const auto& s : answered) EXPECT_EQ(s, step);
  }
  executor->stop();
  EXPECT_EQ(completed(8), 8u);
  // Each effect was called once, each with its own idempotency key.
  const auto keys = invoker.keys();
  EXPECT_EQ(keys.size(), 24u);
  EXPECT_EQ(std::set<std::string>(keys.begin(), keys.end()).size(), 24u);
}

TEST_F(ExecutorFlights, WorkersBoundTheInstancesInFlight) {
  load(kThreeSteps);
  auto executor = start(3, 2);
  create(*executor, 8);
  // Three instances start; the other five wait for a place however long those take.
  ASSERT_TRUE(invoker.wait_for_held(3));
  std::size_t answered = 0;
  while (answered < 24) {
    ASSERT_TRUE(invoker.wait_for_held(1)) << answered << " calls answered";
    answered += invoker.answer_all().size();
  }
  executor->stop();
  EXPECT_EQ(completed(8), 8u);
  EXPECT_EQ(invoker.peak(), 3u);  // never more than `workers` at once
}

TEST_F(ExecutorFlights, ParallelBranchesCallAtOnceWithoutThreadsOfTheirOwn) {
  load(kFanOut);
  auto executor = start(4, 1);
  create(*executor, 1);
  ASSERT_TRUE(invoker.wait_for_held(2));
  auto steps = invoker.answer_all();
  std::sort(steps.begin(), steps.end());
  EXPECT_EQ(steps, (std::vector<std::string>{"post", "tell"}));
  executor->stop();
  EXPECT_EQ(completed(1), 1u);
}

// stop() lets the calls in flight end and commits their outcomes, but makes no new call: the
// next start makes them, once each, with the keys they would have had.
TEST_F(ExecutorFlights, StoppingEndsTheCallsInFlightAndStartsNoNewOnes) {
  load(kThreeSteps);
  auto executor = start(16, 1);
  create(*executor, 4);
  ASSERT_TRUE(invoker.wait_for_held(4));
  auto stopped = std::async(std::launch::async, [&] { executor->stop(); });
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!executor->stopping() && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
  ASSERT_TRUE(executor->stopping());
  const auto first = invoker.answer_all();
  if (stopped.wait_for(10s) != std::future_status::ready) {
    ADD_FAILURE() << "stop() did not return: it waits for calls made after it began";
    while (stopped.wait_for(10ms) != std::future_status::ready) invoker.answer_all();
  }
  EXPECT_EQ(first, (std::vector<std::string>(4, "credit")));
  EXPECT_EQ(invoker.keys().size(), 4u) << "no call of the next step after stop()";
  for (int i = 0; i < 4; ++i) {
    const auto r = store.load_instance("wf_k" + std::to_string(i)).value();
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->status, InstanceStatus::running);
    std::vector<std::string> done;
    for (const StepEventRecord& e : store.history(r->id).value()) {
      if (e.kind == "completed") done.push_back(e.step_id);
    }
    EXPECT_EQ(done, std::vector<std::string>{"credit"}) << "the first call's outcome is committed";
  }

  // The next start goes on from there: two calls more per instance, each once.
  auto again = start(16, 1);
  for (const char* step : {"post", "tell"}) {
    ASSERT_TRUE(invoker.wait_for_held(4)) << "waiting for the calls of " << step;
    for (const auto& s : invoker.answer_all()) EXPECT_EQ(s, step);
  }
  again->stop();
  EXPECT_EQ(completed(4), 4u);
  const auto keys = invoker.keys();
  EXPECT_EQ(keys.size(), 12u);
  EXPECT_EQ(std::set<std::string>(keys.begin(), keys.end()).size(), 12u);
}

// The report arrives while the instance is still busy with its look (its wait not yet
// committed, so nobody waits for it): the instance takes it when its wait begins, instead of
// sleeping until the wait's timeout. A report from before its trigger it leaves alone.
TEST_F(ExecutorFlights, AnEventThatArrivesJustBeforeItsWaitBeginsIsTakenThen) {
  load(kLookThenWait);
  auto executor = start(16, 1);
  create(*executor, 1);  // wf_k0, key k0, trigger at position 1
  ASSERT_TRUE(invoker.wait_for_held(1));
  auto report = [](const std::string& id, std::int64_t order_seq) {
    CanonicalEventRecord e;
    e.id = id;
    e.type = "invoice.posted";
    e.business_key = "k0";
    e.order_seq = order_seq;
    e.json = json{{"id", id}, {"type", e.type}, {"business_key", "k0"}, {"payload", json::object()}}
                 .dump();
    return e;
  };
  executor->deliver(report("ce_before_trigger", 0));
  executor->deliver(report("ce_posted", 2048));
  EXPECT_EQ(invoker.answer_all(), std::vector<std::string>{"look"});
  ASSERT_TRUE(invoker.wait_for_held(1)) << "the wait never took the report";
  EXPECT_EQ(invoker.answer_all(), std::vector<std::string>{"tell"});
  executor->stop();
  EXPECT_EQ(completed(1), 1u);
  const auto state = json::parse(store.load_instance("wf_k0").value()->state_json);
  EXPECT_EQ(state["posted"]["id"], "ce_posted") << state.dump();
}

}  // namespace
}  // namespace weft::engine
