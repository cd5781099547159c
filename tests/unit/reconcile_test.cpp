// Reconciliation, without platforms: the comparison (every verdict, zero- and three-decimal
// currencies, exact rounding), the amounts, the setup read from the shipped invoice-posting
// workflow, and the platform reads over a scripted invoker (Stripe's pages followed with the
// real connector's next_page, deferred and failed reads).

#include <gtest/gtest.h>

#include <deque>
#include <filesystem>

#include "config/config.hpp"
#include "connectors/outbound_registry.hpp"
#include "engine/workflow_catalog.hpp"
#include "reconcile/comparison.hpp"
#include "reconcile/money.hpp"
#include "reconcile/platform_reads.hpp"
#include "reconcile/posting_setup.hpp"
#include "reconcile/reconciler.hpp"
#include "store/memory/memory_reconciliation_store.hpp"
#include "store/memory/memory_workflow_store.hpp"
#include "weft/manual_clock.hpp"

namespace weft::reconcile {
namespace {

using nlohmann::json;

// The shipped workflow, so the tests use its currency ids and minor units, not copies.
const PostingSetup& shipped_setup() {
  static const PostingSetup setup = [] {
    const auto path = std::filesystem::path(WEFT_SOURCE_DIR) / "workflows/invoice-posting.yaml";
    engine::ValidationOptions options;
    options.jq_error = nullptr;
    auto definition = engine::load_definition_file(path.string(), options);
    EXPECT_TRUE(definition.ok());
    engine::WorkflowCatalog catalog;
    EXPECT_TRUE(catalog.add(std::move(*definition)).ok());
    auto s = posting_setup(catalog);
    EXPECT_TRUE(s.ok());
    return *s;
  }();
  return setup;
}

BillingInvoice invoice(std::string id, std::string status, std::string currency, std::int64_t total,
                       std::int64_t paid = 0) {
  BillingInvoice b;
  b.id = std::move(id);
  b.status = std::move(status);
  b.currency = std::move(currency);
  b.total = total;
  b.amount_paid = paid;
  return b;
}

ErpRecord erp(std::string id, std::string external_id, ErpRecord::Kind kind,
              std::string currency_id, json amount) {
  ErpRecord r;
  r.id = std::move(id);
  r.external_id = std::move(external_id);
  r.kind = kind;
  r.currency_id = std::move(currency_id);
  r.amount = std::move(amount);
  return r;
}

constexpr auto kInvoice = ErpRecord::Kind::invoice;
constexpr auto kPayment = ErpRecord::Kind::payment;

const ReportLine& line_of(const Report& report, std::string_view invoice_id) {
  for (const auto& line : report.lines) {
    if (line.invoice_id == invoice_id) return line;
  }
  ADD_FAILURE() << "no line for " << invoice_id;
  static const ReportLine none;
  return none;
}

TEST(ReconcileSetup, ComesFromTheShippedInvoicePostingWorkflow) {
  const PostingSetup& s = shipped_setup();
  EXPECT_EQ(s.billing_connector, "stripe");
  EXPECT_EQ(s.erp_connector, "netsuite");
  EXPECT_EQ(s.erp_currency_ids.at("usd"), "1");
  EXPECT_EQ(s.erp_currency_ids.at("jpy"), "5");
  EXPECT_EQ(s.currency_of("4"), "eur");
  EXPECT_EQ(s.currency_of("99"), std::nullopt);
  EXPECT_EQ(s.per_major("usd"), 100) << "not listed: 100";
  EXPECT_EQ(s.per_major("jpy"), 1);
  EXPECT_EQ(s.per_major("kwd"), 1000);
}

TEST(ReconcileSetup, AMissingWorkflowIsAnErrorThatSaysSo) {
  engine::WorkflowCatalog empty;
  auto s = posting_setup(empty);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().find("invoice-posting workflow is not loaded"), std::string::npos);
}

TEST(ReconcileMoney, MajorUnitsBecomeExactMinorUnits) {
  EXPECT_EQ(to_minor(json(12.34), 100), 1234) << "no 12.339999… truncation";
  EXPECT_EQ(to_minor(json(0.29), 100), 29);
  EXPECT_EQ(to_minor(json(1.005), 100), 101) << "half away from zero";
  EXPECT_EQ(to_minor(json(-1.005), 100), -101);
  EXPECT_EQ(to_minor(json("12.3"), 100), 1230);
  EXPECT_EQ(to_minor(json(1200), 1), 1200);
  EXPECT_EQ(to_minor(json("1200.4"), 1), 1200);
  EXPECT_EQ(to_minor(json(1.234), 1000), 1234);
  EXPECT_EQ(to_minor(json("0.001"), 1000), 1);
  EXPECT_EQ(to_minor(json("abc"), 100), std::nullopt);
  EXPECT_EQ(to_minor(json(""), 100), std::nullopt);
  EXPECT_EQ(to_minor(json(nullptr), 100), std::nullopt);
  EXPECT_EQ(to_minor(json("99999999999999999999"), 100), std::nullopt) << "overflow";
}

TEST(ReconcileMoney, MinorUnitsPrintWithTheCurrencysDigits) {
  EXPECT_EQ(to_major(1234, 100), "12.34");
  EXPECT_EQ(to_major(5, 100), "0.05");
  EXPECT_EQ(to_major(-5, 100), "-0.05");
  EXPECT_EQ(to_major(1200, 1), "1200");
  EXPECT_EQ(to_major(1234, 1000), "1.234");
  EXPECT_EQ(to_major(0, 1000), "0.000");
}

TEST(ReconcileComparison, EveryVerdict) {
  const std::vector<BillingInvoice> billing{
      invoice("in_ok", "open", "usd", 1234),
      invoice("in_paid", "paid", "usd", 5000, 5000),
      invoice("in_missing", "open", "usd", 100),
      invoice("in_amount", "open", "usd", 1234),
      invoice("in_currency", "open", "usd", 1000),
      invoice("in_unpaid_erp", "paid", "eur", 700, 700),
      invoice("in_dup", "open", "usd", 100),
      invoice("in_void", "void", "usd", 300),
      invoice("in_void_ok", "void", "usd", 300),
      invoice("in_flight", "open", "usd", 800),
  };
  const std::vector<ErpRecord> records{
      erp("1", "in_ok", kInvoice, "1", 12.34),
      erp("2", "in_paid", kInvoice, "1", 50),
      erp("3", "in_paid-payment", kPayment, "1", "50.00"),
      erp("4", "in_amount", kInvoice, "1", 12.33),
      erp("5", "in_currency", kInvoice, "4", 10),
      erp("6", "in_unpaid_erp", kInvoice, "4", 7),
      erp("7", "in_dup", kInvoice, "1", 1),
      erp("8", "in_dup", kInvoice, "1", 1),
      erp("9", "in_void", kInvoice, "1", 3),
      erp("10", "in_gone", kInvoice, "2", 9.99),
      erp("10", "in_gone", kInvoice, "2", 9.99),  // the same record found twice: one
      erp("11", "so_1", kInvoice, "1", 1),        // not an invoice id: not ours
  };
  std::map<std::string, PostingInstance, std::less<>> instances{
      {"in_flight", {"wf_1", "running", ""}},
      {"in_missing", {"wf_2", "failed", "ex_9"}},
  };
  const Report report = compare(billing, records, instances, shipped_setup());
  const std::map<std::string, Verdict> expected{
      {"in_ok", Verdict::matched},
      {"in_paid", Verdict::matched},
      {"in_missing", Verdict::missing_in_erp},
      {"in_amount", Verdict::amount_mismatch},
      {"in_currency", Verdict::currency_mismatch},
      {"in_unpaid_erp", Verdict::payment_missing},
      {"in_dup", Verdict::duplicate_in_erp},
      {"in_void", Verdict::void_but_posted},
      {"in_void_ok", Verdict::matched},
      {"in_flight", Verdict::pending},
      {"in_gone", Verdict::missing_in_billing},
  };
  ASSERT_EQ(report.lines.size(), expected.size());
  for (const auto& [id, verdict] : expected) {
    EXPECT_EQ(to_string(line_of(report, id).verdict), std::string(to_string(verdict))) << id;
  }
  EXPECT_EQ(report.lines.back().invoice_id, "in_gone") << "ERP-only lines come last";

  const json& missing = line_of(report, "in_missing").json;
  EXPECT_EQ(missing["instance"], json({{"id", "wf_2"}, {"status", "failed"}}));
  EXPECT_EQ(missing["exception_id"], "ex_9");
  EXPECT_EQ(missing["erp"]["invoice"], nullptr);
  const json& amount = line_of(report, "in_amount").json;
  EXPECT_EQ(amount["billing"]["total"], "12.34");
  EXPECT_EQ(amount["erp"]["invoice"]["amount"], "12.33");
  EXPECT_EQ(amount["erp"]["invoice"]["id"], "4");
  EXPECT_NE(amount["detail"].get<std::string>().find("12.33 usd, billing 12.34 usd"),
            std::string::npos);
  EXPECT_EQ(line_of(report, "in_currency").json["erp"]["invoice"]["currency"], "eur");
  EXPECT_EQ(line_of(report, "in_gone").json["billing"], nullptr);
  EXPECT_EQ(line_of(report, "in_gone").json["erp"]["records"], 1);
  EXPECT_EQ(line_of(report, "in_ok").json["instance"], nullptr);

  const json& s = report.summary;
  EXPECT_EQ(s["lines"], 11);
  EXPECT_EQ(s["verdicts"]["matched"], 3);
  EXPECT_EQ(s["verdicts"]["pending"], 1);
  EXPECT_EQ(s["verdicts"]["missing_in_billing"], 1);
  EXPECT_EQ(s["differences"], 7);
  // Billed: every usd invoice but the void ones; posted: every ERP invoice in usd.
  EXPECT_EQ(s["currencies"]["usd"]["billed"], "94.68");
  EXPECT_EQ(s["currencies"]["usd"]["posted"], "79.67") << "both duplicates count";
  EXPECT_EQ(s["currencies"]["eur"]["posted"], "17.00");
  EXPECT_EQ(s["currencies"]["gbp"]["posted"], "9.99");
  EXPECT_EQ(s["currencies"]["gbp"]["billed"], "0.00");
  EXPECT_EQ(s["currencies"]["eur"]["billed"], "7.00");
}

TEST(ReconcileComparison, ZeroAndThreeDecimalCurrenciesCompareInTheirOwnMinorUnits) {
  const std::vector<BillingInvoice> billing{
      invoice("in_jpy", "paid", "jpy", 1200, 1200),
      invoice("in_jpy_off", "open", "jpy", 1200),
      invoice("in_kwd", "open", "kwd", 1234),
      invoice("in_kwd_off", "open", "kwd", 1234),
  };
  PostingSetup setup = shipped_setup();
  setup.erp_currency_ids["kwd"] = "9";  // the shipped workflow maps no kwd currency id
  const std::vector<ErpRecord> records{
      erp("1", "in_jpy", kInvoice, "5", 1200),
      erp("2", "in_jpy-payment", kPayment, "5", "1200"),
      erp("3", "in_jpy_off", kInvoice, "5", 1201),
      erp("4", "in_kwd", kInvoice, "9", 1.234),
      erp("5", "in_kwd_off", kInvoice, "9", 1.23),
  };
  const Report report = compare(billing, records, {}, setup);
  EXPECT_EQ(line_of(report, "in_jpy").verdict, Verdict::matched);
  EXPECT_EQ(line_of(report, "in_jpy_off").verdict, Verdict::amount_mismatch);
  EXPECT_EQ(line_of(report, "in_kwd").verdict, Verdict::matched) << "1.234 KWD is 1234 fils";
  EXPECT_EQ(line_of(report, "in_kwd_off").verdict, Verdict::amount_mismatch);
  EXPECT_EQ(line_of(report, "in_jpy").json["billing"]["total"], "1200");
  EXPECT_EQ(line_of(report, "in_kwd").json["billing"]["total"], "1.234");
  EXPECT_EQ(report.summary["currencies"]["jpy"]["billed"], "2400");
  EXPECT_EQ(report.summary["currencies"]["jpy"]["posted"], "2401");
  EXPECT_EQ(report.summary["currencies"]["kwd"]["posted"], "2.464");
}

TEST(ReconcileComparison, AmountsThatAreEqualInCentsMatchWhateverTheirDoubleIs) {
  // 0.1 + 0.2 style totals: the ERP's number is read as text, never multiplied as a double.
  const std::vector<BillingInvoice> billing{invoice("in_1", "open", "usd", 30),
                                            invoice("in_2", "open", "usd", 1001)};
  const std::vector<ErpRecord> records{erp("1", "in_1", kInvoice, "1", 0.30000000000000004),
                                       erp("2", "in_2", kInvoice, "1", 10.01)};
  const Report report = compare(billing, records, {}, shipped_setup());
  EXPECT_EQ(line_of(report, "in_1").verdict, Verdict::matched);
  EXPECT_EQ(line_of(report, "in_2").verdict, Verdict::matched);
}

TEST(ReconcileComparison, APaymentInTheErpOfAnUnpaidInvoiceAndAWrongPaymentAreDifferences) {
  const std::vector<BillingInvoice> billing{invoice("in_open", "open", "usd", 500),
                                            invoice("in_short", "paid", "usd", 500, 500),
                                            invoice("in_twice", "paid", "usd", 500, 500)};
  const std::vector<ErpRecord> records{erp("1", "in_open", kInvoice, "1", 5),
                                       erp("2", "in_open-payment", kPayment, "1", 5),
                                       erp("3", "in_short", kInvoice, "1", 5),
                                       erp("4", "in_short-payment", kPayment, "1", 4.99),
                                       erp("5", "in_twice", kInvoice, "1", 5),
                                       erp("6", "in_twice-payment", kPayment, "1", 5),
                                       erp("7", "in_twice-payment", kPayment, "1", 5)};
  const Report report = compare(billing, records, {}, shipped_setup());
  EXPECT_EQ(line_of(report, "in_open").verdict, Verdict::amount_mismatch);
  EXPECT_EQ(line_of(report, "in_short").verdict, Verdict::amount_mismatch);
  EXPECT_EQ(line_of(report, "in_twice").verdict, Verdict::duplicate_in_erp);
}

TEST(ReconcileComparison, ExternalIdsNameInvoicesOnlyInTheirTwoForms) {
  EXPECT_EQ(invoice_id_of("in_1"), "in_1");
  EXPECT_EQ(invoice_id_of("in_1-payment"), "in_1");
  EXPECT_EQ(invoice_id_of("cus_1"), std::nullopt);
  EXPECT_EQ(invoice_id_of("in_"), std::nullopt);
  EXPECT_EQ(invoice_id_of(""), std::nullopt);
}

// --- reads -----------------------------------------------------------------------------------

// Answers each invoke with the next scripted outcome, and records the requests.
class ScriptedInvoker final : public engine::ActionInvoker {
 public:
  std::deque<engine::ActionOutcome> outcomes;
  std::vector<engine::ActionRequest> requests;

