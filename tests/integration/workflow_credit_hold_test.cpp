// The shipped credit-hold workflow end to end: a credit hold set or released on a customer in
// `weft sandbox`'s NetSuite (through its API, as a finance user would) reaches the hub as the
// relay's signed webhook, and the workflow carries it to the Stripe customer's metadata, the
// collection of each of its Stripe subscriptions (paused while held, resumed when released;
// other customers' untouched) and the Zendesk organization's fields. Also: the same change
// delivered again and an older one delivered late, a subscription started while held (paused
// by subscription-change, resumed with the others), Stripe and Zendesk answering 429 and 5xx
// for a while, both down and back (each subscription written once per change), and a
// NetSuite customer not linked to Stripe (an exception with its reason).

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "support/process.hpp"
#include "shipped_workflow_fixture.hpp"

namespace weft::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

class CreditHoldTest : public ShippedWorkflowTest {
 protected:
  CreditHoldTest() : ShippedWorkflowTest("credit-hold") {}

  // A customer in all three platforms, linked by the external-id convention: the Stripe
  // customer, the Zendesk organization and the NetSuite customer whose externalId is the
  // Stripe id. Sets stripe_id_ and netsuite_id_.
  void linked_customer(const std::string& name) {
    const LinkedCustomer customer = hub_.linked_customer(name);
    stripe_id_ = customer.stripe_id;
    netsuite_id_ = customer.netsuite_id;
  }

  // NetSuite stamps record versions to the second, and the relay's event id names the version
  // (docs/connectors/netsuite.md): a second change within the same second is a duplicate of
  // the first. So each change waits for the next second, as a person would anyway.
  void set_hold(const std::string& mode) {
    std::this_thread::sleep_for(1100ms);
    hub_.act("netsuite", "update_record",
             {{"record_type", "customer"}, {"id", netsuite_id_}, {"body", {{"creditHoldOverride", mode}}}});
  }

  // A monthly subscription of `customer` (paid at once: active); its id.
  std::string subscribe(const std::string& customer, const std::string& name) {
    const json price = hub_.act("stripe", "create_price",
                                {{"currency", "usd"}, {"unit_amount", 1500}, {"product_data", {{"name", name}}},
                                 {"recurring", {{"interval", "month"}}}},
                                "test-price-" + name);
    return hub_.act("stripe", "create_subscription",
                    {{"customer", customer}, {"items", json::array({{{"price", price.at("id")}}})}},
                    "test-subscription-" + name)
        .at("id");
  }

  // The linked customer with two subscriptions and one canceled, and another customer with
  // one subscription that no hold concerns. Sets subscriptions_ and others_subscription_.
  void subscribed_customer(const std::string& name) {
    linked_customer(name);
    subscriptions_ = {subscribe(stripe_id_, name + " Seats"), subscribe(stripe_id_, name + " Support")};
    const std::string ended = subscribe(stripe_id_, name + " Old");
    hub_.act("stripe", "cancel_subscription", {{"id", ended}});
    const std::string other = hub_.act("stripe", "create_customer", {{"name", name + " Other"}},
                                       "test-customer-" + name + " Other")
                                  .at("id");
    others_subscription_ = subscribe(other, name + " Other Seats");
    ASSERT_NO_THROW(hub_.settle());
  }

  // Stripe's metadata.credit_hold and Zendesk's organization_fields.credit_hold now, and the
  // collection of every Stripe subscription: the customer's paused (keep_as_draft) while
  // held, the others' and the canceled one never.
  void expect_hold(bool on) {
    const json state = hub_.state();
    std::size_t collecting = 0, others = 0;
    for (const json& sub : state["stripe"]["subscriptions"]) {
      const bool ours = sub["customer"] == stripe_id_ && sub["status"] == "active";
      collecting += ours ? 1 : 0;
      others += sub["id"] == others_subscription_ ? 1 : 0;
      const json wanted = ours && on ? json{{"behavior", "keep_as_draft"}, {"resumes_at", nullptr}} : json();
      EXPECT_EQ(sub.value("pause_collection", json()), wanted) << sub["id"] << " of " << sub["customer"];
    }
    EXPECT_EQ(collecting, subscriptions_.size());
    EXPECT_EQ(others, others_subscription_.empty() ? 0u : 1u);
    int stripe_customers = 0, organizations = 0;
    for (const json& c : state["stripe"]["customers"]) {
      if (c["id"] != stripe_id_) continue;
      ++stripe_customers;
      EXPECT_EQ(c["metadata"].value("credit_hold", ""), on ? "on" : "off") << c["metadata"].dump();
      EXPECT_EQ(c["metadata"].value("netsuite_customer_id", ""), netsuite_id_);
    }
    for (const json& o : state["zendesk"]["organizations"]) {
      if (o["external_id"] != stripe_id_) continue;
      ++organizations;
      EXPECT_EQ(o["organization_fields"].value("credit_hold", json()), on) << o.dump();
    }
    EXPECT_EQ(stripe_customers, 1);
    EXPECT_EQ(organizations, 1);  // updated, never a second one
    EXPECT_TRUE(hub_.open_exceptions("credit-hold").empty());
  }

