// Reconciliation end to end, against `weft sandbox`: invoices issued in the sandbox's Stripe
// are posted by the real hub (the shipped invoice-posting workflow), two differences are made
// on purpose — an invoice of a customer NetSuite does not have (the hub cannot post it: an
// exception) and a NetSuite invoice whose externalId names no Stripe invoice — and a run
// through the API (POST /v1/reconciliations) and one through `weft reconcile` report them,
// reading both platforms through the hub's connectors. Stripe down: the run fails, saying so.

#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "core/time_format.hpp"
#include "shipped_workflow_fixture.hpp"
#include "support/http_client.hpp"
#include "support/process.hpp"

namespace weft::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class ReconciliationTest : public ShippedWorkflowTest {
 protected:
  ReconciliationTest() : ShippedWorkflowTest("reconciliation") {}

  // The verdict of each line, by invoice id.
  static std::map<std::string, std::string> verdicts(const json& lines) {
    std::map<std::string, std::string> out;
    for (const json& line : lines) out[line["invoice_id"]] = line["verdict"];
    return out;
  }
  static const json& line_of(const json& lines, const std::string& invoice) {
    for (const json& line : lines) {
      if (line["invoice_id"] == invoice) return line;
    }
    throw std::runtime_error("no line for " + invoice + " in " + lines.dump());
  }

  CommandResult reconcile_cli(const std::vector<std::string>& extra, const std::string& name) {
    std::vector<std::string> args{"reconcile", "-c", hub_.config_path().string(), "--from", from_,
                                  "--to",      to_};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_command(weft_binary(), args, dir_.path(), name, 60s);
  }

  // A Stripe invoice posted by the hub (paid), one it cannot post, and a NetSuite invoice
  // billing does not have; waits until the hub settled.
  void make_two_differences() {
    const LinkedCustomer linked = hub_.linked_customer("Acme Linked");
    posted_ = hub_.invoice(linked.stripe_id, 2500, "posted", /*pay=*/true);
    // A customer NetSuite does not have, kept out of customer-sync by its own legacy number.
    const std::string unlinked =
        hub_.act("stripe", "create_customer",
                 {{"name", "Acme Legacy"}, {"metadata", {{"external_id", "legacy-1"}}}},
                 "test-customer-legacy")
            .at("id");
    unposted_ = hub_.invoice(unlinked, 990, "unposted");
    hub_.act("netsuite", "upsert_invoice",
             {{"external_id", "in_nobilling1"},
              {"body",
               {{"entity", {{"id", linked.netsuite_id}}},
                {"currency", {{"id", "1"}}},
                {"tranDate", format_iso8601_ms(now_ms()).substr(0, 10)},
                {"item", {{"items", json::array({{{"item", {{"id", "1"}}}, {"amount", 5}}})}}}}}});
    ASSERT_NO_THROW(hub_.settle());
  }

  void expect_the_differences(const json& lines) {
    const auto v = verdicts(lines);
    EXPECT_EQ(v.size(), 3u) << lines.dump();
    EXPECT_EQ(v.at(posted_), "matched") << lines.dump();
    EXPECT_EQ(v.at(unposted_), "missing_in_erp") << lines.dump();
    EXPECT_EQ(v.at("in_nobilling1"), "missing_in_billing") << lines.dump();
    const json& unposted = line_of(lines, unposted_);
    ASSERT_TRUE(unposted["instance"].is_object()) << unposted.dump();
    EXPECT_EQ(unposted["instance"]["status"], "failed");
    const auto exceptions = hub_.open_exceptions("invoice-posting");
    ASSERT_EQ(exceptions.size(), 1u);
    EXPECT_EQ(unposted["exception_id"], exceptions[0].id) << "the line links the open exception";
    EXPECT_EQ(unposted["billing"]["total"], "9.90");
    const json& posted = line_of(lines, posted_);
    EXPECT_EQ(posted["erp"]["invoice"]["amount"], "25.00");
    EXPECT_EQ(posted["erp"]["payment"]["amount"], "25.00");
    EXPECT_EQ(posted["instance"]["status"], "completed");
  }

