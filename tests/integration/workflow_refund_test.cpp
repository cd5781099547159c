// The shipped refund workflow end to end: a Zendesk ticket asking for the refund of a paid
// Stripe invoice (tag refund_request, the invoice and optionally the amount in custom fields,
// as the scenario's tickets ask) is created in `weft sandbox`'s Zendesk through its API,
// reaches the hub as the signed webhook, and the workflow refunds the invoice's payment in
// Stripe, posts a NetSuite credit memo and the customer refund applying it, and writes the
// outcome back to the ticket. Also: the request delivered again and late, Stripe and NetSuite
// answering 429 and 5xx for a while, both down and back, a refund made whose posting did not
// finish (a new instance posts it and refunds nothing again), requests refused by a business
// rule (exceptions with their reasons), and a request over the auto-approval limit, which
// waits for finance-ops; a refund asked for through the API (POST /v1/refund-requests) on a
// plain ticket, which its requester may not approve.

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>

#include "shipped_workflow_fixture.hpp"
#include "support/http_client.hpp"
#include "support/process.hpp"

namespace weft::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

// The ticket fields of workflows/refund.yaml (and of the scenario's tickets).
constexpr std::int64_t kInvoiceField = 360000101;
constexpr std::int64_t kAmountField = 360000102;
constexpr std::int64_t kRefundField = 360000104;

class RefundTest : public ShippedWorkflowTest {
 protected:
  RefundTest() : ShippedWorkflowTest("refund") {}

  // A customer in all three platforms, linked by the external-id convention; then an invoice
  // of `cents` USD for it, paid by card when `pay`. Sets stripe_id_, organization_id_,
  // netsuite_id_, invoice_.
  void customer_with_invoice(const std::string& name, std::int64_t cents, bool pay = true) {
    const LinkedCustomer customer = hub_.linked_customer(name);
    stripe_id_ = customer.stripe_id;
    organization_id_ = customer.organization_id;
    netsuite_id_ = customer.netsuite_id;
    invoice_ = hub_.invoice(stripe_id_, cents, name, pay);
  }


  // A ticket of the organization asking for a refund on `invoice`: of `cents` when given, else
  // of everything left (as a customer's form would create it). Sets ticket_id_.
  // `tagged`: false opens the ticket without the tag (an agent adds it later).
  void request_refund(const std::string& invoice, std::optional<std::int64_t> cents = std::nullopt,
                      bool tagged = true) {
    json fields = {{{"id", kInvoiceField}, {"value", invoice}}};
    if (cents) fields.push_back({{"id", kAmountField}, {"value", *cents}});
    const json created = hub_.act("zendesk", "create_ticket",
                                  {{"subject", "Refund request"},
                                   {"comment", {{"body", "We were charged twice; please refund."}}},
                                   {"organization_id", organization_id_},
                                   {"tags", tagged ? json{"refund_request"} : json{"billing"}},
                                   {"custom_fields", fields}},
                                  "test-ticket-" + invoice);
    ticket_id_ = created["ticket"]["id"];
  }

  // A ticket of the organization that asks for nothing itself (no tag, no fields): the
  // request comes through the API. Sets ticket_id_.
  void open_ticket(const std::string& subject) {
    const json created = hub_.act("zendesk", "create_ticket",
                                  {{"subject", subject},
                                   {"comment", {{"body", "We were charged twice."}}},
                                   {"organization_id", organization_id_}},
                                  "test-ticket-" + subject);
    ticket_id_ = created["ticket"]["id"];
  }

  json records(const std::string& platform, const std::string& kind) {
    return hub_.state()[platform].value(kind, json::array());
  }

  // The Stripe refunds of the invoice's payment.
  json refunds_of_invoice() {
    const json invoice = hub_.act("stripe", "get_invoice", {{"id", invoice_}});
    json out = json::array();
    for (const json& refund : records("stripe", "refunds")) {
      if (refund["charge"] == invoice["charge"]) out.push_back(refund);
    }
    return out;
  }

