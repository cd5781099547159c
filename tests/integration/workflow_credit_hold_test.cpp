// The shipped credit-hold workflow end to end: a credit hold set or released on a customer in
// `weft sandbox`'s NetSuite (through its API, as a finance user would) reaches the hub as the
// relay's signed webhook, and the workflow carries it to the Stripe customer's metadata and
// the Zendesk organization's fields. Also: the same change delivered again and an older one
// delivered late, Stripe and Zendesk answering 429 and 5xx for a while, both down and back,
// and a NetSuite customer not linked to Stripe (an exception with its reason).

#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

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

  // Stripe's metadata.credit_hold and Zendesk's organization_fields.credit_hold now.
  void expect_hold(bool on) {
    const json state = hub_.state();
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


  std::string stripe_id_;
  std::string netsuite_id_;
};

TEST_F(CreditHoldTest, AHoldSetThenReleasedReachesBillingAndSupport) {
  linked_customer("Hold Happy");
  set_hold("ON");
  ASSERT_NO_THROW(hub_.settle());
  expect_hold(true);
  set_hold("OFF");
  ASSERT_NO_THROW(hub_.settle());
  expect_hold(false);
  const auto instances = hub_.instances("credit-hold");
  ASSERT_EQ(instances.size(), 2u);
  for (const auto& instance : instances) {
    EXPECT_EQ(instance.status, InstanceStatus::completed);
    EXPECT_EQ(instance.business_key, "ns:customer:" + netsuite_id_);
  }
}

TEST_F(CreditHoldTest, AChangeDeliveredAgainOrAnOlderOneLateDoesNotPutTheHoldBack) {
  linked_customer("Hold Twice");
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
}

TEST_F(CreditHoldTest, BillingAndSupportAnswering429And5xxForAWhileLoseNothing) {
  linked_customer("Hold Flaky");
  hub_.flaky({"stripe", "zendesk"}, 502);
  set_hold("ON");
  std::this_thread::sleep_for(4s);
  hub_.clear_faults();
  ASSERT_NO_THROW(hub_.settle(90s));
  EXPECT_GT(hub_.faulted_requests("stripe") + hub_.faulted_requests("zendesk"), 0u) << "no fault injected";
  expect_hold(true);
}

TEST_F(CreditHoldTest, BillingAndSupportDownForAWhileThenBackGetTheHoldOnce) {
  linked_customer("Hold Outage");
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
