// The shipped subscription-change workflow end to end: subscriptions created, upgraded and
// canceled in `weft sandbox`'s Stripe (through its API, as a billing user would) reach the hub
// as signed webhooks, and the workflow upserts the subscription's sales order in the sandbox's
// NetSuite and the entitlement fields of the customer's Zendesk organization. Also: the same
// events delivered again and out of order, NetSuite and Zendesk answering 429 and 5xx for a
// while, both down and back, and the business rules (no NetSuite customer, a currency the
// workflow does not map) as exceptions with their reasons.

#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>

#include "shipped_workflow_fixture.hpp"

namespace weft::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

class SubscriptionChangeTest : public ShippedWorkflowTest {
 protected:
  SubscriptionChangeTest() : ShippedWorkflowTest("subscription-change") {}

  // A Stripe customer with its Zendesk organization and (when `in_netsuite`) the NetSuite
  // customer, linked by the external-id convention (both carry the Stripe customer id).
  // Without one, the customer keeps its own number in metadata.external_id (linked by another
  // convention), which customer-sync leaves to people instead of creating its NetSuite customer.
  void customer(const std::string& name, bool in_netsuite = true) {
    json input = {{"name", name}};
    if (!in_netsuite) input["metadata"] = {{"external_id", "legacy-" + name}};
    customer_ = hub_.act("stripe", "create_customer", input, "test-customer-" + name).at("id");
    hub_.act("zendesk", "upsert_organization", {{"external_id", customer_}, {"name", name}});
    if (in_netsuite) {
      erp_customer_id_ = hub_.act("netsuite", "upsert_customer",
                                  {{"external_id", customer_}, {"body", {{"companyName", name}}}})
                             .at("id");
    }
  }

  // A subscription of `quantity` seats at 19.99 a month in `currency` for the customer; the
  // sandbox bills it and sends customer.subscription.created.
  void subscribe(int quantity, const std::string& currency = "usd") {
    product_ = hub_.act("stripe", "create_product", {{"name", "Seats"}}, "test-product-" + customer_).at("id");
    const json price = hub_.act("stripe", "create_price",
                                {{"product", product_}, {"currency", currency}, {"unit_amount", 1999},
                                 {"recurring", {{"interval", "month"}}}},
                                "test-price-" + customer_);
    const json subscription =
        hub_.act("stripe", "create_subscription",
                 {{"customer", customer_}, {"items", json::array({{{"price", price.at("id")}, {"quantity", quantity}}})}},
                 "test-subscription-" + customer_);
    subscription_ = subscription.at("id");
    item_ = subscription.at("items").at("data").at(0).at("id");
  }

  // Changes the seat count: customer.subscription.updated.
  void seats(int quantity) {
    hub_.act("stripe", "update_subscription",
             {{"id", subscription_}, {"items", json::array({{{"id", item_}, {"quantity", quantity}}})}},
             "test-seats-" + subscription_ + "-" + std::to_string(quantity));
  }

  // The customer's one Zendesk organization (a second one would be a doubled effect).
  json organization() {
    const json state = hub_.state();
    json found = json::array();
    for (const json& o : state["zendesk"]["organizations"]) {
      if (o.value("external_id", json()) == customer_) found.push_back(o);
    }
    if (found.size() != 1) throw std::runtime_error("organizations of " + customer_ + ": " + found.dump());
    return found[0];
  }

  // The subscription's one NetSuite sales order, with `seats` seats at 19.99 on one line,
  // closed or not, and the organization's entitlements to match.
  void expect_synced(int seats, bool ended = false) {
    const json orders = hub_.netsuite_records("salesOrder", subscription_);
    ASSERT_EQ(orders.size(), 1u) << orders.dump();
    const json& order = orders[0];
    EXPECT_EQ(order["entity"]["id"], erp_customer_id_);
    EXPECT_EQ(order["currency"]["id"], "1");  // usd in the workflow's vars
    const json lines = order["item"]["items"];
    ASSERT_EQ(lines.size(), 1u) << lines.dump();
    EXPECT_EQ(lines[0]["quantity"], seats);
    EXPECT_EQ(lines[0]["rate"], 19.99);
    EXPECT_NEAR(lines[0]["amount"].get<double>(), 19.99 * seats, 1e-9);
    EXPECT_EQ(lines[0]["isClosed"], ended);

    const json fields = organization()["organization_fields"];
    EXPECT_EQ(fields["subscription_id"], subscription_);
    EXPECT_EQ(fields["subscription_status"], ended ? "canceled" : "active");
    EXPECT_EQ(fields["subscription_seats"], ended ? 0 : seats);
    EXPECT_EQ(fields["subscription_plan"], ended ? json() : json(product_));
    EXPECT_TRUE(hub_.open_exceptions("subscription-change").empty());
  }

