// The shipped invoice-dispute workflow end to end: a paid Stripe invoice, posted to NetSuite
// by invoice-posting, is charged back (the sandbox's dispute helper, as Stripe has no API to
// open one) or disputed on a Zendesk ticket (tag invoice_dispute, the invoice in custom field
// 360000101, as the scenario's tickets do); the workflow links the dispute in all three
// platforms and, once Stripe closes the dispute or the agent solves the ticket, writes the
// resolution back to all three. Also: the chargeback's events delivered again and out of order,
// the platforms answering 429 and 5xx for a while, down and back, and a ticket naming another
// customer's invoice (an exception with its reason, nothing written).

#include <gtest/gtest.h>

#include <algorithm>
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

// The ticket fields and tags of workflows/invoice-dispute.yaml (and of the scenario's tickets).
constexpr std::int64_t kInvoiceField = 360000101;
constexpr std::int64_t kResolutionField = 360000105;

class InvoiceDisputeTest : public ShippedWorkflowTest {
 protected:
  InvoiceDisputeTest() : ShippedWorkflowTest("invoice-dispute") {}

  // A customer in all three platforms, linked by the external-id convention, with a paid
  // invoice of `cents` USD, which invoice-posting has posted to NetSuite. Without `in_erp`,
  // the customer is not in NetSuite (yet), so neither is the invoice: the Stripe customer keeps
  // its own number in metadata.external_id, which customer-sync leaves to people instead of
  // creating its NetSuite customer (otherwise whether invoice-posting looked before
  // customer-sync had created it depended on timing). Sets stripe_id_, organization_id_,
  // invoice_.
  void customer_with_paid_invoice(const std::string& name, std::int64_t cents, bool in_erp = true) {
    std::string email = "billing@" + name + ".example";
    std::replace(email.begin(), email.end(), ' ', '-');
    json input = {{"name", name}, {"email", email}};
    if (!in_erp) input["metadata"] = {{"external_id", "legacy-" + name}};
    stripe_id_ = hub_.act("stripe", "create_customer", input, "test-customer-" + name).at("id");
    organization_id_ =
        hub_.act("zendesk", "upsert_organization", {{"external_id", stripe_id_}, {"name", name}})["organization"]["id"];
    if (in_erp) erp_customer(name);
    hub_.act("stripe", "create_invoice_item",
             {{"customer", stripe_id_}, {"amount", cents}, {"currency", "usd"}, {"description", "Seats"}},
             "test-item-" + name);
    const std::string draft =
        hub_.act("stripe", "create_invoice", {{"customer", stripe_id_}, {"pending_invoice_items_behavior", "include"}},
                 "test-invoice-" + name)
            .at("id");
    invoice_ = hub_.act("stripe", "finalize_invoice", {{"id", draft}}, "test-finalize-" + name).at("id");
    hub_.act("stripe", "pay_invoice", {{"id", invoice_}}, "test-pay-" + name);
    ASSERT_NO_THROW(hub_.settle());
    ASSERT_EQ(hub_.netsuite_records("invoice", invoice_).size(), in_erp ? 1u : 0u) << invoice_;
  }

  std::string erp_customer(const std::string& name) {
    return hub_.act("netsuite", "upsert_customer", {{"external_id", stripe_id_}, {"body", {{"companyName", name}}}})
        .at("id");
  }

  // The customer's bank disputes the payment of invoice_. Sets dispute_.
  void charge_back(const std::string& reason = "product_not_received") {
    dispute_ = hub_.sandbox_helper("stripe/disputes", {{"invoice", invoice_}, {"reason", reason}}).at("id");
  }
  void close_dispute(const std::string& status) {
    hub_.sandbox_helper("stripe/disputes/" + dispute_ + "/close", {{"status", status}});
  }

  // A ticket of the organization disputing `invoice`, as a customer's form would create it.
  // Sets ticket_id_.
  void dispute_on_ticket(const std::string& invoice) {
    const json created = hub_.act("zendesk", "create_ticket",
                                  {{"subject", "We dispute this invoice"},
                                   {"comment", {{"body", "It bills seats we cancelled last month."}}},
                                   {"organization_id", organization_id_},
                                   {"tags", {"invoice_dispute"}},
                                   {"custom_fields", {{{"id", kInvoiceField}, {"value", invoice}}}}},
                                  "test-ticket-" + invoice);
    ticket_id_ = created["ticket"]["id"];
  }

