// The shipped quote-to-cash workflow end to end: opportunities closed won in `weft sandbox`'s
// Salesforce (through its API, as a sales rep would) reach the hub as signed relay webhooks,
// and the workflow activates a Stripe subscription for the deal, then upserts its NetSuite
// sales order and the Zendesk organization's entitlements, and writes the subscription back to
// the opportunity. Also: an Account without a Stripe customer (one is created and linked), the
// same events delivered again and out of order, the targets answering 429 and 5xx for a while,
// down and back, a business rule as an exception, and an activation that fails for good (the
// card declines): nothing reaches NetSuite, what was done is compensated, and the exception
// says why.

#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "shipped_workflow_fixture.hpp"

namespace weft::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

constexpr const char* kWorkflow = "quote-to-cash";
constexpr const char* kLink = "External_Id__c";
constexpr const char* kSubscriptionField = "Stripe_Subscription_Id__c";
constexpr const char* kStatusField = "Weft_Billing_Status__c";

class QuoteToCashTest : public ShippedWorkflowTest {
 protected:
  QuoteToCashTest() : ShippedWorkflowTest("quote-to-cash") {}

  // A customer on every platform, linked by the external-id convention: the Stripe customer
  // (billing in usd), its NetSuite customer and Zendesk organization, and the Salesforce
  // Account whose External_Id__c is the Stripe customer id. Without `in_netsuite`, no NetSuite
  // customer, for good: the Stripe customer keeps its own number in metadata.external_id
  // (linked by another convention), which customer-sync leaves to people instead of creating
  // its NetSuite customer. Without that, whether quote-to-cash looked before customer-sync had
  // created it depended on timing.
  void linked_customer(const std::string& name, bool in_netsuite = true) {
    name_ = name;
    json input = {{"name", name}};
    if (!in_netsuite) input["metadata"] = {{"external_id", "legacy-" + name}};
    customer_ = hub_.act("stripe", "create_customer", input, "test-customer-" + name).at("id");
    hub_.act("zendesk", "upsert_organization", {{"external_id", customer_}, {"name", name}});
    if (in_netsuite) {
      erp_customer_id_ = hub_.act("netsuite", "upsert_customer",
                                  {{"external_id", customer_}, {"body", {{"companyName", name}}}})
                             .at("id");
    }
    account(name, customer_);
  }

  // The Salesforce Account, linked to `stripe_customer` (none when empty).
  void account(const std::string& name, const std::string& stripe_customer = "") {
    name_ = name;
    json fields = {{"Name", name}, {"Type", "Customer"}};
    if (!stripe_customer.empty()) fields[kLink] = stripe_customer;
    account_id_ = hub_.act("salesforce", "upsert_account",
                           {{"external_id_field", "Weft_Test_Id__c"},
                            {"external_id", "acct-" + name},
                            {"fields", fields}})
                      .at("id");
  }

  // An opportunity of the Account in negotiation, then closed won: the close is the event.
  void close_won(double amount = 1200) {
    const json key = {{"external_id_field", kLink}, {"external_id", "opp-" + name_}};
    json open = key;
    open["fields"] = {{"Name", name_ + " expansion"},
                      {"AccountId", account_id_},
                      {"StageName", "Negotiation/Review"},
                      {"CloseDate", "2026-06-15"},
                      {"Amount", amount}};
    opportunity_id_ = hub_.act("salesforce", "upsert_opportunity", open).at("id");
    json won = key;
    won["fields"] = {{"StageName", "Closed Won"}};
    hub_.act("salesforce", "upsert_opportunity", won);
  }

  json salesforce_record(const char* type, const std::string& id) {
    const json state = hub_.state();
    for (const json& record : state["salesforce"][type]) {
      if (record.value("Id", "") == id) return record;
    }
    throw std::runtime_error(std::string("no Salesforce ") + type + " " + id);
  }
  json opportunity() { return salesforce_record("Opportunity", opportunity_id_); }

  // The Stripe objects that name the opportunity in their metadata.
  json stripe_for_opportunity(const char* collection) {
    const json state = hub_.state();
    json found = json::array();
    for (const json& o : state["stripe"][collection]) {
      if (o.value("metadata", json::object()).value("salesforce_opportunity_id", "") ==
          opportunity_id_) {
        found.push_back(o);
      }
    }
    return found;
  }