  TempDir dir_{"weft-reconcile-cli"};
  std::string from_ = format_iso8601_ms(now_ms() - 3600'000);
  std::string to_ = format_iso8601_ms(now_ms() + 3600'000);
  std::string posted_, unposted_;
};

TEST_F(ReconciliationTest, AnApiRunReportsTheDifferencesMadeOnPurpose) {
  make_two_differences();
  const std::string key = hub_.api_key("fin-1", "finance-ops");
  HttpClient client(hub_.hub_url());
  const HeaderList auth{{"Authorization", "Bearer " + key}};
  auto started =
      client.post("/v1/reconciliations", json{{"from", from_}, {"to", to_}}.dump(), auth);
  ASSERT_TRUE(started.ok());
  ASSERT_EQ(started->status, 202) << started->body;
  const std::string link = json::parse(started->body)["links"]["self"];
  json run;
  for (int i = 0; i < 600; ++i) {
    auto got = client.get(link, auth);
    ASSERT_TRUE(got.ok());
    run = json::parse(got->body);
    if (run["status"] != "running") break;
    std::this_thread::sleep_for(100ms);
  }
  ASSERT_EQ(run["status"], "completed") << run.dump();
  EXPECT_EQ(run["summary"]["verdicts"]["matched"], 1);
  EXPECT_EQ(run["summary"]["differences"], 2);
  EXPECT_EQ(run["summary"]["currencies"]["usd"]["billed"], "34.90");
  EXPECT_EQ(run["summary"]["currencies"]["usd"]["posted"], "30.00");
  expect_the_differences(run["lines"]["data"]);

  auto filtered = client.get(link + "?verdict=missing_in_billing", auth);
  ASSERT_TRUE(filtered.ok());
  const json only = json::parse(filtered->body)["lines"]["data"];
  ASSERT_EQ(only.size(), 1u);
  EXPECT_EQ(only[0]["invoice_id"], "in_nobilling1");
}

TEST_F(ReconciliationTest, TheCliReportsTheSameDifferencesAndFailsWhenStripeIsDown) {
  make_two_differences();
  const CommandResult report = reconcile_cli({"--json"}, "reconcile-json");
  ASSERT_EQ(report.code, 1) << report.err << report.out;
  const json parsed = json::parse(report.out);
  EXPECT_EQ(parsed["status"], "completed");
  expect_the_differences(parsed["lines"]);

  const CommandResult table = reconcile_cli({}, "reconcile-table");
  EXPECT_EQ(table.code, 1) << table.err;
  EXPECT_NE(table.out.find("missing_in_billing"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("usd: billed 34.90, posted 30.00"), std::string::npos) << table.out;

  const CommandResult backwards = run_command(
      weft_binary(), {"reconcile", "-c", hub_.config_path().string(), "--from", to_, "--to", from_},
      dir_.path(), "reconcile-backwards");
  EXPECT_EQ(backwards.code, 2);
  EXPECT_NE(backwards.err.find("--from must be before to"), std::string::npos) << backwards.err;

  hub_.down({"stripe"});
  const CommandResult down = reconcile_cli({}, "reconcile-down");
  EXPECT_EQ(down.code, 2) << down.out;
  EXPECT_NE(down.err.find("the run failed: transient: stripe.list_invoices"), std::string::npos)
      << down.err;
  hub_.clear_faults();

  // Every run is stored: the failed one newest, by the CLI.
  auto runs = hub_.storage().reconciliations->list_runs("", 10);
  ASSERT_TRUE(runs.ok());
  ASSERT_EQ(runs->size(), 3u);
  EXPECT_EQ((*runs)[0].status, "failed");
  EXPECT_EQ((*runs)[0].requested_by, "cli");
  EXPECT_EQ((*runs)[1].status, "completed");
}

}  // namespace
}  // namespace weft::test
