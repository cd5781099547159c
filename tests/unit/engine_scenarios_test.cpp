// Data-driven engine tests: each file in tests/scenarios/engine pairs a workflow, the event
// that starts it, the platforms' scripted answers (successes, errors, 429s, timeouts),
// people's decisions and later events, with the expected step history and final state.
// Time is a ManualClock that jumps to the next due time: no sleeping.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <deque>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>

#include "engine/executor.hpp"
#include "store/memory/memory_workflow_store.hpp"
#include "weft/manual_clock.hpp"

namespace weft::engine {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

json yaml_to_json(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map: {
      json out = json::object();
      for (const auto& kv : node) out[kv.first.as<std::string>()] = yaml_to_json(kv.second);
      return out;
    }
    case YAML::NodeType::Sequence: {
      json out = json::array();
      for (const auto& item : node) out.push_back(yaml_to_json(item));
      return out;
    }
    case YAML::NodeType::Scalar: {
      const std::string s = node.Scalar();
      if (node.Tag() == "!") return s;  // quoted
      if (s == "true") return true;
      if (s == "false") return false;
      if (s == "null" || s == "~") return nullptr;
      try {
        std::size_t used = 0;
        const long long i = std::stoll(s, &used);
        if (used == s.size()) return i;
        const double d = std::stod(s, &used);
        if (used == s.size()) return d;
      } catch (const std::exception&) {
      }
      return s;
    }
    default:
      return nullptr;
  }
}

// Answers calls from the script; records every request.
class ScriptedInvoker : public ActionInvoker {
 public:
  explicit ScriptedInvoker(json script) : script_(std::move(script)) {}
  ActionOutcome invoke(const ActionRequest& request) override {
    std::lock_guard lock(mutex_);
    const std::string name = request.connector + "." + request.action;
    calls_.push_back({name, request.idempotency_key, request.input});
    json& queue = script_[name];
    json answer = json{{"ok", json::object()}};
    if (queue.is_array() && !queue.empty()) {
      answer = queue.front();
      if (queue.size() > 1) queue.erase(queue.begin());
    }
    if (answer.contains("ok")) return ActionSuccess{answer["ok"]};
    if (answer.contains("defer_ms")) return Deferred{std::chrono::milliseconds(answer["defer_ms"].get<int>()), "scripted"};
    delivery::Failure f;
    f.cls = delivery::parse_failure_class(answer.value("fail", "transient")).value_or(delivery::FailureClass::transient);
    f.message = answer.value("message", "scripted failure");
    f.http_status = answer.value("status", 0);
    if (answer.contains("retry_after_ms")) f.retry_after = std::chrono::milliseconds(answer["retry_after_ms"].get<int>());
    return f;
  }
  struct Call {
    std::string name, key;
    json input;
  };
  std::vector<Call> calls() {
    std::lock_guard lock(mutex_);
    return calls_;
  }

 private:
  std::mutex mutex_;
  json script_;
  std::vector<Call> calls_;
};

bool contains_subset(const json& whole, const json& part) {
  if (part.is_object()) {
    if (!whole.is_object()) return false;
    for (const auto& [k, v] : part.items()) {
      if (!whole.contains(k) || !contains_subset(whole[k], v)) return false;
    }
    return true;
  }
  return whole == part;
}

