#include "scenario/scenario_plan.hpp"

#include <array>
#include <cctype>
#include <cstdio>
#include <optional>
#include <random>
#include <set>
#include <string_view>

namespace weft::scenario {

using nlohmann::json;

namespace {

// Seeded draws with plain arithmetic, so that every standard library gives the same plan.
class Draw {
 public:
  explicit Draw(std::uint64_t seed) : engine_(seed) {}
  std::uint64_t below(std::uint64_t n) { return engine_() % n; }
  bool percent(int p) { return below(100) < static_cast<std::uint64_t>(p); }
  std::int64_t between(std::int64_t low, std::int64_t high) {  // inclusive
    return low + static_cast<std::int64_t>(below(static_cast<std::uint64_t>(high - low + 1)));
  }
  template <class T, std::size_t N>
  const T& pick(const std::array<T, N>& from) { return from[below(N)]; }

 private:
  std::mt19937_64 engine_;
};

constexpr std::array<std::string_view, 16> kAdjectives{
    "Northwind", "Bluepeak",  "Cedar",       "Ironbridge", "Silverline", "Redwood",
    "Harbor",    "Summit",    "Lakeside",    "Granite",    "Brightwater", "Oakridge",
    "Evergreen", "Coastal",   "Pinecrest",   "Riverstone"};
constexpr std::array<std::string_view, 12> kNouns{"Logistics", "Analytics", "Foods",  "Robotics",
                                                  "Health",    "Media",     "Energy", "Software",
                                                  "Outfitters", "Labs",     "Freight", "Dental"};
constexpr std::array<std::string_view, 6> kSuffixes{"Inc", "LLC", "GmbH", "Ltd", "SAS", "BV"};
constexpr std::array<std::string_view, 12> kFirstNames{"Ada",   "Bruno", "Chloe", "Dmitri",
                                                       "Elena", "Farid", "Grace", "Hiro",
                                                       "Ines",  "Jonas", "Keira", "Luis"};
constexpr std::array<std::string_view, 12> kLastNames{"Moreau", "Okafor",  "Schmidt", "Tanaka",
                                                      "Novak",  "Haddad",  "Larsen",  "Rossi",
                                                      "Quinn",  "Fischer", "Alvarez", "Dubois"};
// Weighted: 6 in 10 customers bill in USD.
constexpr std::array<std::string_view, 10> kCurrencies{"usd", "usd", "usd", "usd", "usd",
                                                       "usd", "eur", "eur", "eur", "gbp"};
constexpr std::array<std::string_view, 3> kAllCurrencies{"usd", "eur", "gbp"};
// How an agent resolves a disputed invoice (the ticket's resolution field).
constexpr std::array<std::string_view, 3> kDisputeResolutions{
    "Seats cancelled late: credited on the next invoice",
    "Invoice confirmed: the seats were in use all month",
    "Billing error: a corrected invoice was sent"};

// The demo NetSuite account's hardware items a replacement ticket names (internal id, name).
constexpr std::array<std::pair<std::string_view, std::string_view>, 3> kReplacementItems{
    {{"11", "sensor"}, {"12", "gateway"}, {"13", "power adapter"}}};
constexpr std::int64_t kBasicMonthly = 4900;  // minor units
constexpr std::int64_t kProMonthly = 14900;

std::string lower_slug(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (std::isalnum(static_cast<unsigned char>(c))) out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

std::string padded(int n, int width) {
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "%0*d", width, n);
  return buffer;
}

struct Customer {
  std::string tag;  // c0001
  std::string company, contact, email, currency;
};

// Builds the operations; `chains` are sequences whose order matters (an invoice is made,
// then finalized, then paid), interleaved at random at the end as activity arrives.
class Planner {
 public:
  // Outcomes (disputes resolved) draw from a stream of their own, so that every other
  // operation stays what it was before they were played (only the interleaving moves).
  explicit Planner(const PlanOptions& options)
      : options_(options), draw_(options.seed), outcome_draw_(options.seed ^ 0x6f7574636f6d65ULL) {}

