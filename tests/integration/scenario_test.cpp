// `weft scenario run` and `weft scenario verify` as separate processes, as the issue asks:
// `weft sandbox --hub URL`, `weft serve` on the demo config (pointed at that sandbox, with no
// workflows: the generic checks need none), the scenario played with 20 customers, then
// verify waits for quiescence and prints the report; it exits 0 when consistent. Bad
// arguments exit 2 with a message.

#include <gtest/gtest.h>

#include <csignal>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "support/http_client.hpp"
#include "support/process.hpp"
#include "support/sandbox_runner.hpp"
#include "support/serve_runner.hpp"

namespace weft::test {
namespace {

using nlohmann::json;

std::string replaced(std::string text, const std::string& from, const std::string& to) {
  bool found = false;
  for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
    found = true;
  }
  if (!found) throw std::runtime_error("examples/demo.yaml no longer holds '" + from + "'");
  return text;
}

// demo.yaml without its top-level `slos:` block: its SLOs name the shipped workflows, and a hub
// that loads none refuses them at start.
std::string without_slos(const std::string& config) {
  const auto start = config.find("\nslos:\n");
  if (start == std::string::npos) throw std::runtime_error("examples/demo.yaml no longer holds 'slos:'");
  auto end = start + 1;
  do {
    end = config.find('\n', end) + 1;  // the next line
  } while (end != 0 && end < config.size() && (config[end] == ' ' || config[end] == '#' || config[end] == '\n'));
  return config.substr(0, start + 1) + config.substr(end == 0 ? config.size() : end);
}

struct Finished {
  ExitStatus status;
  std::string out, err;
};

class ScenarioTest : public ::testing::Test {
 protected:
  Finished weft(std::vector<std::string> args, std::chrono::seconds timeout = std::chrono::seconds(120)) {
    const auto out = dir_ / ("out" + std::to_string(runs_)), err = dir_ / ("err" + std::to_string(runs_));
    ++runs_;
    auto process = Process::spawn({weft_binary(), std::move(args), {}, err, out, {}});
    if (!process) throw std::runtime_error(process.error());
    auto status = process->wait_for(timeout);
    if (!status) {
      process->stop(SIGKILL, std::chrono::seconds(1));
      throw std::runtime_error("weft did not finish in time; stderr: " + tail_of_file(err));
    }
    return {*status, read_file(out), read_file(err)};
  }

  // `shipped_workflows`: the repository's workflows/, else none (the generic checks need none).
  void start_platforms_and_hub(bool shipped_workflows = false) {
    sandbox_url_ = sandbox_.start({"--hub", hub_url_});
    std::filesystem::create_directories(dir_ / "workflows");
    const std::string workflows =
        shipped_workflows ? std::string(WEFT_SOURCE_DIR) + "/workflows" : (dir_ / "workflows").string();
    std::string config = read_file(std::string(WEFT_SOURCE_DIR) + "/examples/demo.yaml");
    config = replaced(config, "http://127.0.0.1:7171", sandbox_url_);
    config = replaced(config, "127.0.0.1:7070", "127.0.0.1:" + std::to_string(hub_port_));
    config = replaced(config, "sqlite:../data/demo/weft.db", "sqlite:" + (dir_ / "weft.db").string());
    config = replaced(config, "workflows_dir: ../workflows", "workflows_dir: " + workflows);
    config = replaced(config, "mappings_dir: ../mappings", std::string("mappings_dir: ") + WEFT_SOURCE_DIR + "/mappings");
    if (!shipped_workflows) config = without_slos(config);
    dir_.write("weft.yaml", config);
    hub_.emplace(serve_.start());
  }

  void TearDown() override {
    if (HasFailure()) {
      std::fprintf(stderr, "sandbox log:\n%s\nhub log:\n%s\n", sandbox_.log_tail().c_str(), serve_.log_tails().c_str());
    }
  }