  json organization() {
    const json state = hub_.state();
    json found = json::array();
    for (const json& o : state["zendesk"]["organizations"]) {
      if (o.value("external_id", json()) == customer_) found.push_back(o);
    }
    if (found.size() != 1)
      throw std::runtime_error("organizations of " + customer_ + ": " + found.dump());
    return found[0];
  }

  // The deal billed once: one active subscription of one yearly price of the Amount, its one
  // sales order in NetSuite, the entitlements on the organization, the opportunity written back.
  void expect_billed(double amount = 1200) {
    const json subscriptions = stripe_for_opportunity("subscriptions");
    ASSERT_EQ(subscriptions.size(), 1u) << subscriptions.dump();
    const json& sub = subscriptions[0];
    subscription_ = sub["id"];
    EXPECT_EQ(sub["status"], "active");
    EXPECT_EQ(sub["customer"], customer_);
    ASSERT_EQ(sub["items"]["data"].size(), 1u);
    const json& price = sub["items"]["data"][0]["price"];
    EXPECT_EQ(price["unit_amount"], static_cast<std::int64_t>(amount * 100));
    EXPECT_EQ(price["currency"], "usd");
    EXPECT_EQ(price["recurring"]["interval"], "year");
    EXPECT_EQ(sub["items"]["data"][0]["quantity"], 1);
    EXPECT_EQ(sub["metadata"]["salesforce_account_id"], account_id_);

    const json orders = hub_.netsuite_records("salesOrder", subscription_);
    ASSERT_EQ(orders.size(), 1u) << orders.dump();
    EXPECT_EQ(orders[0]["entity"]["id"], erp_customer_id_);
    EXPECT_EQ(orders[0]["currency"]["id"], "1");
    const json lines = orders[0]["item"]["items"];
    ASSERT_EQ(lines.size(), 1u) << lines.dump();
    EXPECT_EQ(lines[0]["quantity"], 1);
    EXPECT_EQ(lines[0]["rate"], amount);
    EXPECT_EQ(lines[0]["isClosed"], false);

    const json fields = organization()["organization_fields"];
    EXPECT_EQ(fields["subscription_id"], subscription_);
    EXPECT_EQ(fields["subscription_status"], "active");
    EXPECT_EQ(fields["subscription_plan"], price["product"]);
    EXPECT_EQ(fields["subscription_seats"], 1);

    const json opp = opportunity();
    EXPECT_EQ(opp.value(kSubscriptionField, json()), subscription_);
    EXPECT_EQ(opp.value(kStatusField, json()), "active");
    EXPECT_TRUE(hub_.open_exceptions(kWorkflow).empty());
    EXPECT_TRUE(hub_.open_exceptions("subscription-change").empty());
    EXPECT_EQ(hub_.stripe_writes_applied_twice(), json::object());
  }

  // How many subscriptions Stripe created (not replayed) for the deal: one per deal.
  std::size_t subscriptions_created() {
    std::size_t created = 0;
    for (const json& r : hub_.requests("stripe")) {
      if (r["method"] == "POST" && r["path"] == "/v1/subscriptions" && r["fault"].is_null() &&
          r["status"] == 200 && !r["replayed"].get<bool>()) {
        ++created;
      }
    }
    return created;
  }

  void expect_all_completed(std::size_t count) {
    const auto instances = hub_.instances(kWorkflow);
    EXPECT_EQ(instances.size(), count);
    for (const auto& instance : instances) {
      EXPECT_EQ(instance.status, InstanceStatus::completed) << instance.id;
      EXPECT_EQ(instance.business_key, account_id_);
    }
  }

  // A run that failed for good: its one open exception at `step`, with `reason` in it, the
  // opportunity marked, and nothing posted to NetSuite or entitled on Zendesk.
  ExceptionRecord expect_refused(const std::string& step, const std::string& reason) {
    const auto open = hub_.open_exceptions(kWorkflow);
    if (open.size() != 1) {
      ADD_FAILURE() << "open exceptions: " << open.size();
      return {};
    }
    EXPECT_EQ(open[0].step_id, step);
    EXPECT_EQ(open[0].failure_class, "validation");
    EXPECT_NE(open[0].reason.find(reason), std::string::npos) << open[0].reason;
    EXPECT_TRUE(stripe_for_opportunity("subscriptions").empty() ||
                stripe_for_opportunity("subscriptions")[0]["status"] == "canceled");
    EXPECT_TRUE(hub_.state()["netsuite"].value("salesOrder", json::array()).empty());
    const json opp = opportunity();
    EXPECT_TRUE(opp.value(kSubscriptionField, json()).is_null()) << opp.dump();
    EXPECT_EQ(opp.value(kStatusField, json()), "exception") << opp.dump();
    return open[0];
  }

