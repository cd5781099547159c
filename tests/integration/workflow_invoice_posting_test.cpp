// The shipped invoice-posting workflow end to end: invoices issued and paid in `weft sandbox`'s
// Stripe (through its API, as a billing user would) reach the hub as signed webhooks, and the
// workflow posts them to the sandbox's NetSuite: the invoice with its lines in its currency,
// and the customer payment applied to it. Also: the same events delivered again and late,
// NetSuite answering 429 and 5xx for a while, NetSuite down and back, and a Stripe customer
// with no NetSuite customer (an exception with its reason).

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "support/http_client.hpp"
#include "support/process.hpp"
#include "shipped_workflow_fixture.hpp"

namespace weft::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

class InvoicePostingTest : public ShippedWorkflowTest {
 protected:
  InvoicePostingTest() : ShippedWorkflowTest("invoice-posting") {}

  // A Stripe customer, and (when `in_netsuite`) the NetSuite customer linked to it by the
  // external-id convention (externalId = the Stripe customer id). The Stripe id. Without
  // one, the customer keeps its own number in metadata.external_id (linked by another
  // convention), which customer-sync leaves to people instead of creating its NetSuite customer.
  std::string customer(const std::string& name, bool in_netsuite = true) {
    json input = {{"name", name}};
    if (!in_netsuite) input["metadata"] = {{"external_id", "legacy-" + name}};
    const json created = hub_.act("stripe", "create_customer", input, "test-customer-" + name);
    const std::string id = created.at("id");
    if (in_netsuite) {
      erp_customer_id_ = hub_.act("netsuite", "upsert_customer",
                                  {{"external_id", id}, {"body", {{"companyName", name}}}})
                             .at("id");
    }
    return id;
  }

  // An invoice of two lines (19.99 + 5.01 USD) for `customer`, still a draft. Its id.
  std::string draft_invoice(const std::string& customer) {
    stripe("/v1/invoiceitems", "customer=" + customer + "&amount=1999&currency=usd&description=Seats");
    stripe("/v1/invoiceitems", "customer=" + customer + "&amount=501&currency=usd&description=Support");
    return stripe("/v1/invoices", "customer=" + customer + "&pending_invoice_items_behavior=include").at("id");
  }

  json stripe(const std::string& path, const std::string& form) {
    HttpClient client(sandbox_url());
    auto answer = client.post(path, form,
                              {{"Authorization", "Bearer sk_test_weft_demo"},
                               {"Content-Type", "application/x-www-form-urlencoded"}});
    if (!answer.ok() || answer->status != 200) {
      throw std::runtime_error("POST " + path + ": " + (answer.ok() ? answer->body : answer.error().message));
    }
    return json::parse(answer->body);
  }

  std::string sandbox_url() { return hub_.sandbox_url(); }

  json netsuite_records(const std::string& type, const std::string& external_id) {
    return hub_.netsuite_records(type, external_id);
  }

  // What the happy path leaves in NetSuite for `invoice`: one invoice with both lines in USD
  // for the linked customer, one payment of 25.00 applied to it.
  void expect_posted_once(const std::string& invoice) {
    const json invoices = netsuite_records("invoice", invoice);
    ASSERT_EQ(invoices.size(), 1u) << invoices.dump();
    const json& posted = invoices[0];
    EXPECT_EQ(posted["entity"]["id"], erp_customer_id_);
    EXPECT_EQ(posted["currency"]["id"], "1");  // usd in the workflow's vars
    const json lines = posted["item"]["items"];
    ASSERT_EQ(lines.size(), 2u) << lines.dump();
    EXPECT_EQ(lines[0]["amount"], 19.99);
    EXPECT_EQ(lines[0]["description"], "Seats");
    EXPECT_EQ(lines[1]["amount"], 5.01);
    EXPECT_EQ(std::lround(posted["total"].get<double>() * 100), 2500);

    const json payments = netsuite_records("customerPayment", invoice + "-payment");
    ASSERT_EQ(payments.size(), 1u) << payments.dump();
    EXPECT_EQ(payments[0]["customer"]["id"], erp_customer_id_);
    EXPECT_EQ(payments[0]["payment"], 25.0);
    const json applied = payments[0]["apply"]["items"];
    ASSERT_EQ(applied.size(), 1u) << applied.dump();
    EXPECT_EQ(applied[0]["doc"]["id"], posted["id"]);
    EXPECT_EQ(applied[0]["amount"], 25.0);
    EXPECT_TRUE(hub_.open_exceptions("invoice-posting").empty());
  }


  std::string erp_customer_id_;
};