  Plan run() {
    plan_.options = options_;
    catalog();
    std::vector<Customer> customers;
    for (int i = 1; i <= options_.customers; ++i) customers.push_back(onboard(i));
    for (const Customer& c : customers) activity(c);
    interleave();
    return std::move(plan_);
  }

 private:
  using Chain = std::vector<Operation>;

  Operation op(const std::string& id, const char* platform, std::string action, json input,
               Channel channel = Channel::api) {
    Operation o;
    o.id = id;
    o.platform = platform;
    o.channel = channel;
    o.action = std::move(action);
    o.input = std::move(input);
    o.idempotency_key = "scenario-" + std::to_string(options_.seed) + "-" + id;
    return o;
  }
  void now(Operation o) { plan_.operations.push_back(std::move(o)); }
  void count(const char* what) { ++plan_.counts[what]; }

  static std::string price_id(std::string_view tier, std::string_view currency) {
    return "catalog.price_" + std::string(tier) + "_" + std::string(currency);
  }

  void catalog() {
    now(op("catalog.product_basic", "stripe", "create_product",
           {{"name", "Weft Demo Basic"}, {"metadata", {{"tier", "basic"}}}}));
    now(op("catalog.product_pro", "stripe", "create_product",
           {{"name", "Weft Demo Pro"}, {"metadata", {{"tier", "pro"}}}}));
    for (std::string_view currency : kAllCurrencies) {
      for (auto [tier, amount] : {std::pair{std::string_view("basic"), kBasicMonthly},
                                  std::pair{std::string_view("pro"), kProMonthly}}) {
        now(op(price_id(tier, currency), "stripe", "create_price",
               {{"product", reference("catalog.product_" + std::string(tier), "/id")},
                {"currency", currency},
                {"unit_amount", amount},
                {"recurring", {{"interval", "month"}}}}));
      }
    }
  }

  Customer onboard(int index) {
    Customer c;
    c.tag = "c" + padded(index, 4);
    std::string company = std::string(draw_.pick(kAdjectives)) + " " + std::string(draw_.pick(kNouns));
    // Names are unique on Zendesk: a repeat gets a number.
    if (!companies_.insert(company).second) company += " " + std::to_string(index);
    c.company = company + " " + std::string(draw_.pick(kSuffixes));
    const std::string first(draw_.pick(kFirstNames)), last(draw_.pick(kLastNames));
    c.contact = first + " " + last;
    c.email = lower_slug(first) + "." + lower_slug(last) + "@" + lower_slug(company) + ".example";
    c.currency = draw_.pick(kCurrencies);
    const std::string stripe_id = reference(c.tag + ".stripe_customer", "/id");

    now(op(c.tag + ".stripe_customer", "stripe", "create_customer",
           {{"name", c.company},
            {"email", c.email},
            {"description", "Scenario customer " + c.tag},
            {"metadata", {{"scenario_customer", c.tag}}}}));
    now(op(c.tag + ".netsuite_customer", "netsuite", "upsert_customer",
           {{"external_id", stripe_id},
            {"body", {{"companyName", c.company}, {"email", c.email}}}}));
    now(op(c.tag + ".zendesk_organization", "zendesk", "upsert_organization",
           {{"external_id", stripe_id}, {"name", c.company}}));
    now(op(c.tag + ".zendesk_user", "zendesk", "upsert_user",
           {{"email", c.email},
            {"name", c.contact},
            {"organization_id", reference(c.tag + ".zendesk_organization", "/organization/id")}}));
    now(op(c.tag + ".salesforce_account", "salesforce", "upsert_account",
           {{"external_id_field", kSalesforceExternalIdField},
            {"external_id", stripe_id},
            {"fields", {{"Name", c.company}, {"Type", "Customer"}, {"Industry", "Technology"}}}}));
    count("customers");
    return c;
  }