  engine::ActionOutcome invoke(const engine::ActionRequest& request) override {
    requests.push_back(request);
    if (outcomes.empty()) {
      delivery::Failure f;
      f.cls = delivery::FailureClass::validation;
      f.message = "unscripted call " + request.action;
      return f;
    }
    auto next = std::move(outcomes.front());
    outcomes.pop_front();
    return next;
  }
};

engine::ActionSuccess page(json data, bool has_more) {
  return engine::ActionSuccess{
      {{"object", "list"}, {"data", std::move(data)}, {"has_more", has_more}}};
}

json stripe_invoice(const std::string& id, const std::string& status) {
  return {{"id", id},         {"status", status},         {"currency", "usd"},  {"total", 100},
          {"amount_paid", 0}, {"created", 1'700'000'000}, {"number", "N-" + id}};
}

class ReconcileReads : public ::testing::Test {
 protected:
  ReconcileReads() {
    auto parsed = config::parse(R"(connectors:
  stripe: {type: stripe, base_url: "http://127.0.0.1:1", api_key: sk_test_x,
           api_version: "2024-06-20", webhook_secret: whsec_x}
)",
                                "test.yaml");
    EXPECT_TRUE(parsed.ok());
    connectors_ = connectors::make_outbound_connectors(*parsed, std::make_shared<ManualClock>());
  }
  // Stripe's paging as the real connector does it; no other connector pages here.
  NextPage next_page() {
    return [this](const engine::ActionRequest& request, const json& output) -> std::optional<json> {
      const auto it = connectors_.find(request.connector);
      if (it == connectors_.end()) return std::nullopt;
      return it->second->next_page(request, output);
    };
  }
  ReadOptions fast() {
    ReadOptions o;
    o.retry_delay = std::chrono::milliseconds(0);
    o.max_wait = std::chrono::milliseconds(50);
    return o;
  }

  ScriptedInvoker invoker_;
  connectors::OutboundConnectorMap connectors_;
};

TEST_F(ReconcileReads, EveryStripePageIsReadAndDraftsAreLeftOut) {
  invoker_.outcomes.push_back(
      page(json::array({stripe_invoice("in_3", "open"), stripe_invoice("in_2", "draft")}), true));
  invoker_.outcomes.push_back(page(json::array({stripe_invoice("in_1", "paid")}), false));
  PlatformReads reads(invoker_, next_page(), shipped_setup(), fast());
  auto billing = reads.billing_invoices(1'700'000'000'000, 1'700'086'400'000);
  ASSERT_TRUE(billing.ok()) << billing.error().message;
  ASSERT_EQ(billing->size(), 2u);
  EXPECT_EQ((*billing)[0].id, "in_3");
  EXPECT_EQ((*billing)[1].id, "in_1");
  EXPECT_EQ((*billing)[0].number, "N-in_3");
  ASSERT_EQ(invoker_.requests.size(), 2u);
  const json& first = invoker_.requests[0].input;
  EXPECT_EQ(invoker_.requests[0].connector, "stripe");
  EXPECT_EQ(invoker_.requests[0].action, "list_invoices");
  EXPECT_EQ(first["created"], json({{"gte", 1'700'000'000}, {"lt", 1'700'086'400}}));
  EXPECT_FALSE(first.contains("starting_after"));
  EXPECT_EQ(invoker_.requests[1].input["starting_after"], "in_2")
      << "the next page starts after the last item of the previous one, draft or not";
}

TEST_F(ReconcileReads, AFailedReadIsTheRunsFailureWithItsClassNotAPartialList) {
  invoker_.outcomes.push_back(page(json::array({stripe_invoice("in_3", "open")}), true));
  delivery::Failure refused;
  refused.cls = delivery::FailureClass::auth;
  refused.message = "Invalid API Key provided";
  invoker_.outcomes.push_back(refused);
  PlatformReads reads(invoker_, next_page(), shipped_setup(), fast());
  auto billing = reads.billing_invoices(0, 1000);
  ASSERT_FALSE(billing.ok());
  EXPECT_EQ(billing.error().cls, delivery::FailureClass::auth);
  EXPECT_NE(billing.error().message.find("stripe.list_invoices: Invalid API Key"),
            std::string::npos);
}

TEST_F(ReconcileReads, TransientFailuresAreTriedAgainAndDeferredReadsWaited) {
  delivery::Failure down;
  down.cls = delivery::FailureClass::transient;
  down.message = "HTTP 503";
  invoker_.outcomes.push_back(down);
  invoker_.outcomes.push_back(engine::Deferred{std::chrono::milliseconds(1), "rate limit"});
  invoker_.outcomes.push_back(page(json::array({stripe_invoice("in_1", "open")}), false));
  PlatformReads reads(invoker_, next_page(), shipped_setup(), fast());
  auto billing = reads.billing_invoices(0, 1000);
  ASSERT_TRUE(billing.ok()) << billing.error().message;
  EXPECT_EQ(billing->size(), 1u);
  EXPECT_EQ(invoker_.requests.size(), 3u);
}

TEST_F(ReconcileReads, AConnectorThatKeepsDeferringFailsTheReadAfterTheWaitLimit) {
  for (int i = 0; i < 100; ++i) {
    invoker_.outcomes.push_back(engine::Deferred{std::chrono::milliseconds(20), "circuit open"});
  }
  PlatformReads reads(invoker_, next_page(), shipped_setup(), fast());
  auto billing = reads.billing_invoices(0, 1000);
  ASSERT_FALSE(billing.ok());
  EXPECT_NE(billing.error().message.find("circuit open"), std::string::npos);
  EXPECT_LT(invoker_.requests.size(), 5u);
}

TEST_F(ReconcileReads, ErpRecordsOfThePeriodAndLookupsForInvoicesPostedOnOtherDays) {
  // The period's records hold in_1 and its payment; in_2 (paid) is looked up by externalId.
  invoker_.outcomes.push_back(engine::ActionSuccess{
      {{"items", json::array({{{"id", "10"},
                               {"externalid", "in_1"},
                               {"type", "CustInvc"},
                               {"foreigntotal", 1},
                               {"currency", "1"},
                               {"trandate", "2023-11-14"}},
                              {{"id", "11"},
                               {"externalid", "in_1-payment"},
                               {"type", "CustPymt"},
                               {"foreigntotal", 1},
                               {"currency", "1"}},
                              {{"id", "12"}, {"externalid", "inX"}, {"type", "CustInvc"}}})},
       {"hasMore", false}}});
  invoker_.outcomes.push_back(engine::ActionSuccess{
      {{"items", json::array({{{"id", "20"},
                               {"externalid", "in_2"},
                               {"type", "CustInvc"},
                               {"foreigntotal", "2.00"},
                               {"currency", 1}},
                              {{"id", "21"}, {"externalid", "in_22"}, {"type", "CustInvc"}}})},
       {"hasMore", false}}});
  auto paid = invoice("in_1", "paid", "usd", 100, 100);
  auto other_day = invoice("in_2", "paid", "usd", 200, 200);
  PlatformReads reads(invoker_, next_page(), shipped_setup(), fast());
  auto records = reads.erp_records(1'700'000'000'000, 1'700'086'400'000, {paid, other_day});
  ASSERT_TRUE(records.ok()) << records.error().message;
  ASSERT_EQ(invoker_.requests.size(), 2u);
  const std::string period = invoker_.requests[0].input["q"];
  EXPECT_EQ(invoker_.requests[0].connector, "netsuite");
  EXPECT_NE(period.find("externalid LIKE 'in_%'"), std::string::npos) << period;
  EXPECT_NE(period.find("trandate >= TO_DATE('2023-11-14', 'YYYY-MM-DD')"), std::string::npos)
      << period;
  EXPECT_NE(period.find("trandate <= TO_DATE('2023-11-15', 'YYYY-MM-DD')"), std::string::npos)
      << period;
  EXPECT_NE(invoker_.requests[1].input["q"].get<std::string>().find("externalid LIKE 'in_2%'"),
            std::string::npos);
  std::vector<std::string> ids;
  for (const auto& r : *records) ids.push_back(r.id);
  EXPECT_EQ(ids, (std::vector<std::string>{"10", "11", "20"}))
      << "inX and in_22 are not records of these invoices";
  EXPECT_EQ((*records)[2].currency_id, "1") << "a numeric currency id reads as text";
}

TEST_F(ReconcileReads, ErpRecordsOfInvoicesBillingHasInAnotherPeriodAreDropped) {
  std::vector<ErpRecord> records{erp("1", "in_old", kInvoice, "1", 1),
                                 erp("2", "in_unknown", kInvoice, "1", 1)};
  invoker_.outcomes.push_back(engine::ActionSuccess{stripe_invoice("in_old", "open")});
  delivery::Failure missing;
  missing.cls = delivery::FailureClass::validation;
  missing.http_status = 404;
  missing.message = "No such invoice";
  invoker_.outcomes.push_back(missing);
  PlatformReads reads(invoker_, next_page(), shipped_setup(), fast());
  ASSERT_TRUE(reads.drop_other_periods(records, {}).ok());
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].external_id, "in_unknown");
  EXPECT_EQ(invoker_.requests[0].action, "get_invoice");
}