  std::string name_, customer_, erp_customer_id_, account_id_, opportunity_id_, subscription_;
};

TEST_F(QuoteToCashTest, AClosedWonOpportunityIsBilledPostedAndEntitledOnce) {
  linked_customer("Acme Won");
  close_won(1200);
  ASSERT_NO_THROW(hub_.settle());
  expect_billed(1200);
  expect_all_completed(1);
  EXPECT_EQ(subscriptions_created(), 1u);
  // Both quote-to-cash and subscription-change wrote the order: by one external id, so one order.
  for (const json& r : hub_.requests("netsuite")) {
    if (r["path"].get<std::string>().find("/salesOrder") == std::string::npos ||
        r["method"] == "GET")
      continue;
    EXPECT_EQ(r["method"], "PUT") << r.dump();
    EXPECT_TRUE(r["path"].get<std::string>().ends_with("/salesOrder/eid:" + subscription_))
        << r.dump();
  }
}

TEST_F(QuoteToCashTest, AnAccountWithoutAStripeCustomerGetsOneLinkedEverywhere) {
  account("Acme Newcomer");
  close_won(2400);
  ASSERT_NO_THROW(hub_.settle());
  const json created = hub_.state()["stripe"]["customers"];
  ASSERT_EQ(created.size(), 1u) << created.dump();
  customer_ = created[0]["id"];
  EXPECT_EQ(created[0]["name"], "Acme Newcomer");
  EXPECT_EQ(created[0]["metadata"]["salesforce_account_id"], account_id_);
  EXPECT_EQ(salesforce_record("Account", account_id_).value(kLink, json()), customer_);
  const json erp = hub_.netsuite_records("customer", customer_);
  ASSERT_EQ(erp.size(), 1u) << erp.dump();
  EXPECT_EQ(erp[0]["companyName"], "Acme Newcomer");
  erp_customer_id_ = erp[0]["id"];
  expect_billed(2400);
  expect_all_completed(1);
}

TEST_F(QuoteToCashTest, EventsDeliveredAgainAndOutOfOrderBillTheDealOnce) {
  linked_customer("Acme Twice");
  close_won();
  ASSERT_NO_THROW(hub_.settle());

  // The close again, then the older creation again: the hub keeps one copy of each (a relay
  // event names a record version, so a replay of the same version is the same event).
  const std::string won = hub_.raw_event("salesforce", "Opportunity.updated").body;
  const std::string created = hub_.raw_event("salesforce", "Opportunity.created").body;
  EXPECT_EQ(hub_.post_webhook("salesforce", won), 200);
  EXPECT_EQ(hub_.post_webhook("salesforce", created), 200);
  // The deal reopened and won again: a new order.closed_won and a new instance, which reads
  // the opportunity, finds it billed, and bills nothing more.
  const json key = {{"external_id_field", kLink}, {"external_id", "opp-" + name_}};
  for (const char* stage : {"Negotiation/Review", "Closed Won"}) {
    json change = key;
    change["fields"] = {{"StageName", stage}};
    hub_.act("salesforce", "upsert_opportunity", change);
  }
  ASSERT_NO_THROW(hub_.settle());

  expect_billed();
  expect_all_completed(2);
  EXPECT_EQ(subscriptions_created(), 1u);
}

TEST_F(QuoteToCashTest, TargetsAnswering429And5xxForAWhileLoseAndDoubleNothing) {
  linked_customer("Acme Flaky");
  close_won();
  hub_.flaky({"stripe", "netsuite", "zendesk", "salesforce"});
  std::this_thread::sleep_for(4s);
  hub_.clear_faults();
  ASSERT_NO_THROW(hub_.settle(90s));
  EXPECT_GT(hub_.faulted_requests("stripe") + hub_.faulted_requests("netsuite") +
                hub_.faulted_requests("zendesk") + hub_.faulted_requests("salesforce"),
            0u)
      << "no fault was injected: the test proves nothing";
  expect_billed();
  expect_all_completed(1);
  EXPECT_EQ(subscriptions_created(), 1u);
}