  // Every write of the sales order and the organization, in the sandbox's request log, is an
  // upsert by external id: what makes a retried or repeated write land on the same record.
  // With `each_once` (no faults injected), each instance's write also landed exactly once: a
  // repeated event processed twice would show as one more. Under faults a step may rightly
  // write again: the connector's upsert is a PUT then a GET of the id, and a faulted GET
  // retries the step, PUT included. Only this workflow's writes count (its instances'
  // correlation ids): customer-sync may create the organization before the test does.
  void expect_writes_upserted(bool each_once) {
    const auto mine = hub_.instances("subscription-change");
    const std::size_t instances = mine.size();
    std::set<std::string> correlation_ids;
    for (const auto& instance : mine) correlation_ids.insert(instance.correlation_id);
    std::size_t orders = 0, organizations = 0;
    for (const json& r : hub_.requests("netsuite")) {
      const std::string path = r["path"];
      if (path.find("/salesOrder") == std::string::npos || r["method"] == "GET") continue;
      EXPECT_EQ(r["method"], "PUT") << r.dump();
      EXPECT_TRUE(path.ends_with("/salesOrder/eid:" + subscription_)) << r.dump();
      if (r["fault"].is_null() && r["status"] == 204) ++orders;
    }
    for (const json& r : hub_.requests("zendesk")) {
      if (r["method"] == "GET" || r["path"].get<std::string>().find("/organizations") == std::string::npos) continue;
      EXPECT_EQ(r["path"], "/api/v2/organizations/create_or_update.json") << r.dump();
      if (!correlation_ids.count(r.value("correlation_id", ""))) continue;
      if (r["fault"].is_null() && r["status"].get<int>() < 300) ++organizations;
    }
    if (each_once) {
      EXPECT_EQ(orders, instances);
      EXPECT_EQ(organizations, instances);
    } else {
      EXPECT_GE(orders, instances);
      EXPECT_GE(organizations, instances);
    }
  }

  void expect_all_completed(std::size_t count) {
    const auto instances = hub_.instances("subscription-change");
    EXPECT_EQ(instances.size(), count);
    for (const auto& instance : instances) {
      EXPECT_EQ(instance.status, InstanceStatus::completed) << instance.id;
      EXPECT_EQ(instance.business_key, customer_);
    }
  }

  std::string customer_, erp_customer_id_, product_, subscription_, item_;
};

TEST_F(SubscriptionChangeTest, ASubscriptionAndItsUpgradeReachTheSalesOrderAndTheEntitlements) {
  customer("Acme Happy");
  subscribe(3);
  ASSERT_NO_THROW(hub_.settle());
  expect_synced(3);
  seats(5);
  ASSERT_NO_THROW(hub_.settle());
  expect_synced(5);
  expect_all_completed(2);  // created, updated
  expect_writes_upserted(/*each_once=*/true);
}

TEST_F(SubscriptionChangeTest, ACanceledSubscriptionClosesItsOrderAndClearsTheEntitlements) {
  customer("Acme Cancel");
  subscribe(4);
  ASSERT_NO_THROW(hub_.settle());
  hub_.act("stripe", "cancel_subscription", {{"id", subscription_}});
  ASSERT_NO_THROW(hub_.settle());
  expect_synced(4, /*ended=*/true);
  expect_all_completed(2);  // created, deleted
  expect_writes_upserted(/*each_once=*/true);
}