std::vector<fs::path> scenario_files() {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(fs::path(WEFT_SOURCE_DIR) / "tests/scenarios/engine")) {
    if (e.path().extension() == ".yaml") out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

class EngineScenario : public ::testing::TestWithParam<fs::path> {};

TEST_P(EngineScenario, RunsAsWritten) {
  const YAML::Node file = YAML::LoadFile(GetParam().string());
  const json spec = yaml_to_json(file);
  SCOPED_TRACE(spec.value("description", GetParam().filename().string()));

  ValidationOptions options;
  auto def = load_definition(file["workflow"].as<std::string>(), GetParam().filename().string(), options);
  ASSERT_TRUE(def.ok()) << config::format_errors(def.error());
  auto catalog = std::make_shared<WorkflowCatalog>();
  ASSERT_TRUE(catalog->add(*def).ok());

  auto clock = std::make_shared<ManualClock>();
  metrics::Registry registry;
  EngineMetrics metrics(registry);
  MemoryWorkflowStore store;
  ScriptedInvoker invoker(spec.value("responses", json::object()));
  Executor executor(store, catalog, invoker, metrics, clock, ExecutorOptions{1, 42, {}});
  ASSERT_TRUE(executor.start(/*threads=*/false).ok());

  const json start = spec["start"];
  json event = {{"id", "ce_1"}, {"type", start.value("type", def->trigger.events.front())},
                {"business_key", start.value("key", "k1")}, {"payload", start.value("payload", json::object())}};
  InstanceRecord record = InstanceRun::start(*def, "wf_1", event, event["business_key"], "ce_1", 1, "corr-1",
                                             clock->unix_millis());
  Transition create;
  create.create = record;
  ASSERT_EQ(store.apply(std::span<const Transition>(&create, 1)).value()[0], TransitionOutcome::applied);
  executor.schedule(record);

  json decisions = spec.value("decisions", json::array());
  json events = spec.value("events", json::array());
  json exception_actions = spec.value("exception_actions", json::array());
  for (int round = 0; round < 500; ++round) {
    executor.run_due();
    auto current = store.load_instance("wf_1").value().value();
    if (is_terminal(current.status) && exception_actions.empty()) break;
    bool acted = false;
    if (current.status == InstanceStatus::waiting || current.status == InstanceStatus::running) {
      for (const ApprovalRecord& a : store.pending_approvals().value()) {
        for (auto it = decisions.begin(); it != decisions.end(); ++it) {
          if ((*it)["step"] != a.step_id) continue;
          auto r = executor.decide(a.id, (*it).value("approved", true), (*it).value("by", "approver"),
                                   (*it).value("comment", ""));
          if (it->value("expect_error", false)) {
            EXPECT_FALSE(r.ok());
          } else {
            EXPECT_TRUE(r.ok()) << r.error().message;
          }
          decisions.erase(it);
          acted = true;
          break;
        }
        if (acted) break;
      }
      if (!acted && !events.empty()) {
        const json e = events.front();
        events.erase(events.begin());
        CanonicalEventRecord c;
        c.id = e.value("id", "ce_" + std::to_string(round + 100));
        c.type = e["type"];
        c.business_key = e.value("key", "k1");
        c.json = json{{"id", c.id}, {"type", c.type}, {"business_key", c.business_key},
                      {"payload", e.value("payload", json::object())}}
                     .dump();
        executor.deliver(c);
        acted = true;
      }
    }
    if (!acted && current.status == InstanceStatus::failed && !exception_actions.empty()) {
      const json action = exception_actions.front();
      exception_actions.erase(exception_actions.begin());
      auto open = store.query_exceptions(ExceptionQuery{ExceptionStatus::open, {}, {}, "", 10}).value();
      ASSERT_FALSE(open.empty());
      if (action.value("do", "retry") == "retry") {
        std::optional<json> input;
        if (action.contains("input")) input = action["input"];
        ASSERT_TRUE(executor.retry(open.front().id, input, "operator").ok());
      } else {
        ASSERT_TRUE(executor.discard(open.front().id, action.value("reason", "not needed"), "operator").ok());
      }
      acted = true;
    }
    if (acted) continue;
    auto due = executor.next_due();
    if (!due) break;
    if (*due > clock->unix_millis()) clock->advance(std::chrono::milliseconds(*due - clock->unix_millis()));
  }

  const json expect = spec["expect"];
  const InstanceRecord final_record = store.load_instance("wf_1").value().value();
  EXPECT_EQ(to_string(final_record.status), expect.value("status", "completed"));

  if (expect.contains("history")) {
    std::vector<std::string> seen;
    for (const auto& h : store.history("wf_1").value()) seen.push_back(h.step_id + ":" + h.kind);
    std::vector<std::string> wanted = expect["history"].get<std::vector<std::string>>();
    EXPECT_EQ(seen, wanted);
  }
  if (expect.contains("state")) {
    const json state = json::parse(final_record.state_json);
    EXPECT_TRUE(contains_subset(state, expect["state"])) << state.dump(2);
  }
  const auto calls = invoker.calls();
  if (expect.contains("calls")) {
    std::map<std::string, int> counts;
    for (const auto& c : calls) counts[c.name]++;
    for (const auto& [name, n] : expect["calls"].items()) EXPECT_EQ(counts[name], n.get<int>()) << name;
  }
  if (expect.contains("call_order")) {
    std::vector<std::string> order;
    for (const auto& c : calls) order.push_back(c.name);
    EXPECT_EQ(order, expect["call_order"].get<std::vector<std::string>>());
  }
  if (expect.value("same_key_per_action", false)) {
    std::map<std::string, std::set<std::string>> keys;
    for (const auto& c : calls) keys[c.name].insert(c.key);
    for (const auto& [name, set] : keys) EXPECT_EQ(set.size(), 1u) << name << " used several idempotency keys";
  }
  if (expect.contains("inputs")) {
    for (const auto& [name, wanted] : expect["inputs"].items()) {
      json last;
      for (const auto& c : calls) {
        if (c.name == name) last = c.input;
      }
      EXPECT_EQ(last, wanted) << name;
    }
  }
  const auto exceptions = store.query_exceptions(ExceptionQuery{}).value();
  if (expect.contains("exception")) {
    ASSERT_FALSE(exceptions.empty());
    EXPECT_TRUE(contains_subset(json{{"class", exceptions.back().failure_class},
                                     {"step", exceptions.back().step_id},
                                     {"reason", exceptions.back().reason},
                                     {"status", to_string(exceptions.back().status)}},
                                expect["exception"]));
  } else {
    for (const auto& e : exceptions) {
      EXPECT_NE(e.status, ExceptionStatus::open) << "unexpected open exception: " << e.reason;
    }
  }
  if (expect.contains("elapsed_ms_at_least")) {
    EXPECT_GE(clock->unix_millis() - 1'700'000'000'000, expect["elapsed_ms_at_least"].get<std::int64_t>());
  }
  executor.stop();
}

INSTANTIATE_TEST_SUITE_P(Files, EngineScenario, ::testing::ValuesIn(scenario_files()),
                         [](const auto& param_info) {
                           std::string name = param_info.param.stem().string();
                           for (char& c : name) {
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return name;
                         });

}  // namespace
}  // namespace weft::engine
