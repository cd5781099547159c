// The shipped replacement-order workflow end to end: a Zendesk ticket asking for a replacement
// (tag replacement_request, the NetSuite item and the quantity in custom fields, as the
// scenario's tickets ask) is created in `weft sandbox`'s Zendesk through its API, reaches the
// hub as the signed webhook, and the workflow checks the customer's Stripe subscription and
// NetSuite standing, then upserts a zero-priced NetSuite sales order and tells the ticket. Also:
// the tag added to an existing ticket, the request delivered again and late, Stripe and NetSuite answering 429 and 5xx for a while,
// both down and back, a customer missing in NetSuite (an exception with its reason), and the
// refusals — no subscription, a credit hold, an overdue invoice — told on the ticket.

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "shipped_workflow_fixture.hpp"
#include "support/process.hpp"

namespace weft::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

// The ticket fields of workflows/replacement-order.yaml (and of the scenario's tickets).
constexpr std::int64_t kItemField = 360000106;
constexpr std::int64_t kQuantityField = 360000107;

class ReplacementOrderTest : public ShippedWorkflowTest {
 protected:
  ReplacementOrderTest() : ShippedWorkflowTest("replacement-order") {}

  // A customer in all three platforms, linked by the external-id convention (NetSuite only
  // when `in_netsuite`, with `netsuite_fields` added); with a monthly subscription when
  // `subscribed`. Sets stripe_id_, organization_id_, netsuite_id_. Without NetSuite, the Stripe
  // customer keeps its own number in metadata.external_id (linked by another convention), which
  // customer-sync leaves to people instead of creating its NetSuite customer.
  void customer(const std::string& name, bool subscribed, bool in_netsuite = true,
                const json& netsuite_fields = json::object()) {
    json input = {{"name", name}};
    if (!in_netsuite) input["metadata"] = {{"external_id", "legacy-" + name}};
    stripe_id_ = hub_.act("stripe", "create_customer", input, "test-customer-" + name).at("id");
    organization_id_ =
        hub_.act("zendesk", "upsert_organization", {{"external_id", stripe_id_}, {"name", name}})["organization"]["id"];
    if (in_netsuite) {
      json body = {{"companyName", name}};
      body.update(netsuite_fields);
      netsuite_id_ = hub_.act("netsuite", "upsert_customer", {{"external_id", stripe_id_}, {"body", body}}).at("id");
    }
    if (!subscribed) return;
    const std::string product =
        hub_.act("stripe", "create_product", {{"name", "Sensors"}}, "test-product-" + name).at("id");
    const std::string price = hub_.act("stripe", "create_price",
                                       {{"product", product}, {"currency", "usd"}, {"unit_amount", 4900},
                                        {"recurring", {{"interval", "month"}}}},
                                       "test-price-" + name)
                                  .at("id");
    hub_.act("stripe", "create_subscription", {{"customer", stripe_id_}, {"items", json::array({{{"price", price}}})}},
             "test-subscription-" + name);
  }

  // A ticket of the organization asking for `quantity` of NetSuite item `item`. Sets ticket_id_.
  void request_replacement(const std::string& item, int quantity) {
    const json created = hub_.act("zendesk", "create_ticket",
                                  {{"subject", "Replacement sensor needed"},
                                   {"comment", {{"body", "Our sensor stopped working; please send a new one."}}},
                                   {"organization_id", organization_id_},
                                   {"tags", {"replacement_request"}},
                                   {"custom_fields", {{{"id", kItemField}, {"value", item}},
                                                      {{"id", kQuantityField}, {"value", quantity}}}}},
                                  "test-ticket-" + stripe_id_);
    ticket_id_ = created["ticket"]["id"];
  }

  std::string order_external_id() const { return "zd-" + std::to_string(ticket_id_) + "-replacement"; }

  json ticket() {
    const json tickets = hub_.state()["zendesk"]["tickets"];  // a copy: the state is a temporary
    for (const json& t : tickets) {
      if (t["id"] == ticket_id_) return t;
    }
    throw std::runtime_error("no ticket " + std::to_string(ticket_id_));
  }
  bool tagged(const std::string& tag) { return ticket()["tags"].dump().find("\"" + tag + "\"") != std::string::npos; }

  // The ticket's private comments whose body starts with `prefix`.
  json comments_starting(const std::string& prefix) {
    json out = json::array();
    const json comments = hub_.state()["zendesk"]["ticket_comments"][std::to_string(ticket_id_)];
    for (const json& c : comments) {
      if (c.value("body", "").starts_with(prefix)) out.push_back(c);
    }
    return out;
  }

  void expect_instances_completed(std::size_t how_many) {
    const auto instances = hub_.instances("replacement-order");
    ASSERT_EQ(instances.size(), how_many);
    for (const auto& instance : instances) {
      EXPECT_EQ(instance.status, InstanceStatus::completed) << instance.id;
      EXPECT_EQ(instance.business_key, "zen:ticket:" + std::to_string(ticket_id_));
    }
  }

