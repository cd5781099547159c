// The Stripe connector against `weft sandbox`'s Stripe, through the real delivery path
// (DeliveryInvoker + libcurl): the actions a workflow calls, the idempotency that makes a
// retried step land once, pagination, and the failures a platform answers (401, 429 with
// Retry-After, an outage, an error after the effect took place).

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "integration/contract_fixture.hpp"
#include "support/http_client.hpp"

namespace weft::test {
namespace {

using nlohmann::json;

ConnectorContract::Settings stripe_settings(const std::string& api_key) {
  return {{"api_key", api_key}, {"api_version", "2024-06-20"}, {"webhook_secret", "whsec_x"}};
}

class StripeContractTest : public ContractTest {
 protected:
  StripeContractTest() : ContractTest("stripe", stripe_settings("sk_test_weft_demo")) {}

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
    auto invoice = client.post(
        "/v1/invoices", "customer=" + customer + "&pending_invoice_items_behavior=include", auth);
    EXPECT_TRUE(invoice.ok() && invoice->status == 200) << (invoice.ok() ? invoice->body : "");
    const std::string id = json::parse(invoice->body)["id"];
    auto finalized = client.post("/v1/invoices/" + id + "/finalize", "", auth);
    EXPECT_TRUE(finalized.ok() && finalized->status == 200)
        << (finalized.ok() ? finalized->body : "");
    return json::parse(finalized->body);
  }
};

TEST_F(StripeContractTest, CustomerActionsAndARetriedCreateLandsOnce) {
  const json created =
      ok(call("create_customer",
              {{"email", "ops@acme.test"}, {"name", "Acme"}, {"metadata", {{"weft_id", "cust-1"}}}},
              "wf-1:create-customer"));
  ASSERT_TRUE(created.contains("id")) << created.dump();
  EXPECT_EQ(created["object"], "customer");
  EXPECT_EQ(created["metadata"]["weft_id"], "cust-1");

  // The same step again (a retry after a lost answer): Stripe replays, nothing new exists.
  const json again =
      ok(call("create_customer",
              {{"email", "ops@acme.test"}, {"name", "Acme"}, {"metadata", {{"weft_id", "cust-1"}}}},
              "wf-1:create-customer"));
  EXPECT_EQ(again["id"], created["id"]);
  const json listed = ok(call("list_customers", {{"email", "ops@acme.test"}}));
  EXPECT_EQ(listed["data"].size(), 1u) << listed.dump();

  const json updated = ok(call(
      "update_customer", {{"id", created["id"]}, {"metadata", {{"tier", "gold"}}}}, "wf-1:tier"));
  EXPECT_EQ(updated["metadata"]["tier"], "gold");
  EXPECT_EQ(updated["metadata"]["weft_id"], "cust-1");
  const json read = ok(call("get_customer", {{"id", created["id"]}}));
  EXPECT_EQ(read["metadata"]["tier"], "gold");

  expect_not_found("get_customer", {{"id", "cus_missing"}}, "resource_missing");
}

TEST_F(StripeContractTest, CreditNoteAgainstAnOpenInvoiceAndItsVoid) {
  const json customer = ok(call("create_customer", {{"email", "billing@beta.test"}}, "wf-2:c"));
  const json invoice = open_invoice(customer["id"], 5000);
  ASSERT_EQ(invoice["status"], "open") << invoice.dump();

  const json note = ok(call("create_credit_note",
                            {{"invoice", invoice["id"]},
                             {"amount", 1200},
                             {"reason", "product_unsatisfactory"},
                             {"metadata", {{"ticket", "4711"}}}},
                            "wf-2:credit"));
  EXPECT_EQ(note["object"], "credit_note");
  EXPECT_EQ(note["amount"], 1200);
  EXPECT_EQ(note["invoice"], invoice["id"]);
  const json fetched = ok(call("get_invoice", {{"id", invoice["id"]}}));
  EXPECT_EQ(fetched["amount_remaining"], 3800) << fetched.dump();

  // More than the invoice is worth: Stripe refuses, a business-rule failure.
  const delivery::Failure too_much = failed(call(
      "create_credit_note", {{"invoice", invoice["id"]}, {"amount", 999999}}, "wf-2:too-much"));
  EXPECT_EQ(too_much.cls, delivery::FailureClass::validation);
  EXPECT_EQ(too_much.http_status, 400);

  // The same key with other parameters is a conflict, not a second credit note.
  const delivery::Failure reused = failed(
      call("create_credit_note", {{"invoice", invoice["id"]}, {"amount", 100}}, "wf-2:credit"));
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
  EXPECT_EQ(ids_in(listed, "data").size(), 5u);
  EXPECT_EQ(listed.size(), 3u);
}

TEST_F(StripeContractTest, WrongKeyIsAnAuthFailureThatNeverShowsTheKey) {
  const delivery::Failure f =
      expect_auth_failure(stripe_settings("sk_test_not_the_one"), "sk_test_not_the_one",
                          "get_customer", {{"id", "cus_1"}});
  EXPECT_EQ(f.http_status, 401);
}

TEST_F(StripeContractTest, RateLimitCarriesRetryAfterAndAnOutageIsTransient) {
  expect_rate_limit_outage_and_recovery("list_customers", nullptr, 3);
}

TEST_F(StripeContractTest, AnErrorAfterTheEffectIsRetriedWithTheSameKeyAndLandsOnce) {
  expect_retryable_error_after_effect("create_customer", {{"email", "once@delta.test"}},
                                      "wf-4:create");
  const json retried = ok(call("create_customer", {{"email", "once@delta.test"}}, "wf-4:create"));
  EXPECT_EQ(retried["email"], "once@delta.test");
  const json listed = ok(call("list_customers", {{"email", "once@delta.test"}}));
  EXPECT_EQ(listed["data"].size(), 1u) << listed.dump();
}

}  // namespace
}  // namespace weft::test