  void activity(const Customer& c) {
    const std::optional<std::size_t> subscribed = subscription(c);
    // The customer's tickets are about one invoice (a paid one when there is one) and go in
    // its chain, after it, so that they never name an invoice not made yet.
    std::vector<Chain> invoices;
    std::size_t ticket_invoice = 0;
    bool ticket_invoice_paid = false;
    const int how_many = static_cast<int>(draw_.between(1, 3));
    for (int n = 1; n <= how_many; ++n) {
      bool paid = false;
      invoices.push_back(invoice(c, n, paid));
      if (paid && !ticket_invoice_paid) {
        ticket_invoice = invoices.size() - 1;
        ticket_invoice_paid = true;
      }
    }
    tickets(c, invoices[ticket_invoice], ticket_invoice_paid);
    for (Chain& chain : invoices) chains_.push_back(std::move(chain));
    replacement(c, subscribed);
    credit_hold(c);
    opportunity(c);
  }

  // The index of the subscription's chain in chains_, when the customer got one.
  std::optional<std::size_t> subscription(const Customer& c) {
    if (!draw_.percent(75)) return std::nullopt;
    Chain chain;
    json input = {{"customer", reference(c.tag + ".stripe_customer", "/id")},
                  {"items", json::array({{{"price", reference(price_id("basic", c.currency), "/id")}}})},
                  {"metadata", {{"scenario_customer", c.tag}}}};
    // Some first invoices stay open: the sandbox emulates no declined cards, so an unpaid
    // subscription invoice stands for the payment that did not come.
    if (draw_.percent(15)) {
      input["payment_behavior"] = "default_incomplete";
      count("subscriptions_unpaid");
    }
    chain.push_back(op(c.tag + ".subscription", "stripe", "create_subscription", std::move(input)));
    count("subscriptions");
    if (draw_.percent(30)) {
      chain.push_back(op(c.tag + ".upgrade", "stripe", "update_subscription",
                         {{"id", reference(c.tag + ".subscription", "/id")},
                          {"items", json::array({{{"id", reference(c.tag + ".subscription", "/items/data/0/id")},
                                                  {"price", reference(price_id("pro", c.currency), "/id")}}})},
                          {"metadata", {{"tier", "pro"}}}}));
      count("upgrades");
    }
    chains_.push_back(std::move(chain));
    return chains_.size() - 1;
  }

  Chain invoice(const Customer& c, int n, bool& paid) {
    const std::string id = c.tag + ".invoice" + std::to_string(n);
    const std::string customer = reference(c.tag + ".stripe_customer", "/id");
    const std::int64_t amount = draw_.between(10, 2500) * 100;
    // The item goes on its own draft invoice: a pending item would be swept into whichever
    // of the customer's invoices is made next.
    Chain chain;
    chain.push_back(op(id, "stripe", "create_invoice",
                       {{"customer", customer},
                        {"pending_invoice_items_behavior", "exclude"},
                        {"metadata", {{"scenario_invoice", id}}}}));
    chain.push_back(op(id + ".item", "stripe", "create_invoice_item",
                       {{"customer", customer},
                        {"invoice", reference(id, "/id")},
                        {"amount", amount},
                        {"currency", c.currency},
                        {"description", "Professional services, batch " + std::to_string(n)}}));
    chain.push_back(op(id + ".finalize", "stripe", "finalize_invoice", {{"id", reference(id, "/id")}}));
    count("invoices");
    paid = draw_.percent(70);
    if (paid) {
      chain.push_back(op(id + ".pay", "stripe", "pay_invoice", {{"id", reference(id, "/id")}}));
      count("invoices_paid");
      if (draw_.percent(5)) {
        Operation dispute = op(id + ".chargeback", "stripe", "/_sandbox/stripe/disputes",
                               {{"invoice", reference(id, "/id")},
                                {"reason", draw_.percent(50) ? "fraudulent" : "product_not_received"}},
                               Channel::sandbox_helper);
        chain.push_back(std::move(dispute));
        count("chargebacks");
        // Stripe closes some of them while the scenario runs; the others stay open.
        if (outcome_draw_.percent(60)) {
          chain.push_back(op(id + ".chargeback_close", "stripe",
                             "/_sandbox/stripe/disputes/" + reference(id + ".chargeback", "/id") + "/close",
                             {{"status", outcome_draw_.percent(50) ? "won" : "lost"}}, Channel::sandbox_helper));
          count("chargebacks_closed");
        }
      }
    } else {
      count("invoices_open");
    }
    return chain;
  }