TEST_F(QuoteToCashTest, TargetsDownForAWhileThenBackGetEverythingOnce) {
  linked_customer("Acme Outage");
  hub_.down({"stripe", "netsuite", "zendesk"});
  close_won();
  std::this_thread::sleep_for(5s);
  // Down: nothing billed or posted, nothing given up on.
  EXPECT_TRUE(stripe_for_opportunity("subscriptions").empty());
  EXPECT_TRUE(hub_.state()["netsuite"].value("salesOrder", json::array()).empty());
  EXPECT_TRUE(hub_.open_exceptions(kWorkflow).empty());
  for (const auto& instance : hub_.instances(kWorkflow)) {
    EXPECT_EQ(instance.status, InstanceStatus::running) << instance.id;
  }
  hub_.clear_faults();
  ASSERT_NO_THROW(hub_.settle(120s));
  EXPECT_GT(hub_.faulted_requests("stripe"), 0u);
  expect_billed();
  expect_all_completed(1);
  EXPECT_EQ(subscriptions_created(), 1u);
}

TEST_F(QuoteToCashTest, AnAccountWhoseCustomerIsNotInNetSuiteIsAnExceptionBeforeAnythingIsBilled) {
  linked_customer("Acme Unposted", /*in_netsuite=*/false);
  close_won();
  ASSERT_NO_THROW(hub_.settle());
  const ExceptionRecord refused =
      expect_refused("no_erp_customer",
                     "no NetSuite customer has the Account's Stripe customer id as its externalId");
  EXPECT_EQ(json::parse(refused.context_json)["business_key"], account_id_);
  // Checked before any effect: no price, no subscription.
  EXPECT_TRUE(stripe_for_opportunity("prices").empty());
  EXPECT_TRUE(stripe_for_opportunity("subscriptions").empty());
}

TEST_F(QuoteToCashTest, ADeclinedActivationPostsNothingUndoesThePriceAndSaysWhy) {
  linked_customer("Acme Declined");
  hub_.stripe_cards_decline(true);
  close_won();
  ASSERT_NO_THROW(hub_.settle());
  expect_refused("subscription", "Your card was declined");
  // Compensated: the deal's price is no longer active; no subscription was created.
  const json prices = stripe_for_opportunity("prices");
  ASSERT_EQ(prices.size(), 1u) << prices.dump();
  EXPECT_EQ(prices[0]["active"], false);
  EXPECT_TRUE(stripe_for_opportunity("subscriptions").empty());
  EXPECT_FALSE(
      organization().value("organization_fields", json::object()).contains("subscription_id"));
  EXPECT_EQ(subscriptions_created(), 0u);
}

TEST_F(QuoteToCashTest, ADeclinedActivationForANewCustomerUndoesTheCustomerEverywhere) {
  account("Acme Declined Newcomer");
  hub_.stripe_cards_decline(true);
  close_won();
  ASSERT_NO_THROW(hub_.settle());
  expect_refused("subscription", "Your card was declined");
  // Compensated in reverse: the price deactivated, the NetSuite customer made inactive, the
  // Account's link cleared, the Stripe customer deleted.
  const json customers = hub_.state()["stripe"]["customers"];
  ASSERT_EQ(customers.size(), 1u) << customers.dump();
  EXPECT_EQ(customers[0]["deleted"], true);
  const std::string created = customers[0]["id"];
  const json erp = hub_.netsuite_records("customer", created);
  ASSERT_EQ(erp.size(), 1u) << erp.dump();
  EXPECT_EQ(erp[0]["isInactive"], true);
  EXPECT_TRUE(salesforce_record("Account", account_id_).value(kLink, json()).is_null());
  const json prices = stripe_for_opportunity("prices");
  ASSERT_EQ(prices.size(), 1u) << prices.dump();
  EXPECT_EQ(prices[0]["active"], false);
}

}  // namespace
}  // namespace weft::test