// --- runs ------------------------------------------------------------------------------------

class ReconcileRuns : public ReconcileReads {
 protected:
  ReconcileRuns() {
    const auto path = std::filesystem::path(WEFT_SOURCE_DIR) / "workflows/invoice-posting.yaml";
    engine::ValidationOptions options;
    options.jq_error = nullptr;
    auto definition = engine::load_definition_file(path.string(), options);
    EXPECT_TRUE(definition.ok());
    EXPECT_TRUE(catalog_.add(std::move(*definition)).ok());
  }
  Reconciler reconciler() {
    return Reconciler(invoker_, next_page(), catalog_, workflows_, runs_, clock_, fast());
  }

  engine::WorkflowCatalog catalog_;
  MemoryWorkflowStore workflows_;
  MemoryReconciliationStore runs_;
  std::shared_ptr<ManualClock> clock_ = std::make_shared<ManualClock>();
};

TEST_F(ReconcileRuns, ARunIsStoredWithItsSummaryAndEveryLine) {
  invoker_.outcomes.push_back(page(json::array({stripe_invoice("in_1", "open")}), false));
  invoker_.outcomes.push_back(engine::ActionSuccess{{{"items", json::array({{{"id", "10"},
                                                                             {"externalid", "in_1"},
                                                                             {"type", "CustInvc"},
                                                                             {"foreigntotal", 1},
                                                                             {"currency", "1"}}})},
                                                     {"hasMore", false}}});
  auto run = reconciler().run({0, 86'400'000, "ops"});
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->status, "completed") << run->error;
  auto stored = runs_.load_run(run->id).value();
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->status, "completed");
  EXPECT_EQ(json::parse(stored->summary_json)["verdicts"]["matched"], 1);
  auto lines = runs_.lines({run->id, std::nullopt, 0, 100}).value();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].verdict, "matched");
  EXPECT_EQ(json::parse(lines[0].json)["invoice_id"], "in_1");
}