  // One zero-priced sales order for the customer under the ticket's external id, with one
  // line of `quantity` × `item`; the ticket tagged ordered (not refused) with one private
  // comment naming the order's number.
  void expect_ordered_once(const std::string& item, int quantity) {
    const json orders = hub_.netsuite_records("salesOrder", order_external_id());
    ASSERT_EQ(orders.size(), 1u) << orders.dump();
    const json& order = orders[0];
    EXPECT_EQ(order["entity"]["id"], netsuite_id_);
    EXPECT_EQ(order["total"], 0);
    const json lines = order["item"]["items"];
    ASSERT_EQ(lines.size(), 1u) << lines.dump();
    EXPECT_EQ(lines[0]["item"]["id"], item);
    EXPECT_EQ(lines[0]["quantity"], quantity);
    EXPECT_EQ(lines[0]["rate"], 0);
    EXPECT_EQ(lines[0]["amount"], 0);

    EXPECT_TRUE(tagged("replacement_ordered")) << ticket()["tags"].dump();
    EXPECT_FALSE(tagged("replacement_refused")) << ticket()["tags"].dump();
    const json told = comments_starting("Replacement ordered: NetSuite sales order ");
    ASSERT_EQ(told.size(), 1u) << told.dump();
    EXPECT_FALSE(told[0].value("public", true));
    EXPECT_NE(told[0]["body"].get<std::string>().find(order["tranId"].get<std::string>()), std::string::npos)
        << told[0]["body"];
    EXPECT_TRUE(comments_starting("Replacement request refused").empty());
    EXPECT_TRUE(hub_.open_exceptions("replacement-order").empty());
  }

  // Refused as a normal outcome: no order, the ticket tagged refused (not ordered) with one
  // private comment that says `why`, the instance completed and no exception.
  void expect_refused(const std::string& why) {
    EXPECT_TRUE(hub_.netsuite_records("salesOrder", order_external_id()).empty());
    EXPECT_TRUE(tagged("replacement_refused")) << ticket()["tags"].dump();
    EXPECT_FALSE(tagged("replacement_ordered")) << ticket()["tags"].dump();
    const json told = comments_starting("Replacement request refused, no order was placed:");
    ASSERT_EQ(told.size(), 1u) << told.dump();
    EXPECT_FALSE(told[0].value("public", true));
    EXPECT_NE(told[0]["body"].get<std::string>().find(why), std::string::npos) << told[0]["body"];
    EXPECT_TRUE(hub_.open_exceptions("replacement-order").empty());
    expect_instances_completed(1);
  }

  std::string stripe_id_;
  std::int64_t organization_id_ = 0;
  std::string netsuite_id_;
  std::int64_t ticket_id_ = 0;
};

TEST_F(ReplacementOrderTest, AnEntitledCustomerInGoodStandingGetsAZeroPricedOrderToldOnTheTicket) {
  customer("Replace Happy", true);
  ASSERT_NO_THROW(hub_.settle());
  request_replacement("11", 2);
  ASSERT_NO_THROW(hub_.settle());
  expect_ordered_once("11", 2);
  expect_instances_completed(1);
}

// An agent adds the tag to a ticket that did not have it (case.tags_changed, tags_added).
TEST_F(ReplacementOrderTest, TheTagAddedToAnExistingTicketOrders) {
  customer("Replace Later", true);
  ASSERT_NO_THROW(hub_.settle());
  const json created = hub_.act("zendesk", "create_ticket",
                                {{"subject", "Gateway keeps rebooting"},
                                 {"comment", {{"body", "Our gateway reboots every hour."}}},
                                 {"organization_id", organization_id_},
                                 {"custom_fields", {{{"id", kItemField}, {"value", "12"}}}}},
                                "test-ticket-untagged");
  ticket_id_ = created["ticket"]["id"];
  ASSERT_NO_THROW(hub_.settle());
  EXPECT_TRUE(hub_.instances("replacement-order").empty());  // no request yet

  hub_.act("zendesk", "update_ticket", {{"id", ticket_id_}, {"additional_tags", {"replacement_request"}}},
           "test-tag-" + std::to_string(ticket_id_));
  ASSERT_NO_THROW(hub_.settle());
  expect_ordered_once("12", 1);  // the quantity field is empty: 1
  expect_instances_completed(1);
}

TEST_F(ReplacementOrderTest, TheRequestDeliveredAgainAndLateOrdersNothingTwice) {
  customer("Replace Twice", true);
  ASSERT_NO_THROW(hub_.settle());
  request_replacement("12", 1);
  ASSERT_NO_THROW(hub_.settle());

  // The same signed webhook again: the hub keeps one copy.
  const std::string created = hub_.raw_event("zendesk", "ticket.created").body;
  EXPECT_EQ(hub_.post_webhook("zendesk", created), 200);
  // An older copy of the request, late and under another event id: a new instance, which reads
  // the ticket as it is now (already answered) and does nothing.
  json late = json::parse(created);
  late["id"] = late["id"].get<std::string>() + "-late";
  late["detail"]["updated_at"] = "2020-01-01T00:00:00Z";
  EXPECT_EQ(hub_.post_webhook("zendesk", late.dump()), 200);
  ASSERT_NO_THROW(hub_.settle());

  expect_ordered_once("12", 1);
  expect_instances_completed(2);
}