  json ticket(const Customer& c, const char* tag, std::string subject, std::string body, const char* type,
              json custom_fields) {
    return {{"subject", std::move(subject)},
            {"comment", {{"body", std::move(body)}}},
            {"requester_id", reference(c.tag + ".zendesk_user", "/user/id")},
            {"organization_id", reference(c.tag + ".zendesk_organization", "/organization/id")},
            {"tags", json::array({tag})},
            {"type", type},
            {"priority", draw_.percent(20) ? "high" : "normal"},
            {"custom_fields", std::move(custom_fields)}};
  }
  // A ticket about one of the customer's invoices, named in the invoice field.
  json ticket(const Customer& c, const std::string& invoice, const char* tag, std::string subject,
              std::string body, const char* type) {
    return ticket(c, tag, std::move(subject), std::move(body), type,
                  json::array({{{"id", kInvoiceFieldId}, {"value", reference(invoice, "/id")}}}));
  }

  void tickets(const Customer& c, Chain& chain, bool paid) {
    const std::string invoice = chain.front().id;  // invoice, item, finalize, …
    const std::string number = reference(invoice + ".finalize", "/number");
    if (draw_.percent(30)) {
      const std::int64_t credit = draw_.between(5, 20) * 500;
      json input = ticket(c, invoice, kCreditRequestTag, "Service credit request for invoice " + number,
                          "We lost access for several hours this week. Please credit " +
                              std::to_string(credit / 100) + "." + padded(static_cast<int>(credit % 100), 2) +
                              " " + c.currency + " against invoice " + number + ".",
                          "question");
      input["custom_fields"].push_back({{"id", kCreditAmountFieldId}, {"value", credit}});
      chain.push_back(op(c.tag + ".credit_request", "zendesk", "create_ticket", std::move(input)));
      count("credit_requests");
    }
    if (draw_.percent(10)) {
      chain.push_back(op(c.tag + ".invoice_dispute", "zendesk", "create_ticket",
                         ticket(c, invoice, kInvoiceDisputeTag, "We dispute invoice " + number,
                                "Invoice " + number + " bills seats we cancelled last month.", "problem")));
      count("invoice_disputes");
      // The agent resolves some: the resolution in its field, then the ticket solved.
      if (outcome_draw_.percent(50)) {
        chain.push_back(op(c.tag + ".invoice_dispute_solved", "zendesk", "update_ticket",
                           {{"id", reference(c.tag + ".invoice_dispute", "/ticket/id")},
                            {"status", "solved"},
                            {"custom_fields", json::array({{{"id", kDisputeResolutionFieldId},
                                                            {"value", outcome_draw_.pick(kDisputeResolutions)}}})}}));
        count("invoice_disputes_solved");
      }
    }
    if (paid && draw_.percent(8)) {
      chain.push_back(op(c.tag + ".refund_request", "zendesk", "create_ticket",
                         ticket(c, invoice, kRefundRequestTag, "Refund request for invoice " + number,
                                "We were charged twice for the same period; please refund invoice " + number + ".",
                                "incident")));
      count("refund_requests");
    }
  }