TEST_F(SubscriptionChangeTest, EventsDeliveredAgainAndOutOfOrderWriteTheNewestStateOnce) {
  customer("Acme Twice");
  subscribe(3);
  seats(5);
  ASSERT_NO_THROW(hub_.settle());

  // The same signed events again, the newer one first: the hub keeps one copy of each.
  const std::string created = hub_.raw_event("stripe", "customer.subscription.created").body;
  const std::string updated = hub_.raw_event("stripe", "customer.subscription.updated").body;
  EXPECT_EQ(hub_.post_webhook("stripe", updated), 200);
  EXPECT_EQ(hub_.post_webhook("stripe", created), 200);
  // The creation late under another id (as a backfill with its own ids would bring it), its
  // copy saying 3 seats: a new instance, which reads the subscription as it is now (5 seats).
  json late = json::parse(created);
  late["id"] = late["id"].get<std::string>() + "_late";
  EXPECT_EQ(hub_.post_webhook("stripe", late.dump()), 200);
  ASSERT_NO_THROW(hub_.settle());

  expect_synced(5);
  expect_all_completed(3);
  expect_writes_upserted(/*each_once=*/true);
}

TEST_F(SubscriptionChangeTest, TargetsAnswering429And5xxForAWhileLoseAndDoubleNothing) {
  customer("Acme Flaky");
  hub_.flaky({"netsuite", "zendesk"});
  subscribe(3);
  seats(7);
  std::this_thread::sleep_for(4s);
  hub_.clear_faults();
  ASSERT_NO_THROW(hub_.settle(90s));
  EXPECT_GT(hub_.faulted_requests("netsuite") + hub_.faulted_requests("zendesk"), 0u)
      << "no fault was injected: the test proves nothing";
  expect_synced(7);
  expect_all_completed(2);
  expect_writes_upserted(/*each_once=*/false);
}

TEST_F(SubscriptionChangeTest, TargetsDownForAWhileThenBackGetEverythingOnce) {
  customer("Acme Outage");
  hub_.down({"netsuite", "zendesk"});
  subscribe(3);
  seats(6);
  std::this_thread::sleep_for(5s);
  // Down: nothing written, nothing given up on.
  EXPECT_TRUE(hub_.netsuite_records("salesOrder", subscription_).empty());
  EXPECT_TRUE(hub_.open_exceptions("subscription-change").empty());
  for (const auto& instance : hub_.instances("subscription-change")) {
    EXPECT_EQ(instance.status, InstanceStatus::running) << instance.id;
  }
  hub_.clear_faults();
  ASSERT_NO_THROW(hub_.settle(120s));
  EXPECT_GT(hub_.faulted_requests("netsuite"), 0u);
  expect_synced(6);
  expect_all_completed(2);
  expect_writes_upserted(/*each_once=*/false);
}

TEST_F(SubscriptionChangeTest, AStripeCustomerWithoutANetSuiteCustomerIsAnExceptionWithItsReason) {
  customer("Acme Unlinked", /*in_netsuite=*/false);
  subscribe(2);
  ASSERT_NO_THROW(hub_.settle());
  EXPECT_TRUE(hub_.netsuite_records("salesOrder", subscription_).empty());
  EXPECT_TRUE(organization()["organization_fields"].is_null() ||
              !organization()["organization_fields"].contains("subscription_id"));
  const auto open = hub_.open_exceptions("subscription-change");
  ASSERT_EQ(open.size(), 1u);
  EXPECT_EQ(open[0].step_id, "no_erp_customer");
  EXPECT_EQ(open[0].failure_class, "validation");
  EXPECT_NE(open[0].reason.find("no NetSuite customer has the subscription's Stripe customer id as its externalId"),
            std::string::npos)
      << open[0].reason;
  EXPECT_EQ(json::parse(open[0].context_json)["business_key"], customer_);
}

TEST_F(SubscriptionChangeTest, ACurrencyTheWorkflowDoesNotMapIsAnExceptionWithItsReason) {
  customer("Acme Francs");
  subscribe(2, "chf");
  ASSERT_NO_THROW(hub_.settle());
  EXPECT_TRUE(hub_.netsuite_records("salesOrder", subscription_).empty());
  const auto open = hub_.open_exceptions("subscription-change");
  ASSERT_EQ(open.size(), 1u);
  EXPECT_EQ(open[0].step_id, "unknown_currency");
  EXPECT_NE(open[0].reason.find("has no NetSuite currency in vars.netsuite_currency_ids"), std::string::npos)
      << open[0].reason;
}

}  // namespace
}  // namespace weft::test