  TempDir dir_{"weft-scenario"};
  int runs_ = 0;
  std::uint16_t hub_port_ = free_loopback_port();
  std::string hub_url_ = "http://127.0.0.1:" + std::to_string(hub_port_);
  SandboxRunner sandbox_{weft_binary(), dir_.path()};
  ServeRunner serve_{weft_binary(), dir_.path(), dir_ / "weft.yaml", hub_url_};
  std::optional<Process> hub_;
  std::string sandbox_url_;
};

TEST_F(ScenarioTest, PlayedScenarioVerifiesConsistent) {
  start_platforms_and_hub();

  const Finished run = weft({"scenario", "run", "--sandbox", sandbox_url_, "--customers", "20", "--seed", "3"});
  ASSERT_TRUE(run.status.exited && run.status.code == 0) << run.status.to_string() << "\n" << run.err;
  const json summary = json::parse(run.out);
  EXPECT_EQ(summary["customers"], 20);
  EXPECT_EQ(summary["activity"]["customers"], 20);
  EXPECT_GE(summary["activity"]["invoices"].get<int>(), 20);
  EXPECT_NE(run.err.find("operations"), std::string::npos) << "progress goes to stderr";

  const Finished verify = weft({"scenario", "verify", "--sandbox", sandbox_url_, "--hub", hub_url_, "--timeout", "90"});
  ASSERT_TRUE(verify.status.exited) << verify.status.to_string();
  const json report = json::parse(verify.out);
  EXPECT_EQ(verify.status.code, 0) << report.dump(2) << "\n" << verify.err;
  ASSERT_TRUE(report.contains("workflows"));
  EXPECT_TRUE(report["workflows"].is_object());
  EXPECT_TRUE(report["exceptions"].is_object());
  EXPECT_EQ(report["quiescence"]["reached"], true);
  const json& consistency = report["consistency"];
  EXPECT_EQ(consistency["ok"], true);
  ASSERT_GE(consistency["checks"].size(), 10u);
  std::set<std::string> names;
  for (const json& check : consistency["checks"]) {
    for (const char* field : {"name", "ok", "expected", "actual"}) ASSERT_TRUE(check.contains(field)) << check;
    EXPECT_EQ(check["ok"], true) << check;
    names.insert(check["name"]);
  }
  for (const char* must : {"sandbox.scenario_present", "links.scenario_customers_on_every_platform",
                           "effects.applied_once_per_idempotency_key", "sandbox.webhooks_delivered"}) {
    EXPECT_TRUE(names.count(must)) << must;
  }
  // No workflows are loaded: their checks are listed as skipped, not passed.
  EXPECT_GE(consistency["skipped"].size(), 2u);
}

// The crash requirement: `weft serve` killed with SIGKILL during a run — once while
// the scenario plays, once while the hub works through what it received — and started again
// each time; the run (with every shipped workflow loaded) still ends consistent. The sandbox
// retries the webhooks the dead hub did not take, and the hub resumes what it had committed.
TEST_F(ScenarioTest, HubKilledDuringTheRunStillEndsConsistent) {
  start_platforms_and_hub(/*shipped_workflows=*/true);
  HttpClient sandbox(sandbox_url_);
  auto last_request = [&] {
    auto answer = sandbox.get("/_sandbox/requests?limit=1");
    if (!answer || answer->status != 200) throw std::runtime_error("the sandbox's request log did not answer");
    return json::parse(answer->body).value("last_seq", std::int64_t{0});
  };
  auto run = Process::spawn({weft_binary(),
                             {"scenario", "run", "--sandbox", sandbox_url_, "--customers", "12", "--seed", "5"},
                             {},
                             dir_ / "run.err",
                             dir_ / "run.out",
                             {}});
  ASSERT_TRUE(run) << run.error();

  // Kill 1: at 30 % of the operations (the run prints a "done/total operations" line every
  // tenth).
  auto progress_lines = [&] {
    std::istringstream err(read_file(dir_ / "run.err"));
    std::size_t lines = 0;
    for (std::string line; std::getline(err, line);) {
      if (line.find('/') != std::string::npos && line.ends_with(" operations")) ++lines;
    }
    return lines;
  };
  for (int i = 0; i < 1200 && progress_lines() < 3 && run->running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(run->running()) << "the run ended before the first kill: nothing was tested";
  hub_->kill(SIGKILL);
  hub_->wait_for(std::chrono::seconds(5));
  hub_.emplace(serve_.start());

  // Kill 2: as soon as the run has played everything, while the hub still works on it.
  auto played = run->wait_for(std::chrono::minutes(4));
  ASSERT_TRUE(played && played->exited && played->code == 0)
      << (played ? played->to_string() : "still running") << "\n" << tail_of_file(dir_ / "run.err");
  hub_->kill(SIGKILL);
  hub_->wait_for(std::chrono::seconds(5));
  const std::int64_t at_second_kill = last_request();
  hub_.emplace(serve_.start());

  const Finished verify = weft({"scenario", "verify", "--sandbox", sandbox_url_, "--hub", hub_url_, "--timeout", "180"},
                               std::chrono::seconds(240));
  ASSERT_TRUE(verify.status.exited) << verify.status.to_string();
  const json report = json::parse(verify.out);
  EXPECT_EQ(verify.status.code, 0) << report.dump(2) << "\n" << verify.err;
  EXPECT_EQ(report["consistency"]["ok"], true);
  for (const json& check : report["consistency"]["checks"]) EXPECT_EQ(check["ok"], true) << check;
  // The restarted hub still had work: it called the platforms after the second kill.
  EXPECT_GT(last_request(), at_second_kill);
  EXPECT_EQ(serve_.logs().size(), 3u);  // the first run and the two restarts
}

TEST_F(ScenarioTest, BadArgumentsExit2WithAMessage) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases{
      {{"scenario", "run"}, "--sandbox"},
      {{"scenario", "run", "--sandbox", "localhost:7171"}, "--sandbox"},
      {{"scenario", "run", "--sandbox", "http://127.0.0.1:9", "--customers", "0"}, "--customers"},
      {{"scenario", "run", "--sandbox", "http://127.0.0.1:9", "--seed", "minus"}, "--seed"},
      {{"scenario", "verify", "--sandbox", "http://127.0.0.1:9"}, "--hub"},
      {{"scenario", "verify", "--sandbox", "http://127.0.0.1:9", "--hub", "http://127.0.0.1:9", "--timeout", "-1"},
       "--timeout"},
      {{"scenario"}, "subcommand"},
  };
  for (const auto& [args, mentions] : cases) {
    const Finished run = weft(args, std::chrono::seconds(10));
    EXPECT_TRUE(run.status.exited && run.status.code == 2) << args.back() << ": " << run.status.to_string();
    EXPECT_NE(run.err.find(mentions), std::string::npos) << args.back() << ": " << run.err;
  }
}

}  // namespace
}  // namespace weft::test