  json stripe_invoice(const std::string& id) {
    const json state = hub_.state();  // a local: a range-for over a temporary's member dangles
    for (const json& invoice : state["stripe"]["invoices"]) {
      if (invoice["id"] == id) return invoice;
    }
    ADD_FAILURE() << "no Stripe invoice " << id;
    return json::object();
  }

  json zendesk_ticket(std::int64_t id) {
    const json state = hub_.state();
    for (const json& ticket : state["zendesk"]["tickets"]) {
      if (ticket["id"] == id) return ticket;
    }
    ADD_FAILURE() << "no Zendesk ticket " << id;
    return json::object();
  }

  // The chargeback's ticket: exactly one carries the dispute id as its external_id.
  std::int64_t chargeback_ticket() {
    json found = json::array();
    const json state = hub_.state();
    for (const json& ticket : state["zendesk"]["tickets"]) {
      if (ticket.value("external_id", json()) == dispute_) found.push_back(ticket);
    }
    EXPECT_EQ(found.size(), 1u) << found.dump();
    return found.empty() ? 0 : found[0]["id"].get<std::int64_t>();
  }

  int comments_starting(std::int64_t ticket, const std::string& prefix) {
    int count = 0;
    const json state = hub_.state();
    for (const json& comment : state["zendesk"]["ticket_comments"][std::to_string(ticket)]) {
      if (!comment.value("body", "").starts_with(prefix)) continue;
      ++count;
      EXPECT_FALSE(comment.value("public", true)) << comment.dump();
    }
    return count;
  }

  static bool tagged(const json& ticket, const std::string& tag) {
    for (const json& t : ticket.value("tags", json::array())) {
      if (t == tag) return true;
    }
    return false;
  }

  // The dispute of `kind` (chargeback or dispute) linked on all three platforms with `status`
  // and `resolution` ("" while open): the Stripe invoice's metadata and the NetSuite invoice
  // name the ticket, the ticket got the link comment once and, when resolved, the resolution
  // comment once and the resolved tag.
  void expect_written(const std::string& kind, std::int64_t ticket, const std::string& status,
                      const std::string& resolution) {
    const json erp = hub_.netsuite_records("invoice", invoice_);
    ASSERT_EQ(erp.size(), 1u) << erp.dump();
    const json metadata = stripe_invoice(invoice_)["metadata"];
    EXPECT_EQ(metadata.value(kind + "_zendesk_ticket", ""), std::to_string(ticket)) << metadata.dump();
    EXPECT_EQ(metadata.value(kind + "_netsuite_invoice", ""), erp[0]["id"]) << metadata.dump();
    EXPECT_EQ(metadata.value(kind + "_status", ""), status) << metadata.dump();
    EXPECT_EQ(metadata.value(kind + "_resolution", ""), resolution) << metadata.dump();
    if (kind == "chargeback") {
      EXPECT_EQ(metadata.value("chargeback_dispute", ""), dispute_);
    }

    EXPECT_EQ(erp[0].value("custbody_weft_" + kind + "_ticket", ""), std::to_string(ticket)) << erp[0].dump();
    EXPECT_EQ(erp[0].value("custbody_weft_" + kind + "_status", ""), status) << erp[0].dump();
    EXPECT_EQ(erp[0].value("custbody_weft_" + kind + "_resolution", json()),
              resolution.empty() ? json() : json(resolution))
        << erp[0].dump();
    EXPECT_FALSE(erp[0].value("custbody_weft_" + kind + "_reason", "").empty()) << erp[0].dump();
    EXPECT_GT(erp[0].value("total", 0.0), 0.0) << "the posted invoice lost its lines: " << erp[0].dump();

    const json t = zendesk_ticket(ticket);
    EXPECT_TRUE(tagged(t, "invoice_dispute_linked")) << t["tags"].dump();
    EXPECT_EQ(comments_starting(ticket, "Dispute linked. Stripe invoice"), 1);
    EXPECT_EQ(tagged(t, "invoice_dispute_resolved"), !resolution.empty()) << t["tags"].dump();
    EXPECT_EQ(comments_starting(ticket, "Dispute resolved: " + resolution), resolution.empty() ? 0 : 1);
    EXPECT_TRUE(hub_.open_exceptions("invoice-dispute").empty());
  }

  void expect_all_completed() {
    for (const auto& instance : hub_.instances("invoice-dispute")) {
      EXPECT_EQ(instance.status, InstanceStatus::completed) << instance.id;
    }
  }