  // What a refund of `cents` leaves everywhere: one Stripe refund on the invoice's payment
  // naming the ticket; in NetSuite one credit memo and one customer refund applying it, both
  // with the refund id as externalId, for the customer, in USD and major units; the ticket
  // tagged with its refund field set; `comments` private outcome comments.
  void expect_refunded_once(std::int64_t cents, int comments = 1) {
    const json refunds = refunds_of_invoice();
    ASSERT_EQ(refunds.size(), 1u) << refunds.dump();
    const json& refund = refunds[0];
    EXPECT_EQ(refund["status"], "succeeded");
    EXPECT_EQ(refund["amount"], cents);
    EXPECT_EQ(refund["metadata"].value("zendesk_ticket_id", ""), std::to_string(ticket_id_));
    const std::string refund_id = refund["id"];

    const json memos = hub_.netsuite_records("creditMemo", refund_id);
    ASSERT_EQ(memos.size(), 1u) << memos.dump();
    EXPECT_EQ(memos[0]["entity"]["id"], netsuite_id_);
    EXPECT_EQ(memos[0]["currency"]["id"], "1");  // usd in the workflow's vars
    EXPECT_EQ(std::lround(memos[0]["total"].get<double>() * 100), cents);
    const json posted = hub_.netsuite_records("customerRefund", refund_id);
    ASSERT_EQ(posted.size(), 1u) << posted.dump();
    EXPECT_EQ(posted[0]["customer"]["id"], netsuite_id_);
    EXPECT_EQ(posted[0]["currency"]["id"], "1");
    EXPECT_EQ(std::lround(posted[0]["total"].get<double>() * 100), cents);
    ASSERT_EQ(posted[0]["apply"]["items"].size(), 1u) << posted[0].dump();
    EXPECT_EQ(posted[0]["apply"]["items"][0]["doc"]["id"], memos[0]["id"]);
    EXPECT_NE(posted[0].value("memo", "").find(std::to_string(ticket_id_)), std::string::npos) << posted[0].dump();
    EXPECT_EQ(records("netsuite", "customerRefund").size(), 1u);

    const json zendesk = hub_.state()["zendesk"];
    int tickets = 0;
    for (const json& ticket : zendesk["tickets"]) {
      if (ticket["id"] != ticket_id_) continue;
      ++tickets;
      EXPECT_NE(ticket["tags"].dump().find("refund_issued"), std::string::npos) << ticket["tags"].dump();
      bool field_set = false;
      for (const json& field : ticket["custom_fields"]) {
        if (field["id"] == kRefundField) field_set = field["value"] == refund_id;
      }
      EXPECT_TRUE(field_set) << ticket["custom_fields"].dump();
    }
    EXPECT_EQ(tickets, 1);
    int outcome_comments = 0;
    for (const json& comment : zendesk["ticket_comments"][std::to_string(ticket_id_)]) {
      if (comment.value("body", "").starts_with("Refund issued: Stripe refund")) {
        ++outcome_comments;
        EXPECT_FALSE(comment.value("public", true));
        EXPECT_NE(comment["body"].get<std::string>().find(refund_id), std::string::npos);
      }
    }
    EXPECT_EQ(outcome_comments, comments);
    EXPECT_TRUE(hub_.open_exceptions("refund").empty());
  }

  // A request refused by a business rule: one open exception of the `fail` step `step`, whose
  // reason says `reason`, and nothing refunded or posted.
  void expect_refused(const std::string& step, const std::string& reason) {
    const auto open = hub_.open_exceptions("refund");
    ASSERT_EQ(open.size(), 1u);
    EXPECT_EQ(open[0].step_id, step);
    EXPECT_EQ(open[0].failure_class, "validation");
    EXPECT_NE(open[0].reason.find(reason), std::string::npos) << open[0].reason;
    EXPECT_EQ(json::parse(open[0].context_json)["business_key"], "zen:ticket:" + std::to_string(ticket_id_));
    EXPECT_TRUE(records("stripe", "refunds").empty());
    EXPECT_TRUE(records("netsuite", "customerRefund").empty());
    EXPECT_TRUE(records("netsuite", "creditMemo").empty());
  }

  // The request's webhook again under a new event id with an old timestamp (a relay that
  // lagged: Zendesk's event ids derive from the ticket's updated_at, so it is a new event).
  void deliver_request_late() {
    json late = json::parse(hub_.raw_event("zendesk", "ticket.created").body);
    late["id"] = late["id"].get<std::string>() + "-late";
    late["detail"]["updated_at"] = "2020-01-01T00:00:00Z";
    EXPECT_EQ(hub_.post_webhook("zendesk", late.dump()), 200);
  }

  std::string stripe_id_;
  std::int64_t organization_id_ = 0;
  std::string netsuite_id_;
  std::string invoice_;
  std::int64_t ticket_id_ = 0;
};

TEST_F(RefundTest, ARequestUnderTheLimitIsRefundedInFullPostedAndToldOnTheTicket) {
  customer_with_invoice("Refund Happy", 20000);
  ASSERT_NO_THROW(hub_.settle());
  request_refund(invoice_);  // no amount: everything paid, 200.00 USD, under the 250.00 limit
  ASSERT_NO_THROW(hub_.settle());
  expect_refunded_once(20000);
  const auto instances = hub_.instances("refund");
  ASSERT_EQ(instances.size(), 1u);
  EXPECT_EQ(instances[0].status, InstanceStatus::completed);
  EXPECT_EQ(instances[0].business_key, "zen:ticket:" + std::to_string(ticket_id_));
}