  // A replacement request for ~6 % of customers: after the subscription's activity when the
  // customer has one (in its chain), else on its own (a customer with nothing to be entitled
  // by: the workflow refuses it).
  void replacement(const Customer& c, std::optional<std::size_t> subscribed) {
    if (!draw_.percent(6)) return;
    const auto& [item, name] = draw_.pick(kReplacementItems);
    const std::int64_t quantity = draw_.between(1, 3);
    Operation request = op(c.tag + ".replacement_request", "zendesk", "create_ticket",
                           ticket(c, kReplacementRequestTag, "Replacement " + std::string(name) + " needed",
                                  "Our " + std::string(name) + " stopped working; please send " +
                                      std::to_string(quantity) + " replacement(s).",
                                  "problem",
                                  json::array({{{"id", kReplacementItemFieldId}, {"value", std::string(item)}},
                                               {{"id", kReplacementQuantityFieldId}, {"value", quantity}}})));
    if (subscribed) {
      chains_[*subscribed].push_back(std::move(request));
    } else {
      chains_.push_back(Chain{std::move(request)});
    }
    count("replacement_requests");
  }

  void credit_hold(const Customer& c) {
    if (!draw_.percent(8)) return;
    const std::string stripe_id = reference(c.tag + ".stripe_customer", "/id");
    auto hold = [&](const char* suffix, const char* value) {
      return op(c.tag + suffix, "netsuite", "update_record",
                {{"record_type", "customer"}, {"external_id", stripe_id}, {"body", {{"creditHoldOverride", value}}}});
    };
    Chain chain{hold(".credit_hold", "ON")};
    count("credit_holds");
    if (draw_.percent(50)) {
      chain.push_back(hold(".credit_release", "OFF"));
      count("credit_releases");
    }
    chains_.push_back(std::move(chain));
  }

  void opportunity(const Customer& c) {
    if (!draw_.percent(20)) return;
    const std::string external = "scenario-" + std::to_string(options_.seed) + "-" + c.tag + "-opp";
    json fields = {{"Name", c.company + " expansion"},
                   {"AccountId", reference(c.tag + ".salesforce_account", "/id")},
                   {"StageName", "Negotiation/Review"},
                   {"CloseDate", "2026-06-" + padded(static_cast<int>(draw_.between(1, 28)), 2)},
                   {"Amount", draw_.between(12, 240) * 100}};
    auto upsert = [&](const char* suffix, json f) {
      return op(c.tag + suffix, "salesforce", "upsert_opportunity",
                {{"external_id_field", kSalesforceExternalIdField}, {"external_id", external}, {"fields", std::move(f)}});
    };
    Chain chain{upsert(".opportunity", fields)};
    const bool won = draw_.percent(85);
    chain.push_back(upsert(".opportunity_close", {{"StageName", won ? "Closed Won" : "Closed Lost"}}));
    count("opportunities");
    if (won) count("closed_won");
    chains_.push_back(std::move(chain));
  }

  // Activity arrives interleaved: repeatedly take the next operation of a random chain.
  void interleave() {
    std::vector<std::size_t> next(chains_.size(), 0);
    std::vector<std::size_t> open;
    for (std::size_t i = 0; i < chains_.size(); ++i) {
      if (!chains_[i].empty()) open.push_back(i);
    }
    while (!open.empty()) {
      const std::size_t slot = draw_.below(open.size());
      const std::size_t chain = open[slot];
      now(std::move(chains_[chain][next[chain]++]));
      if (next[chain] == chains_[chain].size()) {
        open[slot] = open.back();
        open.pop_back();
      }
    }
  }

  PlanOptions options_;
  Draw draw_;
  Draw outcome_draw_;
  Plan plan_;
  std::vector<Chain> chains_;
  std::set<std::string> companies_;
};

}  // namespace

Result<Plan, std::string> plan_scenario(const PlanOptions& options) {
  if (options.customers < 1 || options.customers > kMaxCustomers) {
    return fail("--customers must be between 1 and " + std::to_string(kMaxCustomers) + ", got " +
                std::to_string(options.customers));
  }
  return Planner(options).run();
}

}  // namespace weft::scenario