  std::string stripe_id_;
  std::int64_t organization_id_ = 0;
  std::string invoice_;
  std::string dispute_;
  std::int64_t ticket_id_ = 0;
};

TEST_F(InvoiceDisputeTest, AChargebackGetsItsTicketIsLinkedEverywhereAndItsOutcomeWrittenBack) {
  customer_with_paid_invoice("Dispute Bank", 4200);
  charge_back();
  ASSERT_NO_THROW(hub_.settle());
  const std::int64_t ticket = chargeback_ticket();
  const json t = zendesk_ticket(ticket);
  EXPECT_EQ(t["organization_id"], organization_id_);
  EXPECT_TRUE(tagged(t, "invoice_dispute") && tagged(t, "chargeback")) << t["tags"].dump();
  EXPECT_NE(t["custom_fields"].dump().find(invoice_), std::string::npos) << t["custom_fields"].dump();
  expect_written("chargeback", ticket, "needs_response", "");

  close_dispute("won");
  ASSERT_NO_THROW(hub_.settle());
  expect_written("chargeback", ticket, "won", "Stripe closed the dispute: won");
  EXPECT_NE(zendesk_ticket(ticket)["custom_fields"].dump().find(R"({"id":360000105,"value":"won"})"),
            std::string::npos);
  const auto instances = hub_.instances("invoice-dispute");
  EXPECT_EQ(instances.size(), 2u);  // the chargeback's ticket, opened by the workflow, starts none
  expect_all_completed();
}

TEST_F(InvoiceDisputeTest, ATicketDisputeIsLinkedEverywhereAndTheAgentsResolutionWrittenBack) {
  customer_with_paid_invoice("Dispute Desk", 4200);
  dispute_on_ticket(invoice_);
  ASSERT_NO_THROW(hub_.settle());
  expect_written("dispute", ticket_id_, "open", "");

  // The agent writes the resolution and solves the ticket.
  hub_.act("zendesk", "update_ticket",
           {{"id", ticket_id_},
            {"status", "solved"},
            {"custom_fields", {{{"id", kResolutionField}, {"value", "Seats credited on the next invoice"}}}}});
  ASSERT_NO_THROW(hub_.settle());
  expect_written("dispute", ticket_id_, "resolved", "Seats credited on the next invoice");
  EXPECT_EQ(hub_.instances("invoice-dispute").size(), 2u);
  expect_all_completed();
}

TEST_F(InvoiceDisputeTest, TheChargebacksEventsDeliveredAgainAndOutOfOrderWriteEverythingOnce) {
  customer_with_paid_invoice("Dispute Twice", 4200);
  charge_back();
  ASSERT_NO_THROW(hub_.settle());
  close_dispute("lost");
  ASSERT_NO_THROW(hub_.settle());

  // The same signed webhooks again: the hub keeps one copy of each.
  const std::string opened = hub_.raw_event("stripe", "charge.dispute.created").body;
  const std::string closed = hub_.raw_event("stripe", "charge.dispute.closed").body;
  EXPECT_EQ(hub_.post_webhook("stripe", opened), 200);
  EXPECT_EQ(hub_.post_webhook("stripe", closed), 200);
  // The opening again under another event id, after the closing (a resend that lagged): a new
  // instance, which reads the dispute as it is now (lost) and finds its ticket.
  json late = json::parse(opened);
  late["id"] = late["id"].get<std::string>() + "late";
  EXPECT_EQ(hub_.post_webhook("stripe", late.dump()), 200);
  ASSERT_NO_THROW(hub_.settle());

  const std::int64_t ticket = chargeback_ticket();
  expect_written("chargeback", ticket, "lost", "Stripe closed the dispute: lost");
  EXPECT_EQ(hub_.instances("invoice-dispute").size(), 3u);
  expect_all_completed();
  EXPECT_EQ(hub_.stripe_writes_applied_twice(), json::object());
}

TEST_F(InvoiceDisputeTest, PlatformsAnswering429And5xxForAWhileLoseAndDoubleNothing) {
  customer_with_paid_invoice("Dispute Flaky", 4200);
  hub_.flaky({"stripe", "netsuite", "zendesk"});
  charge_back();
  std::this_thread::sleep_for(4s);
  hub_.clear_faults();
  ASSERT_NO_THROW(hub_.settle(90s));
  EXPECT_GT(hub_.faulted_requests("stripe") + hub_.faulted_requests("netsuite") + hub_.faulted_requests("zendesk"), 0u)
      << "no fault injected";
  expect_written("chargeback", chargeback_ticket(), "needs_response", "");
  EXPECT_EQ(hub_.stripe_writes_applied_twice(), json::object());  // each keyed write once
  expect_all_completed();
}

