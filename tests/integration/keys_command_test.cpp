// `weft keys create|list|revoke` against a running `weft serve`: a new key works at once, a
// revoked one stops at once (no restart), the secret is printed once (alone on the last line)
// and never listed, and bad arguments are refused with exit 2 and change nothing.

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "support/effect_target.hpp"
#include "support/http_client.hpp"
#include "support/process.hpp"
#include "support/serve_runner.hpp"
#include "support/workflow_hub.hpp"

namespace weft::test {
namespace {

class KeysCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(target_.start().ok());
    write_workflow_hub(dir_.path(), port_, target_.base_url(), "whsec_keys_test");
  }
  void TearDown() override {
    if (HasFailure()) {
      dir_.keep();
      std::fprintf(stderr, "%s", runner_.log_tails().c_str());
    }
  }

  CommandResult keys(std::vector<std::string> args) {
    static int runs = 0;
    args.insert(args.begin() + 1, {"-c", (dir_ / "weft.yaml").string()});
    args.insert(args.begin(), "keys");
    return run_command(weft_binary(), args, dir_.path(), "keys-" + std::to_string(++runs));
  }

  int status_with(const std::string& key) {
    HttpClient client(base_url_);
    auto r = client.get("/v1/workflows", {{"Authorization", "Bearer " + key}});
    return r.ok() ? r->status : -1;
  }

  TempDir dir_{"weft-keys"};
  EffectTarget target_;
  std::uint16_t port_ = free_loopback_port();
  std::string base_url_ = "http://127.0.0.1:" + std::to_string(port_);
  ServeRunner runner_{weft_binary(), dir_.path(), dir_ / "weft.yaml", base_url_};
};

TEST_F(KeysCommandTest, AKeyWorksAtOnceAndStopsAtOnceWhenRevokedWithoutARestart) {
  Process hub = runner_.start();
  const CommandResult made = keys({"create", "--name", "finance-lead", "--role", "finance-ops"});
  ASSERT_EQ(made.code, 0) << made.err;
  std::string out = made.out;
  while (!out.empty() && out.back() == '\n') out.pop_back();
  const std::string key = out.substr(out.rfind('\n') + 1);
  ASSERT_EQ(key.rfind("weft_", 0), 0u) << made.out;
  EXPECT_EQ(status_with(key), 200);

  const CommandResult listed = keys({"list"});
  ASSERT_EQ(listed.code, 0) << listed.err;
  EXPECT_NE(listed.out.find("finance-lead\tfinance-ops"), std::string::npos) << listed.out;
  EXPECT_NE(listed.out.find("active"), std::string::npos);
  EXPECT_EQ(listed.out.find(key), std::string::npos);  // never the secret

  const CommandResult revoked = keys({"revoke", "finance-lead"});
  ASSERT_EQ(revoked.code, 0) << revoked.err;
  EXPECT_EQ(status_with(key), 401);
  EXPECT_NE(keys({"list"}).out.find("revoked"), std::string::npos);
  EXPECT_EQ(keys({"revoke", "finance-lead"}).code, 2);  // nothing active by that name
}

TEST_F(KeysCommandTest, BadArgumentsAreRefusedAndCreateNothing) {
  EXPECT_EQ(keys({"create", "--name", "x", "--role", "superuser"}).code, 2);
  EXPECT_EQ(keys({"create", "--name", "two words", "--role", "read-only"}).code, 2);
  EXPECT_EQ(keys({"create", "--role", "read-only"}).code, 2);  // --name is required
  const CommandResult first = keys({"create", "--name", "ops", "--role", "support-ops"});
  ASSERT_EQ(first.code, 0) << first.err;
  const CommandResult twice = keys({"create", "--name", "ops", "--role", "support-ops"});
  EXPECT_EQ(twice.code, 2);
  EXPECT_NE(twice.err.find("exists already"), std::string::npos) << twice.err;
  const CommandResult listed = keys({"list"});
  EXPECT_EQ(std::count(listed.out.begin(), listed.out.end(), '\n'), 1) << listed.out;
}

}  // namespace
}  // namespace weft::test