TEST_F(InvoicePostingTest, AnIssuedThenPaidInvoiceIsPostedWithItsPayment) {
  const std::string cus = customer("Acme Happy");
  const std::string invoice = draft_invoice(cus);
  stripe("/v1/invoices/" + invoice + "/finalize", "");
  stripe("/v1/invoices/" + invoice + "/pay", "");
  ASSERT_NO_THROW(hub_.settle());
  expect_posted_once(invoice);
  int completed = 0;
  for (const auto& instance : hub_.instances("invoice-posting")) {
    EXPECT_EQ(instance.status, InstanceStatus::completed) << instance.id;
    EXPECT_EQ(instance.business_key, cus);
    ++completed;
  }
  EXPECT_EQ(completed, 2);  // invoice.issued and invoice.paid
}

TEST_F(InvoicePostingTest, EventsDeliveredAgainAndLateChangeNothing) {
  const std::string cus = customer("Acme Twice");
  const std::string invoice = draft_invoice(cus);
  stripe("/v1/invoices/" + invoice + "/finalize", "");
  stripe("/v1/invoices/" + invoice + "/pay", "");
  ASSERT_NO_THROW(hub_.settle());

  // The same signed events again, the older one last: the hub keeps one copy of each.
  const std::string paid = hub_.raw_event("stripe", "invoice.paid").body;
  const std::string finalized = hub_.raw_event("stripe", "invoice.finalized").body;
  EXPECT_EQ(hub_.post_webhook("stripe", paid), 200);
  EXPECT_EQ(hub_.post_webhook("stripe", finalized), 200);
  // The issue event late under another id (as a backfill with its own ids would bring it):
  // a new instance, which reads the invoice as it is now (paid) and writes the same records.
  json late = json::parse(finalized);
  late["id"] = late["id"].get<std::string>() + "_late";
  EXPECT_EQ(hub_.post_webhook("stripe", late.dump()), 200);
  ASSERT_NO_THROW(hub_.settle());

  expect_posted_once(invoice);
  EXPECT_EQ(hub_.instances("invoice-posting").size(), 3u);
}

TEST_F(InvoicePostingTest, NetSuiteAnswering429And5xxForAWhileLosesAndDoublesNothing) {
  const std::string cus = customer("Acme Flaky");
  const std::string invoice = draft_invoice(cus);
  hub_.faults({{"netsuite", {{"rate_limit", {{"rate", 0.4}, {"retry_after_seconds", 1}}},
                             {"error_rate", 0.4}, {"status", 503}}}});
  stripe("/v1/invoices/" + invoice + "/finalize", "");
  stripe("/v1/invoices/" + invoice + "/pay", "");
  std::this_thread::sleep_for(4s);
  hub_.clear_faults();
  ASSERT_NO_THROW(hub_.settle(90s));
  EXPECT_GT(hub_.faulted_requests("netsuite"), 0u) << "no fault was injected: the test proves nothing";
  expect_posted_once(invoice);
}

TEST_F(InvoicePostingTest, NetSuiteDownForAWhileThenBackPostsEverythingOnce) {
  const std::string cus = customer("Acme Outage");
  const std::string invoice = draft_invoice(cus);
  hub_.down({"netsuite"});
  stripe("/v1/invoices/" + invoice + "/finalize", "");
  stripe("/v1/invoices/" + invoice + "/pay", "");
  std::this_thread::sleep_for(5s);
  // Down: nothing posted, nothing given up on.
  EXPECT_TRUE(netsuite_records("invoice", invoice).empty());
  EXPECT_TRUE(hub_.open_exceptions("invoice-posting").empty());
  for (const auto& instance : hub_.instances("invoice-posting")) {
    EXPECT_EQ(instance.status, InstanceStatus::running) << instance.id;
  }
  hub_.clear_faults();
  ASSERT_NO_THROW(hub_.settle(120s));
  EXPECT_GT(hub_.faulted_requests("netsuite"), 0u);
  expect_posted_once(invoice);
}

TEST_F(InvoicePostingTest, AStripeCustomerWithoutANetSuiteCustomerIsAnExceptionWithItsReason) {
  const std::string cus = customer("Acme Unlinked", /*in_netsuite=*/false);
  const std::string invoice = draft_invoice(cus);
  stripe("/v1/invoices/" + invoice + "/finalize", "");
  ASSERT_NO_THROW(hub_.settle());
  EXPECT_TRUE(netsuite_records("invoice", invoice).empty());
  const auto open = hub_.open_exceptions("invoice-posting");
  ASSERT_EQ(open.size(), 1u);
  EXPECT_EQ(open[0].step_id, "no_erp_customer");
  EXPECT_EQ(open[0].failure_class, "validation");
  EXPECT_NE(open[0].reason.find("no NetSuite customer has the invoice's Stripe customer id as its externalId"),
            std::string::npos)
      << open[0].reason;
  EXPECT_EQ(json::parse(open[0].context_json)["business_key"], cus);
}

}  // namespace
}  // namespace weft::test
