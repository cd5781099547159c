// The Stripe emulator called directly (handle()): auth, idempotency (replay, mismatch, not
// saving validation failures), pagination, errors, resources and the events and signed
// webhooks every change produces. Time is a ManualClock; webhooks go to a recording outbox.

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "connectors/stripe/stripe_webhook.hpp"
#include "crypto/hmac.hpp"
#include "sandbox/stripe/stripe_emulator.hpp"
#include "weft/manual_clock.hpp"

namespace weft::sandbox::stripe {
namespace {

using nlohmann::json;

class RecordingOutbox final : public WebhookOutbox {
 public:
  void post(Webhook webhook) override { posted.push_back(std::move(webhook)); }
  std::vector<std::string> types() const {
    std::vector<std::string> out;
    for (const auto& w : posted) out.push_back(json::parse(w.body)["type"].get<std::string>());
    return out;
  }
  std::vector<Webhook> posted;
};

class StripeEmulatorTest : public ::testing::Test {
 protected:
  http::Response call(const std::string& method, const std::string& target, const std::string& body = {},
                      const std::string& idempotency_key = {}, const std::string& key = "sk_test_weft_demo") {
    http::Request request;
    request.method = method;
    request.target = target;
    const auto q = target.find('?');
    request.path = target.substr(0, q);
    request.query = q == std::string::npos ? "" : target.substr(q + 1);
    request.body = body;
    if (!key.empty()) request.headers.set("Authorization", "Bearer " + key);
    if (!body.empty()) request.headers.set("Content-Type", "application/x-www-form-urlencoded");
    if (!idempotency_key.empty()) request.headers.set("Idempotency-Key", idempotency_key);
    return emulator_.handle(request);
  }
  json ok(const std::string& method, const std::string& target, const std::string& body = {},
          const std::string& idempotency_key = {}) {
    auto response = call(method, target, body, idempotency_key);
    EXPECT_EQ(response.status, 200) << method << " " << target << ": " << response.body;
    return json::parse(response.body, nullptr, false);
  }
  json error(const http::Response& response) { return json::parse(response.body, nullptr, false)["error"]; }

  // A customer with a paid 5000-cent invoice: {customer, invoice}.
  std::pair<std::string, json> paid_invoice() {
    const std::string customer = ok("POST", "/v1/customers", "name=Acme&email=ap%40acme.test")["id"];
    const std::string invoice = ok("POST", "/v1/invoices", "customer=" + customer)["id"];
    ok("POST", "/v1/invoiceitems", "customer=" + customer + "&invoice=" + invoice + "&amount=5000&currency=usd");
    ok("POST", "/v1/invoices/" + invoice + "/finalize");
    return {customer, ok("POST", "/v1/invoices/" + invoice + "/pay")};
  }