  // The relay's webhook that carried creditHoldOverride = `mode`.
  std::string relayed_change(const std::string& mode) {
    RawEventQuery query;
    query.connector = "netsuite";
    query.event_type = "customer.updated";
    query.limit = 1000;
    for (const RawEvent& e : hub_.storage().events->query_raw_events(query).value()) {
      if (json::parse(e.body)["record"].value("creditHoldOverride", "") == mode) return e.body;
    }
    throw std::runtime_error("no relayed change to " + mode);
  }


  // How many writes took effect on each of the customer's subscriptions (POST
  // /v1/subscriptions/<id>, answered 200, not replayed from a saved key, no fault).
  std::map<std::string, int> subscription_writes() const {
    std::map<std::string, int> applied;
    for (const std::string& id : subscriptions_) applied[id] = 0;
    for (const json& entry : hub_.requests("stripe")) {
      const std::string path = entry["path"];
      const std::string id = path.substr(path.rfind('/') + 1);
      if (entry["method"] == "POST" && path == "/v1/subscriptions/" + id && applied.count(id) &&
          entry["status"] == 200 && !entry["replayed"].get<bool>() && entry["fault"].is_null()) {
        ++applied[id];
      }
    }
    return applied;
  }
  std::map<std::string, int> each_written(int times) const {
    std::map<std::string, int> out;
    for (const std::string& id : subscriptions_) out[id] = times;
    return out;
  }

  std::string stripe_id_;
  std::string netsuite_id_;
  std::vector<std::string> subscriptions_;
  std::string others_subscription_;
};

TEST_F(CreditHoldTest, AHoldSetThenReleasedReachesBillingAndSupport) {
  subscribed_customer("Hold Happy");
  set_hold("ON");
  ASSERT_NO_THROW(hub_.settle());
  expect_hold(true);
  EXPECT_EQ(subscription_writes(), each_written(1));
  set_hold("OFF");
  ASSERT_NO_THROW(hub_.settle());
  expect_hold(false);
  EXPECT_EQ(subscription_writes(), each_written(2));  // paused once, resumed once
  const auto instances = hub_.instances("credit-hold");
  ASSERT_EQ(instances.size(), 2u);
  for (const auto& instance : instances) {
    EXPECT_EQ(instance.status, InstanceStatus::completed);
    EXPECT_EQ(instance.business_key, "ns:customer:" + netsuite_id_);
  }
}

TEST_F(CreditHoldTest, ASubscriptionStartedWhileHeldIsPausedAndResumedWithTheOthers) {
  subscribed_customer("Hold New");
  set_hold("ON");
  ASSERT_NO_THROW(hub_.settle());
  // Sold while on hold: subscription-change finds the customer's mark and pauses it too.
  subscriptions_.push_back(subscribe(stripe_id_, "Hold New Extra"));
  ASSERT_NO_THROW(hub_.settle());
  expect_hold(true);
  EXPECT_EQ(subscription_writes(), each_written(1));  // the new one paused once, the others not again
  set_hold("OFF");
  ASSERT_NO_THROW(hub_.settle());
  expect_hold(false);
  EXPECT_EQ(subscription_writes(), each_written(2));
  // (The other customer, in no NetSuite, has its own exceptions: not this customer's.)
  for (const auto& open : hub_.open_exceptions("subscription-change")) {
    EXPECT_NE(json::parse(open.context_json)["business_key"], stripe_id_) << open.step_id << ": " << open.reason;
  }
}

