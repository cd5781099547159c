// `weft scenario run` and `weft scenario verify` as separate processes, as the issue asks:
// `weft sandbox --hub URL`, `weft serve` on the demo config (pointed at that sandbox, with no
// workflows: the generic checks need none), the scenario played with 20 customers, then
// verify waits for quiescence and prints the report; it exits 0 when consistent. Bad
// arguments exit 2 with a message.

#include <gtest/gtest.h>

#include <csignal>
#include <nlohmann/json.hpp>

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

  void start_platforms_and_hub() {
    sandbox_url_ = sandbox_.start({"--hub", hub_url_});
    std::filesystem::create_directories(dir_ / "workflows");
    std::string config = read_file(std::string(WEFT_SOURCE_DIR) + "/examples/demo.yaml");
    config = replaced(config, "http://127.0.0.1:7171", sandbox_url_);
    config = replaced(config, "127.0.0.1:7070", "127.0.0.1:" + std::to_string(hub_port_));
    config = replaced(config, "sqlite:../data/demo/weft.db", "sqlite:" + (dir_ / "weft.db").string());
    config = replaced(config, "workflows_dir: ../workflows", "workflows_dir: " + (dir_ / "workflows").string());
    config = replaced(config, "mappings_dir: ../mappings", std::string("mappings_dir: ") + WEFT_SOURCE_DIR + "/mappings");
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