  Credentials credentials_;
  std::shared_ptr<ManualClock> clock_ = std::make_shared<ManualClock>();
  RecordingOutbox outbox_;
  StripeEmulator emulator_{EmulatorContext{credentials_, clock_, outbox_}};
};

TEST_F(StripeEmulatorTest, MissingOrWrongKeysGetStripes401WithTheKeyMasked) {
  auto missing = call("GET", "/v1/customers", {}, {}, "");
  EXPECT_EQ(missing.status, 401);
  EXPECT_NE(error(missing)["message"].get<std::string>().find("You did not provide an API key"), std::string::npos);
  auto wrong = call("GET", "/v1/customers", {}, {}, "sk_test_somebodyelse1234abcd");
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(error(wrong)["type"], "invalid_request_error");
  EXPECT_EQ(error(wrong)["message"], "Invalid API Key provided: sk_test_****************abcd");
  EXPECT_EQ(wrong.body.find("somebodyelse"), std::string::npos);
  EXPECT_EQ(mask_api_key("short"), "*****");

  http::Request basic;
  basic.method = "GET";
  basic.path = "/v1/customers";
  basic.headers.set("Authorization", "Basic " + crypto::base64_encode(std::string_view("sk_test_weft_demo:")));
  EXPECT_EQ(emulator_.handle(basic).status, 200);
}

TEST_F(StripeEmulatorTest, ObjectsLookLikeStripesWithPrefixedIds) {
  auto customer = ok("POST", "/v1/customers", "email=a%40b.test&metadata[crm_id]=42&metadata[tier]=gold");
  EXPECT_EQ(customer["object"], "customer");
  EXPECT_EQ(customer["id"].get<std::string>().rfind("cus_", 0), 0u);
  EXPECT_EQ(customer["email"], "a@b.test");
  EXPECT_EQ(customer["metadata"], (json{{"crm_id", "42"}, {"tier", "gold"}}));
  EXPECT_EQ(customer["livemode"], false);
  EXPECT_EQ(customer["created"], clock_->unix_seconds());
  for (const char* key : {"address", "balance", "currency", "default_source", "delinquent", "description", "discount",
                          "invoice_prefix", "invoice_settings", "name", "next_invoice_sequence", "phone",
                          "preferred_locales", "shipping", "tax_exempt", "test_clock"}) {
    EXPECT_TRUE(customer.contains(key)) << key;
  }
  // An empty value unsets one metadata key; the others stay.
  auto updated = ok("POST", "/v1/customers/" + customer["id"].get<std::string>(), "metadata[tier]=");
  EXPECT_EQ(updated["metadata"], (json{{"crm_id", "42"}}));
}

TEST_F(StripeEmulatorTest, RepeatedIdempotencyKeyReplaysTheSavedAnswerAndCreatesNothing) {
  auto first = call("POST", "/v1/customers", "email=a%40b.test", "key-1");
  ASSERT_EQ(first.status, 200);
  auto again = call("POST", "/v1/customers", "email=a%40b.test", "key-1");
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(again.body, first.body);
  EXPECT_EQ(again.headers.get("Idempotent-Replayed").value_or(""), "true");
  EXPECT_EQ(again.headers.get("Original-Request"), first.headers.get("Request-Id"));
  EXPECT_NE(again.headers.get("Request-Id"), first.headers.get("Request-Id"));
  EXPECT_EQ(ok("GET", "/v1/customers")["data"].size(), 1u);
  EXPECT_EQ(outbox_.types(), std::vector<std::string>{"customer.created"});
  http::Request request;
  request.headers.set("Idempotency-Key", "key-1");
  const auto facts = emulator_.describe(request, again);
  EXPECT_TRUE(facts.replayed);
  EXPECT_EQ(facts.idempotency_key, "key-1");
}

TEST_F(StripeEmulatorTest, ReusedKeyWithOtherParametersOrEndpointIsAnIdempotencyError) {
  ASSERT_EQ(call("POST", "/v1/customers", "email=a%40b.test", "key-1").status, 200);
  auto other_params = call("POST", "/v1/customers", "email=c%40d.test", "key-1");
  EXPECT_EQ(other_params.status, 400);
  EXPECT_EQ(error(other_params)["type"], "idempotency_error");
  auto other_endpoint = call("POST", "/v1/products", "name=Widget", "key-1");
  EXPECT_EQ(other_endpoint.status, 400);
  EXPECT_EQ(error(other_endpoint)["type"], "idempotency_error");
  EXPECT_NE(error(other_endpoint)["message"].get<std::string>().find("same endpoint"), std::string::npos);
  EXPECT_EQ(ok("GET", "/v1/customers")["data"].size(), 1u);
  // Keys are kept 24 hours.
  clock_->advance(std::chrono::hours(24));
  EXPECT_EQ(call("POST", "/v1/customers", "email=c%40d.test", "key-1").status, 200);
}

TEST_F(StripeEmulatorTest, ValidationFailuresAreNotSavedForTheKey) {
  auto bad = call("POST", "/v1/customers", "balance=lots", "key-2");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(error(bad)["code"], "parameter_invalid_integer");
  EXPECT_EQ(error(bad)["param"], "balance");
  // The corrected request with the same key runs.
  EXPECT_EQ(call("POST", "/v1/customers", "balance=100", "key-2").status, 200);
}

TEST_F(StripeEmulatorTest, ErrorsUseStripesEnvelope) {
  auto missing = call("GET", "/v1/customers/cus_nope");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(error(missing)["code"], "resource_missing");
  EXPECT_EQ(error(missing)["message"], "No such customer: 'cus_nope'");
  auto unknown = call("POST", "/v1/customers", "emial=a%40b.test");
  EXPECT_EQ(unknown.status, 400);
  EXPECT_EQ(error(unknown)["code"], "parameter_unknown");
  EXPECT_EQ(error(unknown)["message"], "Received unknown parameter: emial. Did you mean email?");
  auto required = call("POST", "/v1/invoiceitems", "amount=5");
  EXPECT_EQ(error(required)["code"], "parameter_missing");
  EXPECT_EQ(error(required)["param"], "customer");
  auto route = call("GET", "/v1/unicorns");
  EXPECT_EQ(route.status, 404);
  EXPECT_NE(error(route)["message"].get<std::string>().find("Unrecognized request URL (GET: /v1/unicorns)"),
            std::string::npos);
  EXPECT_EQ(route.headers.get("Content-Type").value_or(""), "application/json");
  EXPECT_EQ(route.headers.get("Request-Id").value_or("").rfind("req_", 0), 0u);
}

TEST_F(StripeEmulatorTest, MalformedRequestsGetClear400s) {
  EXPECT_EQ(call("POST", "/v1/customers", "email=%zz").status, 400);
  EXPECT_EQ(call("POST", "/v1/customers", "metadata=1&metadata[a]=2").status, 400);
  EXPECT_EQ(call("POST", "/v1/customers", "metadata[a][b]=1").status, 400);
  EXPECT_EQ(call("POST", "/v1/customers", "email[]=x").status, 400);
  http::Request json_body;
  json_body.method = "POST";
  json_body.path = "/v1/customers";
  json_body.body = R"({"email": "a@b.test"})";
  json_body.headers.set("Authorization", "Bearer sk_test_weft_demo");
  json_body.headers.set("Content-Type", "application/json");
  auto refused = emulator_.handle(json_body);
  EXPECT_EQ(refused.status, 400);
  EXPECT_NE(error(refused)["message"].get<std::string>().find("x-www-form-urlencoded"), std::string::npos);
  http::Request version;
  version.method = "GET";
  version.path = "/v1/customers";
  version.headers.set("Authorization", "Bearer sk_test_weft_demo");
  version.headers.set("Stripe-Version", "yesterday");
  EXPECT_EQ(emulator_.handle(version).status, 400);
  version.headers.set("Stripe-Version", "2025-03-31.basil");
  auto accepted = emulator_.handle(version);
  EXPECT_EQ(accepted.status, 200);
  EXPECT_EQ(accepted.headers.get("Stripe-Version").value_or(""), "2025-03-31.basil");
}

TEST_F(StripeEmulatorTest, ListsAreNewestFirstAndPageBothWays) {
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(ok("POST", "/v1/customers", "name=c" + std::to_string(i))["id"]);
  auto page1 = ok("GET", "/v1/customers?limit=2");
  EXPECT_EQ(page1["object"], "list");
  EXPECT_EQ(page1["url"], "/v1/customers");
  EXPECT_EQ(page1["has_more"], true);
  ASSERT_EQ(page1["data"].size(), 2u);
  EXPECT_EQ(page1["data"][0]["id"], ids[4]);
  EXPECT_EQ(page1["data"][1]["id"], ids[3]);
  auto page2 = ok("GET", "/v1/customers?limit=2&starting_after=" + ids[3]);
  EXPECT_EQ(page2["data"][0]["id"], ids[2]);
  EXPECT_EQ(page2["data"][1]["id"], ids[1]);
  auto page3 = ok("GET", "/v1/customers?limit=2&starting_after=" + ids[1]);
  ASSERT_EQ(page3["data"].size(), 1u);
  EXPECT_EQ(page3["has_more"], false);
  auto back = ok("GET", "/v1/customers?limit=2&ending_before=" + ids[1]);
  ASSERT_EQ(back["data"].size(), 2u);
  EXPECT_EQ(back["data"][0]["id"], ids[3]);
  EXPECT_EQ(back["data"][1]["id"], ids[2]);
  EXPECT_EQ(back["has_more"], true);
  EXPECT_EQ(ok("GET", "/v1/customers")["data"].size(), 5u);  // default limit 10
  EXPECT_EQ(error(call("GET", "/v1/customers?limit=101"))["param"], "limit");
  EXPECT_EQ(call("GET", "/v1/customers?limit=0").status, 400);
  EXPECT_EQ(call("GET", "/v1/customers?starting_after=" + ids[0] + "&ending_before=" + ids[1]).status, 400);
  EXPECT_EQ(call("GET", "/v1/customers?starting_after=cus_gone").status, 404);
}

TEST_F(StripeEmulatorTest, SearchFindsCustomersByMetadataAndPagesWithNextPage) {
  for (int i = 0; i < 3; ++i) ok("POST", "/v1/customers", "email=x" + std::to_string(i) + "%40t.test&metadata[crm]=acme");
  ok("POST", "/v1/customers", "email=other%40t.test&metadata[crm]=other");
  auto found = ok("GET", "/v1/customers/search?limit=2&query=metadata%5B%27crm%27%5D%3A%27acme%27");
  EXPECT_EQ(found["object"], "search_result");
  EXPECT_EQ(found["data"].size(), 2u);
  EXPECT_EQ(found["has_more"], true);
  auto rest = ok("GET", "/v1/customers/search?limit=2&query=metadata%5B%27crm%27%5D%3A%27acme%27&page=" +
                            found["next_page"].get<std::string>());
  EXPECT_EQ(rest["data"].size(), 1u);
  EXPECT_TRUE(rest["next_page"].is_null());
  auto by_email = ok("GET", "/v1/customers/search?query=email%3A%22other%40t.test%22");
  ASSERT_EQ(by_email["data"].size(), 1u);
  auto bad = call("GET", "/v1/customers/search?query=colour%3A%27red%27");
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(error(bad)["message"].get<std::string>().find("unsupported search field"), std::string::npos);
}

TEST_F(StripeEmulatorTest, InvoiceLifecycleEmitsEventsAndSignedWebhooks) {
  auto [customer, invoice] = paid_invoice();
  EXPECT_EQ(invoice["status"], "paid");
  EXPECT_EQ(invoice["amount_paid"], 5000);
  EXPECT_EQ(invoice["amount_remaining"], 0);
  EXPECT_EQ(invoice["lines"]["data"].size(), 1u);
  EXPECT_EQ(invoice["lines"]["data"][0]["object"], "line_item");
  EXPECT_EQ(invoice["lines"]["data"][0]["id"].get<std::string>().rfind("il_", 0), 0u);
  EXPECT_EQ(invoice["charge"].get<std::string>().rfind("ch_", 0), 0u);
  EXPECT_EQ(invoice["payment_intent"].get<std::string>().rfind("pi_", 0), 0u);
  EXPECT_EQ(invoice["number"].get<std::string>().substr(invoice["number"].get<std::string>().size() - 5), "-0001");
  EXPECT_EQ(outbox_.types(), (std::vector<std::string>{"customer.created", "invoice.created", "invoiceitem.created",
                                                        "invoice.finalized", "charge.succeeded", "payment_intent.succeeded",
                                                        "invoice.paid", "invoice.payment_succeeded"}));
  // Every webhook verifies with the project's Stripe verifier, and is the stored event.
  connectors::stripe::SignatureVerifier verifier(credentials_.stripe_webhook_secret, std::chrono::seconds(300));
  for (const auto& webhook : outbox_.posted) {
    EXPECT_EQ(webhook.platform, "stripe");
    const auto headers = webhook.headers(clock_->now());
    EXPECT_TRUE(verifier.verify(headers, webhook.body, clock_->now()).ok());
    EXPECT_EQ(headers.get("User-Agent").value_or(""), "Stripe/1.0 (+https://stripe.com/docs/webhooks)");
    auto event = ok("GET", "/v1/events/" + webhook.event_id);
    EXPECT_EQ(json::parse(webhook.body), event);
  }
  // A later attempt is signed at its own time.
  const auto& last = outbox_.posted.back();
  const std::string first_signature(last.headers(clock_->now()).get("Stripe-Signature").value_or(""));
  clock_->advance(std::chrono::seconds(5));
  EXPECT_NE(std::string(last.headers(clock_->now()).get("Stripe-Signature").value_or("")), first_signature);

  auto paid_again = call("POST", "/v1/invoices/" + invoice["id"].get<std::string>() + "/pay");
  EXPECT_EQ(paid_again.status, 400);
  auto voided = call("POST", "/v1/invoices/" + invoice["id"].get<std::string>() + "/void");
  EXPECT_EQ(voided.status, 400);
  auto listed = ok("GET", "/v1/invoices?status=paid&customer=" + customer);
  EXPECT_EQ(listed["data"].size(), 1u);
  EXPECT_EQ(ok("GET", "/v1/invoices?status=open")["data"].size(), 0u);
}

TEST_F(StripeEmulatorTest, VoidingAnOpenInvoiceAndExpandingItsCustomer) {
  const std::string customer = ok("POST", "/v1/customers", "name=Acme")["id"];
  const std::string invoice = ok("POST", "/v1/invoices", "customer=" + customer)["id"];
  ok("POST", "/v1/invoiceitems", "customer=" + customer + "&invoice=" + invoice + "&amount=700&currency=usd");
  ok("POST", "/v1/invoices/" + invoice + "/finalize");
  auto voided = ok("POST", "/v1/invoices/" + invoice + "/void");
  EXPECT_EQ(voided["status"], "void");
  EXPECT_EQ(outbox_.types().back(), "invoice.voided");
  auto expanded = ok("GET", "/v1/invoices/" + invoice + "?expand[]=customer");
  EXPECT_EQ(expanded["customer"]["object"], "customer");
  EXPECT_EQ(expanded["customer"]["name"], "Acme");
  auto listed = ok("GET", "/v1/invoices?expand[]=data.customer");
  EXPECT_EQ(listed["data"][0]["customer"]["id"], customer);
  EXPECT_EQ(call("GET", "/v1/invoices/" + invoice + "?expand[]=nothing").status, 400);
}

TEST_F(StripeEmulatorTest, CreditNotesCannotExceedTheInvoiceAndSplitPostPaymentAmounts) {
  auto [customer, invoice] = paid_invoice();
  const std::string id = invoice["id"];
  auto too_much = call("POST", "/v1/credit_notes", "invoice=" + id + "&amount=5001");
  EXPECT_EQ(too_much.status, 400);
  EXPECT_EQ(error(too_much)["param"], "amount");
  auto note = ok("POST", "/v1/credit_notes", "invoice=" + id + "&amount=3000&refund_amount=1000&credit_amount=2000&reason=order_change");
  EXPECT_EQ(note["object"], "credit_note");
  EXPECT_EQ(note["id"].get<std::string>().rfind("cn_", 0), 0u);
  EXPECT_EQ(note["type"], "post_payment");
  EXPECT_EQ(note["status"], "issued");
  EXPECT_EQ(note["refunds"][0]["amount_refunded"], 1000);
  EXPECT_EQ(note["number"], invoice["number"].get<std::string>() + "-CN-01");
  EXPECT_EQ(ok("GET", "/v1/customers/" + customer)["balance"], -2000);
  auto charge = ok("GET", "/v1/charges/" + invoice["charge"].get<std::string>());
  EXPECT_EQ(charge["amount_refunded"], 1000);
  EXPECT_EQ(ok("GET", "/v1/invoices/" + id)["post_payment_credit_notes_amount"], 3000);
  // 2000 left to credit on the invoice.
  EXPECT_EQ(call("POST", "/v1/credit_notes", "invoice=" + id + "&amount=2001").status, 400);
  auto mismatch = call("POST", "/v1/credit_notes", "invoice=" + id + "&amount=1000&refund_amount=10");
  EXPECT_EQ(mismatch.status, 400);
  EXPECT_EQ(call("POST", "/v1/credit_notes", "invoice=" + id).status, 400);  // neither amount nor lines
  auto types = outbox_.types();
  EXPECT_NE(std::find(types.begin(), types.end(), "credit_note.created"), types.end());
  EXPECT_NE(std::find(types.begin(), types.end(), "refund.created"), types.end());
  EXPECT_NE(std::find(types.begin(), types.end(), "charge.refunded"), types.end());
  EXPECT_EQ(call("POST", "/v1/credit_notes/" + note["id"].get<std::string>() + "/void").status, 400);  // has a refund
}

TEST_F(StripeEmulatorTest, PrePaymentCreditNoteReducesWhatIsDueAndVoidingRestoresIt) {
  const std::string customer = ok("POST", "/v1/customers", "name=Acme")["id"];
  const std::string invoice = ok("POST", "/v1/invoices", "customer=" + customer)["id"];
  auto item = ok("POST", "/v1/invoiceitems", "customer=" + customer + "&invoice=" + invoice + "&amount=1000&currency=usd");
  auto open = ok("POST", "/v1/invoices/" + invoice + "/finalize");
  const std::string line = open["lines"]["data"][0]["id"];
  auto note = ok("POST", "/v1/credit_notes",
                 "invoice=" + invoice + "&lines[0][type]=invoice_line_item&lines[0][invoice_line_item]=" + line +
                     "&lines[0][amount]=400");
  EXPECT_EQ(note["type"], "pre_payment");
  EXPECT_EQ(note["lines"]["data"][0]["object"], "credit_note_line_item");
  auto after = ok("GET", "/v1/invoices/" + invoice);
  EXPECT_EQ(after["amount_due"], 600);
  EXPECT_EQ(after["amount_remaining"], 600);
  EXPECT_EQ(after["pre_payment_credit_notes_amount"], 400);
  EXPECT_EQ(call("POST", "/v1/credit_notes",
                 "invoice=" + invoice + "&lines[0][type]=invoice_line_item&lines[0][invoice_line_item]=" + line +
                     "&lines[0][amount]=601")
                .status,
            400);
  auto voided = ok("POST", "/v1/credit_notes/" + note["id"].get<std::string>() + "/void");
  EXPECT_EQ(voided["status"], "void");
  EXPECT_EQ(ok("GET", "/v1/invoices/" + invoice)["amount_remaining"], 1000);
  EXPECT_EQ(outbox_.types().back(), "credit_note.voided");
}

TEST_F(StripeEmulatorTest, RefundsAgainstAPaidInvoicesCharge) {
  auto [customer, invoice] = paid_invoice();
  const std::string charge = invoice["charge"];
  auto refund = ok("POST", "/v1/refunds", "charge=" + charge + "&amount=1500&reason=requested_by_customer");
  EXPECT_EQ(refund["object"], "refund");
  EXPECT_EQ(refund["id"].get<std::string>().rfind("re_", 0), 0u);
  EXPECT_EQ(refund["status"], "succeeded");
  auto over = call("POST", "/v1/refunds", "payment_intent=" + invoice["payment_intent"].get<std::string>() + "&amount=4000");
  EXPECT_EQ(over.status, 400);
  EXPECT_NE(error(over)["message"].get<std::string>().find("greater than unrefunded amount"), std::string::npos);
  ok("POST", "/v1/refunds", "payment_intent=" + invoice["payment_intent"].get<std::string>());  // the rest
  auto again = call("POST", "/v1/refunds", "charge=" + charge);
  EXPECT_EQ(error(again)["code"], "charge_already_refunded");
  EXPECT_EQ(ok("GET", "/v1/charges/" + charge)["refunded"], true);
  EXPECT_EQ(ok("GET", "/v1/refunds?charge=" + charge)["data"].size(), 2u);
}

TEST_F(StripeEmulatorTest, SubscriptionsBillTheirFirstPeriodAndReportChangedItems) {
  const std::string customer = ok("POST", "/v1/customers", "name=Acme")["id"];
  auto price = ok("POST", "/v1/prices", "currency=usd&unit_amount=1500&product_data[name]=Pro&recurring[interval]=month");
  EXPECT_EQ(price["id"].get<std::string>().rfind("price_", 0), 0u);
  EXPECT_EQ(price["product"].get<std::string>().rfind("prod_", 0), 0u);
  auto sub = ok("POST", "/v1/subscriptions",
                "customer=" + customer + "&items[0][price]=" + price["id"].get<std::string>() + "&items[0][quantity]=2");
  EXPECT_EQ(sub["object"], "subscription");
  EXPECT_EQ(sub["status"], "active");
  const std::string item = sub["items"]["data"][0]["id"];
  EXPECT_EQ(item.rfind("si_", 0), 0u);
  auto invoice = ok("GET", "/v1/invoices/" + sub["latest_invoice"].get<std::string>());
  EXPECT_EQ(invoice["status"], "paid");
  EXPECT_EQ(invoice["total"], 3000);
  EXPECT_EQ(invoice["billing_reason"], "subscription_create");
  EXPECT_EQ(invoice["subscription"], sub["id"]);

  auto updated = ok("POST", "/v1/subscriptions/" + sub["id"].get<std::string>(),
                    "items[0][id]=" + item + "&items[0][quantity]=5&metadata[plan]=upgraded");
  EXPECT_EQ(updated["items"]["data"][0]["quantity"], 5);
  auto events = ok("GET", "/v1/events?type=customer.subscription.updated");
  ASSERT_EQ(events["data"].size(), 1u);
  const json& previous = events["data"][0]["data"]["previous_attributes"];
  EXPECT_EQ(previous["items"]["data"][0]["quantity"], 2);
  EXPECT_EQ(previous["metadata"], json::object());

  auto canceled = ok("DELETE", "/v1/subscriptions/" + sub["id"].get<std::string>());
  EXPECT_EQ(canceled["status"], "canceled");
  EXPECT_EQ(outbox_.types().back(), "customer.subscription.deleted");
  EXPECT_EQ(ok("GET", "/v1/subscriptions?customer=" + customer)["data"].size(), 0u);
  EXPECT_EQ(ok("GET", "/v1/subscriptions?status=all&customer=" + customer)["data"].size(), 1u);
  EXPECT_EQ(call("POST", "/v1/subscriptions/" + sub["id"].get<std::string>(), "items[0][id]=" + item + "&items[0][quantity]=1").status,
            400);
}

TEST_F(StripeEmulatorTest, PausingCollectionIsShownOnTheSubscriptionAndItsUpdatedEventsUntilResumed) {
  const std::string customer = ok("POST", "/v1/customers", "name=Acme")["id"];
  const std::string price =
      ok("POST", "/v1/prices", "currency=usd&unit_amount=900&product_data[name]=Pro&recurring[interval]=month")["id"];
  const std::string sub = ok("POST", "/v1/subscriptions", "customer=" + customer + "&items[0][price]=" + price)["id"];
  EXPECT_TRUE(ok("GET", "/v1/subscriptions/" + sub)["pause_collection"].is_null());

  auto paused = ok("POST", "/v1/subscriptions/" + sub, "pause_collection[behavior]=keep_as_draft", "pause-1");
  EXPECT_EQ(paused["pause_collection"], (json{{"behavior", "keep_as_draft"}, {"resumes_at", nullptr}}));
  EXPECT_EQ(paused["status"], "active");  // collection paused, the subscription still active
  EXPECT_EQ(outbox_.types().back(), "customer.subscription.updated");
  json event = json::parse(outbox_.posted.back().body);
  EXPECT_EQ(event["data"]["object"]["pause_collection"]["behavior"], "keep_as_draft");
  EXPECT_EQ(event["data"]["previous_attributes"], (json{{"pause_collection", nullptr}}));

  // The same key again: replayed, no second event.
  const std::size_t webhooks = outbox_.posted.size();
  ok("POST", "/v1/subscriptions/" + sub, "pause_collection[behavior]=keep_as_draft", "pause-1");
  EXPECT_EQ(outbox_.posted.size(), webhooks);

  auto resumed = ok("POST", "/v1/subscriptions/" + sub, "pause_collection=", "resume-1");
  EXPECT_TRUE(resumed["pause_collection"].is_null());
  event = json::parse(outbox_.posted.back().body);
  EXPECT_EQ(event["type"], "customer.subscription.updated");
  EXPECT_EQ(event["data"]["previous_attributes"]["pause_collection"]["behavior"], "keep_as_draft");

  EXPECT_EQ(error(call("POST", "/v1/subscriptions/" + sub, "pause_collection[behavior]=later"))["param"],
            "pause_collection[behavior]");
  EXPECT_EQ(error(call("POST", "/v1/subscriptions/" + sub, "pause_collection[resumes_at]=1"))["message"],
            "Missing required param: pause_collection[behavior].");
  EXPECT_EQ(call("POST", "/v1/subscriptions/" + sub, "pause_collection=soon").status, 400);
  ok("DELETE", "/v1/subscriptions/" + sub);
  EXPECT_EQ(call("POST", "/v1/subscriptions/" + sub, "pause_collection[behavior]=void").status, 400);
}

TEST_F(StripeEmulatorTest, BalanceTransactionsMoveTheCustomersBalance) {
  const std::string customer = ok("POST", "/v1/customers", "name=Acme")["id"];
  auto txn = ok("POST", "/v1/customers/" + customer + "/balance_transactions", "amount=-500&currency=usd&description=Goodwill");
  EXPECT_EQ(txn["object"], "customer_balance_transaction");
  EXPECT_EQ(txn["id"].get<std::string>().rfind("cbtxn_", 0), 0u);
  EXPECT_EQ(txn["ending_balance"], -500);
  EXPECT_EQ(ok("GET", "/v1/customers/" + customer)["balance"], -500);
  // The credit is applied when the next invoice is finalized.
  const std::string invoice = ok("POST", "/v1/invoices", "customer=" + customer)["id"];
  ok("POST", "/v1/invoiceitems", "customer=" + customer + "&invoice=" + invoice + "&amount=2000&currency=usd");
  auto open = ok("POST", "/v1/invoices/" + invoice + "/finalize");
  EXPECT_EQ(open["amount_due"], 1500);
  EXPECT_EQ(open["starting_balance"], -500);
  EXPECT_EQ(open["ending_balance"], 0);
  EXPECT_EQ(ok("GET", "/v1/customers/" + customer)["balance"], 0);
  EXPECT_EQ(ok("GET", "/v1/customers/" + customer + "/balance_transactions")["data"].size(), 2u);
}

TEST_F(StripeEmulatorTest, DisputesAreOpenedByTheSandboxHelperAndClosed) {
  auto [customer, invoice] = paid_invoice();
  http::Request open;
  open.method = "POST";
  open.path = "/_sandbox/stripe/disputes";
  open.body = json{{"invoice", invoice["id"]}, {"amount", 2500}, {"reason", "fraudulent"}}.dump();
  auto opened = emulator_.handle_admin(open, "/disputes");
  ASSERT_EQ(opened.status, 200) << opened.body;
  auto dispute = json::parse(opened.body);
  EXPECT_EQ(dispute["object"], "dispute");
  EXPECT_EQ(dispute["id"].get<std::string>().rfind("dp_", 0), 0u);
  EXPECT_EQ(dispute["charge"], invoice["charge"]);
  EXPECT_EQ(dispute["amount"], 2500);
  EXPECT_EQ(outbox_.types().back(), "charge.dispute.created");
  EXPECT_EQ(ok("GET", "/v1/charges/" + invoice["charge"].get<std::string>())["disputed"], true);
  EXPECT_EQ(emulator_.handle_admin(open, "/disputes").status, 400);  // already disputed

  http::Request close;
  close.method = "POST";
  close.body = R"({"status": "won"})";
  auto closed = emulator_.handle_admin(close, "/disputes/" + dispute["id"].get<std::string>() + "/close");
  ASSERT_EQ(closed.status, 200) << closed.body;
  EXPECT_EQ(json::parse(closed.body)["status"], "won");
  EXPECT_EQ(outbox_.types().back(), "charge.dispute.closed");
  close.body = "{not json";
  EXPECT_EQ(emulator_.handle_admin(close, "/disputes/x/close").status, 400);
  EXPECT_EQ(emulator_.handle_admin(close, "/nothing").status, 404);
}

TEST_F(StripeEmulatorTest, DeclinedCardsFailChargesUntilTheHelperEndsIt) {
  const std::string customer = ok("POST", "/v1/customers", "name=Acme")["id"];
  const std::string price =
      ok("POST", "/v1/prices", "currency=usd&unit_amount=1500&product_data[name]=Pro&recurring[interval]=month")["id"];
  const std::string items = "customer=" + customer + "&items[0][price]=" + price;
  http::Request declines;
  declines.method = "POST";
  declines.body = R"({"decline": true})";
  ASSERT_EQ(emulator_.handle_admin(declines, "/declines").status, 200);

  // error_if_incomplete: Stripe's 402 and nothing created.
  auto refused = call("POST", "/v1/subscriptions", items + "&payment_behavior=error_if_incomplete");
  EXPECT_EQ(refused.status, 402);
  EXPECT_EQ(error(refused)["type"], "card_error");
  EXPECT_EQ(error(refused)["code"], "card_declined");
  EXPECT_EQ(error(refused)["decline_code"], "generic_decline");
  EXPECT_EQ(ok("GET", "/v1/subscriptions?status=all&customer=" + customer)["data"].size(), 0u);
  // Otherwise the subscription is incomplete, its first invoice open after a failed attempt.
  auto incomplete = ok("POST", "/v1/subscriptions", items);
  EXPECT_EQ(incomplete["status"], "incomplete");
  auto invoice = ok("GET", "/v1/invoices/" + incomplete["latest_invoice"].get<std::string>());
  EXPECT_EQ(invoice["status"], "open");
  EXPECT_EQ(invoice["attempt_count"], 1);
  EXPECT_EQ(outbox_.types().back(), "customer.subscription.created");
  auto pay = call("POST", "/v1/invoices/" + invoice["id"].get<std::string>() + "/pay");
  EXPECT_EQ(pay.status, 402);
  EXPECT_EQ(outbox_.types().back(), "invoice.payment_failed");

  declines.body = R"({"decline": false})";
  ASSERT_EQ(emulator_.handle_admin(declines, "/declines").status, 200);
  EXPECT_EQ(ok("POST", "/v1/invoices/" + invoice["id"].get<std::string>() + "/pay")["status"], "paid");
  declines.body = R"({"decline": "yes"})";
  EXPECT_EQ(emulator_.handle_admin(declines, "/declines").status, 400);
}

TEST_F(StripeEmulatorTest, EventsFilterByTypeWildcardAndCreated) {
  ok("POST", "/v1/customers", "name=a");
  clock_->advance(std::chrono::seconds(100));
  const std::int64_t later = clock_->unix_seconds();
  auto [customer, invoice] = paid_invoice();
  auto invoices = ok("GET", "/v1/events?type=invoice.*&limit=100");
  for (const auto& event : invoices["data"]) EXPECT_EQ(event["type"].get<std::string>().rfind("invoice.", 0), 0u);
  EXPECT_EQ(invoices["data"].size(), 4u);  // created, finalized, paid, payment_succeeded
  EXPECT_EQ(invoices["data"][0]["type"], "invoice.payment_succeeded");  // newest first
  auto recent = ok("GET", "/v1/events?limit=100&created[gte]=" + std::to_string(later));
  EXPECT_EQ(recent["data"].size(), outbox_.posted.size() - 1);
  auto several = ok("GET", "/v1/events?types[]=customer.created&types[]=invoice.paid");
  EXPECT_EQ(several["data"].size(), 3u);
  EXPECT_EQ(call("GET", "/v1/events?type=x&types[]=y").status, 400);
  auto event = several["data"][0];
  EXPECT_EQ(event["object"], "event");
  EXPECT_EQ(event["api_version"], "2024-06-20");
  EXPECT_EQ(event["id"].get<std::string>().rfind("evt_", 0), 0u);
  EXPECT_EQ(event["data"]["object"]["object"], "invoice");
}

TEST_F(StripeEmulatorTest, StateRoundTripKeepsRecordsAndIdempotencyKeys) {
  auto first = call("POST", "/v1/customers", "name=Kept", "key-9");
  auto [customer, invoice] = paid_invoice();
  const json state = emulator_.state();
  EXPECT_EQ(state["customers"].size(), 2u);
  EXPECT_EQ(state["invoices"].size(), 1u);
  EXPECT_EQ(state.dump().find("sk_test_weft_demo"), std::string::npos);  // no key in the state

  RecordingOutbox other_outbox;
  StripeEmulator restored(EmulatorContext{credentials_, clock_, other_outbox});
  ASSERT_TRUE(restored.restore(state).ok());
  EXPECT_EQ(restored.state(), state);
  http::Request again;
  again.method = "POST";
  again.path = "/v1/customers";
  again.body = "name=Kept";
  again.headers.set("Authorization", "Bearer sk_test_weft_demo");
  again.headers.set("Idempotency-Key", "key-9");
  auto replayed = restored.handle(again);
  EXPECT_EQ(replayed.headers.get("Idempotent-Replayed").value_or(""), "true");
  EXPECT_EQ(replayed.body, first.body);
  EXPECT_FALSE(restored.restore(json{{"unicorns", json::array()}}).ok());
  EXPECT_FALSE(restored.restore(json{{"customers", json::array({json{{"no_id", 1}}})}}).ok());
  restored.reset();
  EXPECT_EQ(restored.state()["customers"].size(), 0u);
}

TEST_F(StripeEmulatorTest, FaultResponsesUseStripesErrorShapes) {
  auto limited = emulator_.fault_response(429);
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(error(limited)["code"], "rate_limit");
  auto down = emulator_.fault_response(503);
  EXPECT_EQ(down.status, 503);
  EXPECT_EQ(error(down)["type"], "api_error");
}

}  // namespace
}  // namespace weft::sandbox::stripe