// An agent turns an existing ticket into a refund request by tagging it (case.tags_changed).
TEST_F(RefundTest, ATagAddedToAnExistingTicketRequestsTheRefund) {
  customer_with_invoice("Refund Tagged Later", 20000);
  ASSERT_NO_THROW(hub_.settle());
  request_refund(invoice_, 7500, /*tagged=*/false);
  ASSERT_NO_THROW(hub_.settle());
  EXPECT_TRUE(hub_.instances("refund").empty());
  std::this_thread::sleep_for(1100ms);  // Zendesk stamps changes to the second: the tag is a later change
  hub_.act("zendesk", "update_ticket", {{"id", ticket_id_}, {"additional_tags", {"refund_request"}}});
  ASSERT_NO_THROW(hub_.settle());
  expect_refunded_once(7500);
  ASSERT_EQ(hub_.instances("refund").size(), 1u);
}

TEST_F(RefundTest, TheRequestDeliveredAgainAndLateRefundsNothingTwice) {
  customer_with_invoice("Refund Twice", 20000);
  ASSERT_NO_THROW(hub_.settle());
  request_refund(invoice_, 5000);
  ASSERT_NO_THROW(hub_.settle());

  // The same signed webhook again: the hub keeps one copy.
  EXPECT_EQ(hub_.post_webhook("zendesk", hub_.raw_event("zendesk", "ticket.created").body), 200);
  // Late: a new instance, which reads the ticket as it is now (already refunded) and does nothing.
  deliver_request_late();
  ASSERT_NO_THROW(hub_.settle());

  expect_refunded_once(5000);
  const auto instances = hub_.instances("refund");
  EXPECT_EQ(instances.size(), 2u);
  for (const auto& instance : instances) EXPECT_EQ(instance.status, InstanceStatus::completed) << instance.id;
}

TEST_F(RefundTest, ARefundWhosePostingDidNotFinishIsPostedByTheNextInstanceAndNotMadeAgain) {
  customer_with_invoice("Refund Resume", 20000);
  ASSERT_NO_THROW(hub_.settle());
  request_refund(invoice_, 5000);
  ASSERT_NO_THROW(hub_.settle());
  // As if the instance had stopped after the Stripe refund: the ticket without its outcome tag
  // and NetSuite's records not as posted (edited by hand); then the request comes again. The
  // new instance finds the refund by the ticket on the payment, refunds nothing, and upserts
  // the postings back.
  hub_.act("zendesk", "update_ticket", {{"id", ticket_id_}, {"remove_tags", {"refund_issued"}}});
  const std::string refund_id = refunds_of_invoice().at(0).at("id");
  for (const char* type : {"customerRefund", "creditMemo"}) {
    hub_.act("netsuite", "update_record",
             {{"record_type", type}, {"external_id", refund_id}, {"body", {{"memo", "edited by hand"}}}});
  }
  ASSERT_NO_THROW(hub_.settle());
  deliver_request_late();
  ASSERT_NO_THROW(hub_.settle());

  expect_refunded_once(5000, 2);  // the second instance reports the same refund again
  EXPECT_NE(hub_.netsuite_records("customerRefund", refund_id)[0].value("memo", "").find("Zendesk ticket"),
            std::string::npos);
  for (const auto& instance : hub_.instances("refund")) {
    EXPECT_EQ(instance.status, InstanceStatus::completed) << instance.id;
  }
}

TEST_F(RefundTest, StripeAndNetSuiteAnswering429And5xxForAWhileLoseAndDoubleNothing) {
  customer_with_invoice("Refund Flaky", 20000);
  ASSERT_NO_THROW(hub_.settle());
  hub_.flaky({"stripe", "netsuite"});
  request_refund(invoice_, 5000);
  std::this_thread::sleep_for(4s);
  hub_.clear_faults();
  ASSERT_NO_THROW(hub_.settle(90s));
  EXPECT_GT(hub_.faulted_requests("stripe") + hub_.faulted_requests("netsuite"), 0u) << "no fault injected";
  expect_refunded_once(5000);
  EXPECT_EQ(hub_.stripe_writes_applied_twice(), json::object());  // each keyed write once
}

TEST_F(RefundTest, StripeAndNetSuiteDownForAWhileThenBackRefundOnce) {
  customer_with_invoice("Refund Outage", 20000);
  ASSERT_NO_THROW(hub_.settle());
  hub_.down({"stripe", "netsuite"});
  request_refund(invoice_, 5000);
  std::this_thread::sleep_for(5s);
  EXPECT_TRUE(hub_.open_exceptions("refund").empty());
  for (const auto& instance : hub_.instances("refund")) {
    EXPECT_EQ(instance.status, InstanceStatus::running) << instance.id;
  }
  hub_.clear_faults();
  ASSERT_NO_THROW(hub_.settle(120s));
  EXPECT_GT(hub_.faulted_requests("stripe"), 0u);
  expect_refunded_once(5000);
  EXPECT_EQ(hub_.stripe_writes_applied_twice(), json::object());  // each keyed write once
}

