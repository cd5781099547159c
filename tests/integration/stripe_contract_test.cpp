// The Stripe connector against `weft sandbox`'s Stripe, through the real delivery path
// (DeliveryInvoker + libcurl): the actions a workflow calls, the idempotency that makes a
// retried step land once, pagination, and the failures a platform answers (401, 429 with
// Retry-After, an outage, an error after the effect took place).

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "support/connector_contract.hpp"
#include "support/http_client.hpp"

namespace weft::test {
namespace {

using nlohmann::json;

ConnectorContract::Settings stripe_settings(const std::string& api_key) {
  return {{"api_key", api_key}, {"api_version", "2024-06-20"}, {"webhook_secret", "whsec_x"}};
}

class StripeContractTest : public ::testing::Test, protected ConnectorContract {
 protected:
  StripeContractTest()
      : ConnectorContract(weft_binary(), "stripe", stripe_settings("sk_test_weft_demo")) {}
  void SetUp() override { start(); }
  void TearDown() override {
    if (HasFailure()) print_sandbox_log();
  }

  // What the scenario driver does: an open invoice made through Stripe's own API.
  json open_invoice(const std::string& customer, int amount) {
    HttpClient client(base_url());
    const HeaderList auth = {{"Authorization", "Bearer sk_test_weft_demo"},
                             {"Content-Type", "application/x-www-form-urlencoded"}};
    auto item = client.post("/v1/invoiceitems",
                            "customer=" + customer + "&amount=" + std::to_string(amount) +
                                "&currency=usd&description=Seats",
                            auth);
    EXPECT_TRUE(item.ok() && item->status == 200) << (item.ok() ? item->body : "");
    auto invoice = client.post("/v1/invoices", "customer=" + customer + "&pending_invoice_items_behavior=include", auth);
    EXPECT_TRUE(invoice.ok() && invoice->status == 200) << (invoice.ok() ? invoice->body : "");
    const std::string id = json::parse(invoice->body)["id"];
    auto finalized = client.post("/v1/invoices/" + id + "/finalize", "", auth);
    EXPECT_TRUE(finalized.ok() && finalized->status == 200) << (finalized.ok() ? finalized->body : "");
    return json::parse(finalized->body);
  }
};

TEST_F(StripeContractTest, CustomerActionsAndARetriedCreateLandsOnce) {
  const json created = ok(call("create_customer",
                               {{"email", "ops@acme.test"}, {"name", "Acme"},
                                {"metadata", {{"weft_id", "cust-1"}}}},
                               "wf-1:create-customer"));
  ASSERT_TRUE(created.contains("id")) << created.dump();
  EXPECT_EQ(created["object"], "customer");
  EXPECT_EQ(created["metadata"]["weft_id"], "cust-1");

  // The same step again (a retry after a lost answer): Stripe replays, nothing new exists.
  const json again = ok(call("create_customer",
                             {{"email", "ops@acme.test"}, {"name", "Acme"},
                              {"metadata", {{"weft_id", "cust-1"}}}},
                             "wf-1:create-customer"));
  EXPECT_EQ(again["id"], created["id"]);
  const json listed = ok(call("list_customers", {{"email", "ops@acme.test"}}));
  EXPECT_EQ(listed["data"].size(), 1u) << listed.dump();

  const json updated = ok(call("update_customer", {{"id", created["id"]}, {"metadata", {{"tier", "gold"}}}},
                               "wf-1:tier"));
  EXPECT_EQ(updated["metadata"]["tier"], "gold");
  EXPECT_EQ(updated["metadata"]["weft_id"], "cust-1");
  const json read = ok(call("get_customer", {{"id", created["id"]}}));
  EXPECT_EQ(read["metadata"]["tier"], "gold");

  const delivery::Failure missing = failed(call("get_customer", {{"id", "cus_missing"}}));
  EXPECT_EQ(missing.cls, delivery::FailureClass::validation);
  EXPECT_EQ(missing.http_status, 404);
  EXPECT_EQ(missing.platform_code, "resource_missing");
}

TEST_F(StripeContractTest, CreditNoteAgainstAnOpenInvoiceAndItsVoid) {
  const json customer = ok(call("create_customer", {{"email", "billing@beta.test"}}, "wf-2:c"));
  const json invoice = open_invoice(customer["id"], 5000);
  ASSERT_EQ(invoice["status"], "open") << invoice.dump();

  const json note = ok(call("create_credit_note",
                            {{"invoice", invoice["id"]}, {"amount", 1200}, {"reason", "product_unsatisfactory"},
                             {"metadata", {{"ticket", "4711"}}}},
                            "wf-2:credit"));
  EXPECT_EQ(note["object"], "credit_note");
  EXPECT_EQ(note["amount"], 1200);
  EXPECT_EQ(note["invoice"], invoice["id"]);
  const json fetched = ok(call("get_invoice", {{"id", invoice["id"]}}));
  EXPECT_EQ(fetched["amount_remaining"], 3800) << fetched.dump();

  // More than the invoice is worth: Stripe refuses, a business-rule failure.
  const delivery::Failure too_much =
      failed(call("create_credit_note", {{"invoice", invoice["id"]}, {"amount", 999999}}, "wf-2:too-much"));
  EXPECT_EQ(too_much.cls, delivery::FailureClass::validation);
  EXPECT_EQ(too_much.http_status, 400);

  // The same key with other parameters is a conflict, not a second credit note.
  const delivery::Failure reused =
      failed(call("create_credit_note", {{"invoice", invoice["id"]}, {"amount", 100}}, "wf-2:credit"));
  EXPECT_EQ(reused.cls, delivery::FailureClass::conflict);

  const json voided = ok(call("void_credit_note", {{"id", note["id"]}}, "wf-2:void"));
  EXPECT_EQ(voided["status"], "void");
}

TEST_F(StripeContractTest, ListsArePagedToTheEndWithNextPage) {
  for (int i = 0; i < 5; ++i) {
    ok(call("create_customer", {{"email", "page" + std::to_string(i) + "@gamma.test"}},
            "wf-3:c" + std::to_string(i)));
  }
  const std::vector<json> listed = pages("list_customers", {{"limit", 2}});
  std::set<std::string> seen;
  for (const json& page : listed) {
    for (const auto& c : page["data"]) EXPECT_TRUE(seen.insert(c["id"].get<std::string>()).second);
  }
  EXPECT_EQ(seen.size(), 5u);
  EXPECT_EQ(listed.size(), 3u);
}

TEST_F(StripeContractTest, WrongKeyIsAnAuthFailureThatNeverShowsTheKey) {
  auto wrong = invoker_with(stripe_settings("sk_test_not_the_one"));
  const delivery::Failure f = failed(call_with(*wrong, "get_customer", {{"id", "cus_1"}}));
  EXPECT_EQ(f.cls, delivery::FailureClass::auth);
  EXPECT_EQ(f.http_status, 401);
  EXPECT_EQ(f.message.find("sk_test_not_the_one"), std::string::npos) << f.message;
}

TEST_F(StripeContractTest, RateLimitCarriesRetryAfterAndAnOutageIsTransient) {
  faults({{"stripe", {{"rate_limit", {{"rate", 1.0}, {"retry_after_seconds", 3}}}}}});
  const delivery::Failure limited = failed(call("list_customers", nullptr));
  EXPECT_EQ(limited.cls, delivery::FailureClass::rate_limited);
  EXPECT_EQ(limited.http_status, 429);
  ASSERT_TRUE(limited.retry_after.has_value());
  EXPECT_EQ(limited.retry_after->count(), 3000);

  // A fresh invoker: the first one now holds Stripe calls for the Retry-After.
  renew_invoker();
  faults({{"stripe", {{"outage", true}}}});
  const delivery::Failure down = failed(call("list_customers", nullptr));
  EXPECT_EQ(down.cls, delivery::FailureClass::transient);
  EXPECT_EQ(down.http_status, 503);

  clear_faults();
  EXPECT_TRUE(ok(call("list_customers", nullptr)).contains("data"));
}

TEST_F(StripeContractTest, AnErrorAfterTheEffectIsRetriedWithTheSameKeyAndLandsOnce) {
  // The platform applies the request, then fails to answer well (a 500 after the effect).
  faults({{"stripe", {{"error_after_effect", true}, {"error_rate", 1.0}, {"status", 500}}}});
  const delivery::Failure f =
      failed(call("create_customer", {{"email", "once@delta.test"}}, "wf-4:create"));
  EXPECT_TRUE(delivery::default_handling(f.cls).retryable) << delivery::to_string(f.cls);

  clear_faults();
  const json retried = ok(call("create_customer", {{"email", "once@delta.test"}}, "wf-4:create"));
  EXPECT_EQ(retried["email"], "once@delta.test");
  const json listed = ok(call("list_customers", {{"email", "once@delta.test"}}));
  EXPECT_EQ(listed["data"].size(), 1u) << listed.dump();
}

}  // namespace
}  // namespace weft::test
