// `weft demo` as one command: the sandbox and the hub in one process on free ports, the
// seeded scenario played (with faults), quiescence, and the report — as JSON with --json,
// as the per-workflow table without. Bad options exit 2 and start nothing.

#include <gtest/gtest.h>

#include <csignal>
#include <nlohmann/json.hpp>
#include <set>

#include "support/process.hpp"

namespace weft::test {
namespace {

using nlohmann::json;

struct Finished {
  ExitStatus status;
  std::string out, err;
};

class DemoTest : public ::testing::Test {
 protected:
  Finished demo(std::vector<std::string> extra) {
    std::vector<std::string> args{"demo",           "--once",
                                  "-c",             std::string(WEFT_SOURCE_DIR) + "/examples/demo.yaml",
                                  "--data",         (dir_ / "data").string(),
                                  "--listen",       "127.0.0.1:0",
                                  "--sandbox-listen", "127.0.0.1:0"};
    args.insert(args.end(), extra.begin(), extra.end());
    const auto out = dir_ / "out", err = dir_ / "err";
    std::filesystem::remove(out);
    std::filesystem::remove(err);
    auto process = Process::spawn({weft_binary(), std::move(args), {}, err, out, {}});
    if (!process) throw std::runtime_error(process.error());
    auto status = process->wait_for(std::chrono::minutes(6));
    if (!status) {
      process->stop(SIGKILL, std::chrono::seconds(1));
      throw std::runtime_error("weft demo did not finish in time; stderr: " + tail_of_file(err));
    }
    return {*status, read_file(out), read_file(err)};
  }

  void TearDown() override {
    if (HasFailure()) std::fprintf(stderr, "hub log:\n%s\n", tail_of_file(dir_ / "data" / "weft.log", 8192).c_str());
  }

  TempDir dir_{"weft-demo"};
};

const std::set<std::string>& shipped_workflows() {
  static const std::set<std::string> names = [] {
    std::set<std::string> out;
    for (const auto& file : std::filesystem::directory_iterator(std::string(WEFT_SOURCE_DIR) + "/workflows")) {
      if (file.path().extension() == ".yaml") out.insert(file.path().stem().string());
    }
    return out;
  }();
  return names;
}

TEST_F(DemoTest, OnceJsonWithFaultsEndsConsistent) {
  const Finished run = demo({"--json", "--faults", "--seed", "7", "--customers", "8"});
  ASSERT_TRUE(run.status.exited && run.status.code == 0) << run.status.to_string() << "\n" << run.err << run.out;
  const json report = json::parse(run.out);

  // The top-level fields.
  ASSERT_TRUE(report["workflows"].is_object());
  for (const std::string& name : shipped_workflows()) {
    EXPECT_TRUE(report["workflows"].contains(name)) << name << " missing from " << report["workflows"].dump();
  }
  ASSERT_TRUE(report["exceptions"].is_object());
  EXPECT_EQ(report["consistency"]["ok"], true);
  ASSERT_FALSE(report["consistency"]["checks"].empty());
  for (const json& check : report["consistency"]["checks"]) {
    EXPECT_TRUE(check.contains("name") && check.contains("ok") && check.contains("expected") && check.contains("actual"))
        << check.dump();
    EXPECT_EQ(check["ok"], true) << check.dump();
  }

  // The faults happened: the scenario's own requests were refused and retried, and the
  // progress lines say when NetSuite was down and back.
  EXPECT_EQ(report["scenario"]["faults"], true);
  EXPECT_GT(report["scenario"]["retries"].get<int>(), 0) << report["scenario"].dump();
  EXPECT_NE(run.err.find("NetSuite down"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("faults off"), std::string::npos) << run.err;

  // The summary: a row per shipped workflow, work done by some.
  std::int64_t completed = 0;
  std::set<std::string> rows;
  for (const json& row : report["summary"]) {
    rows.insert(row["workflow"].get<std::string>());
    completed += row["completed"].get<std::int64_t>();
    if (row["completed"].get<std::int64_t>() > 0) {
      EXPECT_TRUE(row["p50_seconds"].is_number()) << row.dump();
    }
  }
  EXPECT_EQ(rows, shipped_workflows());
  EXPECT_GT(completed, 0);
}

TEST_F(DemoTest, OnceWithoutJsonPrintsTheTable) {
  const Finished run = demo({"--seed", "3", "--customers", "3"});
  ASSERT_TRUE(run.status.exited && run.status.code == 0) << run.status.to_string() << "\n" << run.err << run.out;
  EXPECT_EQ(run.out.find('{'), std::string::npos) << "not JSON: " << run.out;
  EXPECT_NE(run.out.find("workflow"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("p99"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("SLA breaches"), std::string::npos) << run.out;
  for (const std::string& name : shipped_workflows()) EXPECT_NE(run.out.find(name), std::string::npos) << name;
  EXPECT_NE(run.out.find("Consistency: consistent"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("/metrics"), std::string::npos) << run.out;
}

TEST_F(DemoTest, BadOptionsExit2AndStartNothing) {
  const Finished customers = demo({"--customers", "0"});
  EXPECT_TRUE(customers.status.exited && customers.status.code == 2) << customers.status.to_string();
  EXPECT_NE(customers.err.find("--customers"), std::string::npos) << customers.err;
  const Finished listen = demo({"--sandbox-listen", "nowhere"});
  EXPECT_TRUE(listen.status.exited && listen.status.code == 2) << listen.status.to_string();
  EXPECT_NE(listen.err.find("--sandbox-listen"), std::string::npos) << listen.err;
  EXPECT_FALSE(std::filesystem::exists(dir_ / "data" / "weft.db"));
}

}  // namespace
}  // namespace weft::test