TEST_F(RefundTest, ARequestOverWhatIsLeftOnThePaymentIsAnExceptionWithItsReason) {
  customer_with_invoice("Refund Greedy", 20000);
  ASSERT_NO_THROW(hub_.settle());
  request_refund(invoice_, 25000);
  ASSERT_NO_THROW(hub_.settle());
  expect_refused("amount_over_remaining", "the requested refund is more than what is left on the invoice's payment");
}

TEST_F(RefundTest, AnUnpaidInvoiceIsAnExceptionWithItsReason) {
  customer_with_invoice("Refund Unpaid", 20000, false);
  ASSERT_NO_THROW(hub_.settle());
  request_refund(invoice_);
  ASSERT_NO_THROW(hub_.settle());
  expect_refused("invoice_not_paid", "the invoice named on the ticket is not paid, so there is no payment to refund");
}

// The waiting state (instance waiting, approval pending, nothing done); the approval through
// /v1 is the API test's below.
TEST_F(RefundTest, ARequestOverTheLimitWaitsForFinanceOpsAndRefundsNothing) {
  customer_with_invoice("Refund Large", 50000);
  ASSERT_NO_THROW(hub_.settle());
  request_refund(invoice_);  // everything: 500.00 USD, over the 250.00 limit
  ASSERT_NO_THROW(hub_.settle());
  const auto instances = hub_.instances("refund");
  ASSERT_EQ(instances.size(), 1u);
  EXPECT_EQ(instances[0].status, InstanceStatus::waiting);
  const auto pending = hub_.pending_approvals(instances[0].id);
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0].step_id, "approval");
  EXPECT_EQ(pending[0].role, "finance-ops");
  EXPECT_NE(pending[0].title.find(std::to_string(ticket_id_)), std::string::npos) << pending[0].title;
  EXPECT_TRUE(records("stripe", "refunds").empty());
  EXPECT_TRUE(records("netsuite", "customerRefund").empty());
  EXPECT_TRUE(hub_.open_exceptions("refund").empty());
}


// Through the API: a support-ops key asks for a refund over the limit on a ticket that asks for
// nothing itself. The request waits for finance-ops; the requester's key may not approve it
// (four-eyes); a finance-ops key does, and the Stripe refund, the NetSuite credit memo and
// customer refund and the outcome on the ticket follow, once.
TEST_F(RefundTest, ARefundAskedThroughTheApiWaitsForFinanceOpsAndItsRequesterCannotApproveIt) {
  customer_with_invoice("Refund Api", 50000);
  open_ticket("Charged twice in May");
  ASSERT_NO_THROW(hub_.settle());
  EXPECT_TRUE(hub_.instances("refund").empty());

  HttpClient api(hub_.hub_url());
  const std::string support = hub_.api_key("support-agent", "support-ops");
  const json request = {{"ticket_id", std::to_string(ticket_id_)},
                        {"invoice_id", invoice_},
                        {"amount", 30000},  // 300.00 USD, over the 250.00 limit
                        {"reason", "charged twice"}};
  auto accepted = api.post("/v1/refund-requests", request.dump(),
                           {{"Authorization", "Bearer " + support}, {"Idempotency-Key", "refund-" + invoice_}});
  ASSERT_TRUE(accepted.ok());
  ASSERT_EQ(accepted->status, 202) << accepted->body;
  EXPECT_EQ(json::parse(accepted->body)["type"], "case.refund_requested");
  ASSERT_NO_THROW(hub_.settle());

  const auto instances = hub_.instances("refund");
  ASSERT_EQ(instances.size(), 1u);
  EXPECT_EQ(instances[0].status, InstanceStatus::waiting);
  const auto pending = hub_.pending_approvals(instances[0].id);
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0].requested_by, "support-agent");
  EXPECT_NE(pending[0].title.find("Refund of 300 "), std::string::npos) << pending[0].title;
  EXPECT_TRUE(refunds_of_invoice().empty());

  const HttpResponse own = hub_.decide(pending[0].id, support, {{"decision", "approve"}});
  EXPECT_EQ(own.status, 403) << own.body;
  EXPECT_NE(own.body.find("four-eyes"), std::string::npos) << own.body;
  const HttpResponse approved = hub_.decide(pending[0].id, hub_.api_key("finance-lead", "finance-ops"),
                                            {{"decision", "approve"}, {"comment", "duplicate charge confirmed"}});
  ASSERT_EQ(approved.status, 200) << approved.body;
  ASSERT_NO_THROW(hub_.settle());
  expect_refunded_once(30000);
}

}  // namespace
}  // namespace weft::test