TEST_F(CreditHoldTest, AChangeDeliveredAgainOrAnOlderOneLateDoesNotPutTheHoldBack) {
  subscribed_customer("Hold Twice");
  set_hold("ON");
  ASSERT_NO_THROW(hub_.settle());
  set_hold("OFF");
  ASSERT_NO_THROW(hub_.settle());

  // The hold's webhook again, after its release: the hub keeps one copy.
  const std::string held = relayed_change("ON");
  EXPECT_EQ(hub_.post_webhook("netsuite", held), 200);
  // The same older version late under another version stamp (a relay that lagged): a new
  // event and instance, which reads the customer as it is now (released).
  json late = json::parse(held);
  late["record"]["lastModifiedDate"] = "2020-01-01T00:00:00.000Z";
  late["id"] = "customer:" + netsuite_id_ + ":2020-01-01T00:00:00.000Z";
  EXPECT_EQ(hub_.post_webhook("netsuite", late.dump()), 200);
  ASSERT_NO_THROW(hub_.settle());
  expect_hold(false);
  EXPECT_EQ(hub_.instances("credit-hold").size(), 3u);
  // The late instance found every subscription resumed already: nothing written again.
  EXPECT_EQ(subscription_writes(), each_written(2));
}

TEST_F(CreditHoldTest, BillingAndSupportAnswering429And5xxForAWhileLoseNothing) {
  subscribed_customer("Hold Flaky");
  hub_.flaky({"stripe", "zendesk"}, 502);
  set_hold("ON");
  std::this_thread::sleep_for(4s);
  hub_.clear_faults();
  ASSERT_NO_THROW(hub_.settle(90s));
  EXPECT_GT(hub_.faulted_requests("stripe") + hub_.faulted_requests("zendesk"), 0u) << "no fault injected";
  expect_hold(true);
  EXPECT_EQ(subscription_writes(), each_written(1));
  EXPECT_EQ(hub_.stripe_writes_applied_twice(), json::object());
}

TEST_F(CreditHoldTest, BillingAndSupportDownForAWhileThenBackGetTheHoldOnce) {
  subscribed_customer("Hold Outage");
  hub_.down({"stripe", "zendesk"});
  set_hold("ON");
  std::this_thread::sleep_for(5s);
  EXPECT_TRUE(hub_.open_exceptions("credit-hold").empty());
  for (const auto& instance : hub_.instances("credit-hold")) {
    EXPECT_EQ(instance.status, InstanceStatus::running) << instance.id;
  }
  hub_.clear_faults();
  ASSERT_NO_THROW(hub_.settle(120s));
  EXPECT_GT(hub_.faulted_requests("stripe"), 0u);
  expect_hold(true);
  // One effect per Stripe write: each idempotency key applied once, repeats replayed.
  EXPECT_EQ(hub_.stripe_writes_applied_twice(), json::object());
  EXPECT_EQ(subscription_writes(), each_written(1));
  // And back again once Stripe is back.
  set_hold("OFF");
  ASSERT_NO_THROW(hub_.settle());
  expect_hold(false);
  EXPECT_EQ(subscription_writes(), each_written(2));
}

TEST_F(CreditHoldTest, ACustomerNotLinkedToStripeIsAnExceptionWithItsReason) {
  netsuite_id_ = hub_.act("netsuite", "upsert_customer",
                          {{"external_id", "legacy-42"}, {"body", {{"companyName", "Hold Unlinked"}}}})
                     .at("id");
  set_hold("ON");
  ASSERT_NO_THROW(hub_.settle());
  const auto open = hub_.open_exceptions("credit-hold");
  ASSERT_EQ(open.size(), 1u);
  EXPECT_EQ(open[0].step_id, "no_billing_link");
  EXPECT_EQ(open[0].failure_class, "validation");
  EXPECT_NE(open[0].reason.find("the NetSuite customer has no Stripe customer id (cus_…) as its externalId"),
            std::string::npos)
      << open[0].reason;
  EXPECT_EQ(json::parse(open[0].context_json)["business_key"], "ns:customer:" + netsuite_id_);
}

}  // namespace
}  // namespace weft::test