TEST_F(ReplacementOrderTest, StripeAndNetSuiteAnswering429And5xxForAWhileLoseAndDoubleNothing) {
  customer("Replace Flaky", true);
  ASSERT_NO_THROW(hub_.settle());
  hub_.flaky({"stripe", "netsuite"});
  request_replacement("11", 3);
  std::this_thread::sleep_for(4s);
  hub_.clear_faults();
  ASSERT_NO_THROW(hub_.settle(90s));
  EXPECT_GT(hub_.faulted_requests("stripe") + hub_.faulted_requests("netsuite"), 0u) << "no fault injected";
  expect_ordered_once("11", 3);
  expect_instances_completed(1);
}

TEST_F(ReplacementOrderTest, StripeAndNetSuiteDownForAWhileThenBackOrderOnce) {
  customer("Replace Outage", true);
  ASSERT_NO_THROW(hub_.settle());
  hub_.down({"stripe", "netsuite"});
  request_replacement("13", 1);
  std::this_thread::sleep_for(5s);
  EXPECT_TRUE(hub_.open_exceptions("replacement-order").empty());
  for (const auto& instance : hub_.instances("replacement-order")) {
    EXPECT_EQ(instance.status, InstanceStatus::running) << instance.id;
  }
  EXPECT_TRUE(comments_starting("Replacement").empty());  // nothing decided while down
  hub_.clear_faults();
  ASSERT_NO_THROW(hub_.settle(120s));
  EXPECT_GT(hub_.faulted_requests("stripe"), 0u);
  expect_ordered_once("13", 1);
  expect_instances_completed(1);
}

TEST_F(ReplacementOrderTest, ACustomerMissingInNetSuiteIsAnExceptionWithItsReason) {
  customer("Replace Unlinked", true, /*in_netsuite=*/false);
  ASSERT_NO_THROW(hub_.settle());
  request_replacement("11", 1);
  ASSERT_NO_THROW(hub_.settle());
  const auto open = hub_.open_exceptions("replacement-order");
  ASSERT_EQ(open.size(), 1u);
  EXPECT_EQ(open[0].step_id, "no_erp_customer");
  EXPECT_EQ(open[0].failure_class, "validation");
  EXPECT_NE(open[0].reason.find("no NetSuite customer has the organization's Stripe customer id as its externalId"),
            std::string::npos)
      << open[0].reason;
  EXPECT_EQ(json::parse(open[0].context_json)["business_key"], "zen:ticket:" + std::to_string(ticket_id_));
  EXPECT_TRUE(hub_.netsuite_records("salesOrder", order_external_id()).empty());
  EXPECT_FALSE(tagged("replacement_ordered"));
  EXPECT_FALSE(tagged("replacement_refused"));
}

TEST_F(ReplacementOrderTest, ACustomerWithoutASubscriptionIsRefusedOnTheTicket) {
  customer("Replace Unentitled", false);
  ASSERT_NO_THROW(hub_.settle());
  request_replacement("11", 1);
  ASSERT_NO_THROW(hub_.settle());
  expect_refused("the customer has no active subscription (Stripe: none), so it is not entitled to replacements");
}

TEST_F(ReplacementOrderTest, ACustomerOnCreditHoldIsRefusedOnTheTicket) {
  customer("Replace Held", true, true, {{"creditHoldOverride", "ON"}});
  ASSERT_NO_THROW(hub_.settle());
  request_replacement("11", 1);
  ASSERT_NO_THROW(hub_.settle());
  expect_refused("the account is on credit hold in NetSuite; finance must release the hold first");
}

TEST_F(ReplacementOrderTest, ACustomerWithAnOverdueInvoiceIsRefusedOnTheTicket) {
  customer("Replace Overdue", true);
  // An invoice entered in NetSuite, due long ago, unpaid.
  hub_.act("netsuite", "upsert_invoice",
           {{"external_id", "test-overdue-invoice"},
            {"body", {{"entity", {{"id", netsuite_id_}}},
                      {"tranDate", "2020-01-05"},
                      {"dueDate", "2020-02-04"},
                      {"item", {{"items", {{{"item", {{"id", "1"}}}, {"amount", 120}}}}}}}}});
  ASSERT_NO_THROW(hub_.settle());
  request_replacement("11", 1);
  ASSERT_NO_THROW(hub_.settle());
  expect_refused("the account has 1 overdue invoice(s) in NetSuite (");
  const std::string body = comments_starting("Replacement request refused")[0]["body"];
  EXPECT_NE(body.find("due 2020-02-04, 120 unpaid"), std::string::npos) << body;
}

}  // namespace
}  // namespace weft::test
