// The built-in `identity` connector: a workflow reads an entity's links and canonical record
// (following merges), bad input is refused without retry, and every other call goes on to the
// platforms untouched.

#include "hub/identity_actions.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "store/memory/memory_identity_store.hpp"

namespace weft::hub {
namespace {

using nlohmann::json;

class RecordingPlatforms : public engine::ActionInvoker {
 public:
  engine::ActionOutcome invoke(const engine::ActionRequest& request) override {
    seen.push_back(request.connector + "." + request.action);
    return engine::ActionSuccess{{{"from", "platform"}}};
  }
  std::vector<std::string> seen;
};

engine::ActionRequest call(const std::string& action, json input) {
  engine::ActionRequest r;
  r.connector = "identity";
  r.action = action;
  r.input = std::move(input);
  return r;
}

class IdentityActionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    IdentityWrites w;
    w.entities = {{"customer_a", "customer", 1, ""}, {"customer_b", "customer", 1, ""}};
    w.links = {{"customer", "stripe", "cus_1", "customer_a", "new", 1},
               {"customer", "zendesk", "77", "customer_a", "external_id", 1},
               {"customer", "netsuite", "12", "customer_b", "new", 1}};
    w.updates = {
        {"customer_a", "customer", "zendesk", "ce_1", 5000, 0, {{"name", "\"Acme\""}}},
        {"customer_a", "customer", "stripe", "ce_2", 4000, 0, {{"email", "\"a@acme.example\""}}}};
    ASSERT_TRUE(store_.write(w, 10));
  }

  json output(const engine::ActionOutcome& outcome) {
    const auto* ok = std::get_if<engine::ActionSuccess>(&outcome);
    if (ok == nullptr) {
      ADD_FAILURE() << "not a success";
      return json();
    }
    return ok->output;
  }

  MemoryIdentityStore store_;
  RecordingPlatforms platforms_;
  IdentityActions actions_{platforms_, store_};
};

TEST_F(IdentityActionsTest, GetEntityGivesLinksByConnectorAndTheNewestValueOfEachField) {
  const json out = output(actions_.invoke(call("get_entity", {{"id", "customer_a"}})));
  EXPECT_EQ(out["id"], "customer_a");
  EXPECT_EQ(out["kind"], "customer");
  EXPECT_EQ(out["links"], json({{"stripe", {"cus_1"}}, {"zendesk", {"77"}}}));
  EXPECT_EQ(out["record"]["name"],
            json({{"value", "Acme"}, {"connector", "zendesk"}, {"at_ms", 5000}}));
  EXPECT_EQ(out["record"]["email"]["connector"], "stripe");
  EXPECT_TRUE(platforms_.seen.empty());
}

TEST_F(IdentityActionsTest, TheChangedRecordNowStandsInWhereItsPlatformSetTheNewestValue) {
  // Zendesk set the newest name, Stripe the newest email; the Stripe customer as read now has
  // both changed again within the second the record cannot order.
  const json current = {
      {"connector", "stripe"},
      {"fields", {{"name", "Acme Stripe"}, {"email", "b@acme.example"}, {"phone", "+1 555"}}}};
  const json out =
      output(actions_.invoke(call("get_entity", {{"id", "customer_a"}, {"current", current}})));
  EXPECT_EQ(out["values"]["name"], "Acme");             // Zendesk's is newer than Stripe's
  EXPECT_EQ(out["values"]["email"], "b@acme.example");  // Stripe's own, as it is now
  EXPECT_EQ(out["values"]["phone"], "+1 555");          // nobody reported one: the current
  const json plain = output(actions_.invoke(call("get_entity", {{"id", "customer_a"}})));
  EXPECT_EQ(plain["values"], json({{"name", "Acme"}, {"email", "a@acme.example"}}));
}

TEST_F(IdentityActionsTest, AValueSetWithinTheSameSecondElsewhereIsNotTakenAsNewer) {
  // Zendesk's name (5000 ms) came 0.8 s after a Stripe change stamped 4200 ms: Stripe stamps
  // whole seconds, so the Stripe customer as it is now stands in; 1.2 s later it would not.
  const json fields = {{"name", "Acme Renamed"}};
  const json same_second = output(actions_.invoke(
      call("get_entity",
           {{"id", "customer_a"},
            {"current", {{"connector", "stripe"}, {"at_ms", 4200}, {"fields", fields}}}})));
  EXPECT_EQ(same_second["values"]["name"], "Acme Renamed");
  const json earlier = output(actions_.invoke(
      call("get_entity",
           {{"id", "customer_a"},
            {"current", {{"connector", "stripe"}, {"at_ms", 3800}, {"fields", fields}}}})));
  EXPECT_EQ(earlier["values"]["name"], "Acme");
}

TEST_F(IdentityActionsTest, AMergedIdAnswersForTheSurvivor) {
  ASSERT_TRUE(store_.merge("customer_b", "customer_a", "ops@example.com", "same company", 20));
  const json out = output(actions_.invoke(call("get_entity", {{"id", "customer_b"}})));
  EXPECT_EQ(out["id"], "customer_a");
  EXPECT_EQ(out["links"]["netsuite"], json({"12"}));
}

TEST_F(IdentityActionsTest, AnEntityWithoutRecordHasAnEmptyOne) {
  const json out = output(actions_.invoke(call("get_entity", {{"id", "customer_b"}})));
  EXPECT_EQ(out["record"], json::object());
}

TEST_F(IdentityActionsTest, BadInputIsRefusedWithoutRetry) {
  for (const json& input :
       {json::object(), json({{"id", ""}}), json({{"id", 5}}), json({{"id", "customer_zz"}})}) {
    const auto outcome = actions_.invoke(call("get_entity", input));
    const auto* failure = std::get_if<delivery::Failure>(&outcome);
    ASSERT_NE(failure, nullptr) << input.dump();
    EXPECT_EQ(failure->cls, delivery::FailureClass::validation) << input.dump();
  }
  const auto unknown = actions_.invoke(call("link", {{"id", "customer_a"}}));
  const auto* failure = std::get_if<delivery::Failure>(&unknown);
  ASSERT_NE(failure, nullptr);
  EXPECT_NE(failure->message.find("known: get_entity"), std::string::npos) << failure->message;
}

TEST_F(IdentityActionsTest, OtherConnectorsGoToThePlatforms) {
  engine::ActionRequest r = call("get_customer", {{"id", "cus_1"}});
  r.connector = "stripe";
  EXPECT_EQ(output(actions_.invoke(r))["from"], "platform");
  EXPECT_EQ(platforms_.seen, std::vector<std::string>{"stripe.get_customer"});
}

}  // namespace
}  // namespace weft::hub
