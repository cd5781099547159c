// `weft replay`: stored raw events are mapped and triggered again, idempotently. A hub runs
// three events through the three-step workflow; replaying them marks them unprocessed, and
// the next hub routes them to the same canonical events and instances, so the target sees no
// new call. Bad filters are refused with exit 2 and change nothing.

#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <string>
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

constexpr const char* kSecret = "whsec_replay_test";
constexpr int kEvents = 3;

class ReplayTest : public ::testing::Test {
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

  CommandResult replay(std::vector<std::string> args) {
    static int runs = 0;
    args.insert(args.begin(), {"replay", "-c", (dir_ / "weft.yaml").string()});
    return run_command(weft_binary(), args, dir_.path(), "replay-" + std::to_string(++runs));
  }

  std::int64_t unprocessed() {
    auto storage = open_storage("sqlite:" + (dir_ / "weft.db").string());
    EXPECT_TRUE(storage.ok());
    return storage ? storage->events->count_unprocessed().value() : -1;
  }

  TempDir dir_{"weft-replay"};
  EffectTarget target_;
  std::uint16_t port_ = free_loopback_port();
  std::string base_url_ = "http://127.0.0.1:" + std::to_string(port_);
  ServeRunner runner_{weft_binary(), dir_.path(), dir_ / "weft.yaml", base_url_};
};

TEST_F(ReplayTest, ReplayedEventsReachTheSameInstancesAndCallNothingAgain) {
  {
    Process hub = runner_.start();
    HttpClient http(base_url_);
    for (int i = 0; i < kEvents; ++i) {
      const std::string body = invoice_paid(i);
      auto r =
          http.post("/hooks/stripe", body, {{"Stripe-Signature", stripe_signature(kSecret, body)}});
      ASSERT_TRUE(r.ok());
      ASSERT_EQ(r->status, 200) << r->body;
    }
    ASSERT_TRUE(target_.wait_for_effects(kEvents * kWorkflowSteps, 30s));
    EXPECT_EQ(hub.stop(SIGTERM, 10s).to_string(), "exit 0");
  }
  const std::int64_t requests_before = target_.counts().requests;
  ASSERT_EQ(unprocessed(), 0);

  const CommandResult unfiltered = replay({});
  EXPECT_EQ(unfiltered.code, 2);
  EXPECT_NE(unfiltered.err.find("--all"), std::string::npos) << unfiltered.err;
  const CommandResult bad_time = replay({"--from", "yesterday"});
  EXPECT_EQ(bad_time.code, 2);
  EXPECT_NE(bad_time.err.find("--from 'yesterday' is not a time"), std::string::npos)
      << bad_time.err;
  const CommandResult bad_connector = replay({"--connector", "chargebee"});
  EXPECT_EQ(bad_connector.code, 2);
  EXPECT_EQ(unprocessed(), 0) << "a refused replay changes nothing";

  const CommandResult dry = replay({"--type", "invoice.paid", "--dry-run"});
  EXPECT_EQ(dry.code, 0) << dry.err;
  EXPECT_NE(dry.out.find("3 raw events match"), std::string::npos) << dry.out;
  EXPECT_EQ(unprocessed(), 0);

  const CommandResult one_key = replay({"--key", "cus_1", "--dry-run"});
  EXPECT_NE(one_key.out.find("1 raw events match"), std::string::npos) << one_key.out;

  const CommandResult done = replay({"--connector", "stripe", "--type", "invoice.paid"});
  EXPECT_EQ(done.code, 0) << done.err;
  EXPECT_NE(done.out.find("3 raw events will be mapped"), std::string::npos) << done.out;
  EXPECT_EQ(unprocessed(), kEvents);

  {
    Process hub = runner_.start();
    for (int i = 0; i < 200 && unprocessed() != 0; ++i) std::this_thread::sleep_for(25ms);
    std::this_thread::sleep_for(200ms);  // a wrongly started instance would call by now
    EXPECT_EQ(hub.stop(SIGTERM, 10s).to_string(), "exit 0");
  }
  EXPECT_EQ(unprocessed(), 0);
  EXPECT_EQ(target_.counts().requests, requests_before)
      << "a replay must not call the platforms again";

  auto storage = open_storage("sqlite:" + (dir_ / "weft.db").string());
  ASSERT_TRUE(storage.ok());
  auto instances = storage->workflows->query_instances(InstanceQuery{});
  ASSERT_TRUE(instances.ok());
  EXPECT_EQ(instances->size(), static_cast<std::size_t>(kEvents));
  for (const auto& r : *instances) EXPECT_EQ(r.status, InstanceStatus::completed);
  EXPECT_EQ(storage->workflows->canonical_events("cus_1", 10).value().size(), 1u);
}

}  // namespace
}  // namespace weft::test