// The dispute is opened and closed while the platforms are down: once they are back, it is
// linked and its outcome written, once.
TEST_F(InvoiceDisputeTest, PlatformsDownForAWhileThenBackLinkAndResolveOnce) {
  customer_with_paid_invoice("Dispute Outage", 4200);
  hub_.down({"stripe", "netsuite", "zendesk"});
  charge_back();
  std::this_thread::sleep_for(3s);
  close_dispute("won");
  std::this_thread::sleep_for(2s);
  EXPECT_TRUE(hub_.open_exceptions("invoice-dispute").empty());
  for (const auto& instance : hub_.instances("invoice-dispute")) {
    EXPECT_EQ(instance.status, InstanceStatus::running) << instance.id;
  }
  hub_.clear_faults();
  ASSERT_NO_THROW(hub_.settle(120s));
  EXPECT_GT(hub_.faulted_requests("stripe"), 0u);
  expect_written("chargeback", chargeback_ticket(), "won", "Stripe closed the dispute: won");
  EXPECT_EQ(hub_.stripe_writes_applied_twice(), json::object());  // each keyed write once
  EXPECT_EQ(hub_.instances("invoice-dispute").size(), 2u);
  expect_all_completed();
}

// invoice-posting cannot post the invoice (its customer is not in NetSuite): the chargeback
// waits for the NetSuite invoice instead of failing, and links once it is there.
TEST_F(InvoiceDisputeTest, AChargebackBeforeItsInvoiceIsInNetSuiteWaitsForItThenLinks) {
  customer_with_paid_invoice("Dispute Early", 4200, /*in_erp=*/false);
  charge_back();
  ASSERT_NO_THROW(hub_.settle());
  auto instances = hub_.instances("invoice-dispute");
  ASSERT_EQ(instances.size(), 1u);
  EXPECT_EQ(instances[0].status, InstanceStatus::waiting);
  EXPECT_TRUE(hub_.open_exceptions("invoice-dispute").empty());
  EXPECT_FALSE(stripe_invoice(invoice_)["metadata"].contains("chargeback_netsuite_invoice"));

  // Someone posts the invoice in NetSuite by hand: NetSuite reports it, and the wait ends.
  const std::string customer = erp_customer("Dispute Early");
  hub_.act("netsuite", "upsert_invoice",
           {{"external_id", invoice_},
            {"body", {{"entity", {{"id", customer}}},
                      {"item", {{"items", {{{"item", {{"id", "1"}}}, {"description", "Seats"}, {"amount", 42.0}}}}}}}}});
  ASSERT_NO_THROW(hub_.settle());
  expect_written("chargeback", chargeback_ticket(), "needs_response", "");
  expect_all_completed();
}

TEST_F(InvoiceDisputeTest, ATicketDisputingAnotherCustomersInvoiceIsAnExceptionAndWritesNothing) {
  customer_with_paid_invoice("Dispute Other", 4200);
  const std::string others_invoice = invoice_;
  customer_with_paid_invoice("Dispute Asker", 4200);
  dispute_on_ticket(others_invoice);
  ASSERT_NO_THROW(hub_.settle());

  const auto open = hub_.open_exceptions("invoice-dispute");
  ASSERT_EQ(open.size(), 1u);
  EXPECT_EQ(open[0].step_id, "not_the_customers_invoice");
  EXPECT_EQ(open[0].failure_class, "validation");
  EXPECT_NE(open[0].reason.find("the invoice named on the dispute ticket belongs to another Stripe customer"),
            std::string::npos)
      << open[0].reason;
  EXPECT_EQ(json::parse(open[0].context_json)["business_key"], "zen:ticket:" + std::to_string(ticket_id_));
  for (const std::string& invoice : {others_invoice, invoice_}) {
    EXPECT_FALSE(stripe_invoice(invoice)["metadata"].contains("dispute_zendesk_ticket")) << invoice;
    const json erp = hub_.netsuite_records("invoice", invoice);
    ASSERT_EQ(erp.size(), 1u);
    EXPECT_FALSE(erp[0].contains("custbody_weft_dispute_ticket")) << erp[0].dump();
  }
  EXPECT_EQ(comments_starting(ticket_id_, "Dispute linked."), 0);
}

}  // namespace
}  // namespace weft::test