TEST_F(ReconcileRuns, AFailedReadStoresAFailedRunWithoutLines) {
  invoker_.outcomes.push_back(page(json::array({stripe_invoice("in_1", "open")}), false));
  delivery::Failure refused;
  refused.cls = delivery::FailureClass::auth;
  refused.message = "INVALID_LOGIN";
  invoker_.outcomes.push_back(refused);
  auto run = reconciler().run({0, 86'400'000, "ops"});
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->status, "failed");
  EXPECT_EQ(run->error, "auth: netsuite.suiteql: INVALID_LOGIN");
  EXPECT_EQ(runs_.load_run(run->id).value()->status, "failed");
  EXPECT_TRUE(runs_.lines({run->id, std::nullopt, 0, 100}).value().empty());
}

TEST_F(ReconcileRuns, RunsTheHubLeftRunningAreFailedAtStartButNotThoseOfTheCli) {
  Reconciler r = reconciler();
  auto api = r.start({0, 1000, "fin-1"});
  clock_->advance(std::chrono::milliseconds(1));
  auto cli = r.start({0, 1000, kCliRequester});
  ASSERT_TRUE(api.ok() && cli.ok());
  r.fail_abandoned_runs();
  const auto abandoned = runs_.load_run(api->id).value();
  EXPECT_EQ(abandoned->status, "failed");
  EXPECT_NE(abandoned->error.find("the hub stopped"), std::string::npos);
  EXPECT_EQ(runs_.load_run(cli->id).value()->status, "running");
}

}  // namespace
}  // namespace weft::reconcile
