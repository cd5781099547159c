#include "reconcile/comparison.hpp"

#include <set>

#include "reconcile/money.hpp"

namespace weft::reconcile {

namespace {

using nlohmann::json;

constexpr std::string_view kPaymentSuffix = "-payment";

struct ErpGroup {
  std::vector<const ErpRecord*> invoices;
  std::vector<const ErpRecord*> payments;
};

// Totals of one currency, in its minor units.
struct Totals {
  std::int64_t billed = 0;
  std::int64_t posted = 0;
};

class Comparer {
 public:
  Comparer(const std::map<std::string, PostingInstance, std::less<>>& instances,
           const PostingSetup& setup)
      : instances_(instances), setup_(setup) {}

  void group(const std::vector<ErpRecord>& erp) {
    std::set<std::string> seen;
    for (const ErpRecord& r : erp) {
      const auto invoice = invoice_id_of(r.external_id);
      if (!invoice || r.kind == ErpRecord::Kind::other || !seen.insert(r.id).second) continue;
      ErpGroup& g = groups_[*invoice];
      (r.kind == ErpRecord::Kind::invoice ? g.invoices : g.payments).push_back(&r);
    }
  }

  ReportLine billing_line(const BillingInvoice& b) {
    const std::int64_t per = setup_.per_major(b.currency);
    if (b.status != "void") totals_[b.currency].billed += b.total;
    const auto found = groups_.find(b.id);
    const ErpGroup none;
    const ErpGroup& g = found == groups_.end() ? none : found->second;
    std::string detail;
    Verdict v = judge(b, g, detail);
    const auto instance = instances_.find(b.id);
    if (is_difference(v) && instance != instances_.end() && instance->second.in_flight()) {
      detail = "its posting is still in flight (" + detail + ")";
      v = Verdict::pending;
    }
    json line = line_json(v, b.id, g, detail);
    line["billing"] = {{"id", b.id},
                       {"number", b.number.empty() ? json() : json(b.number)},
                       {"status", b.status},
                       {"currency", b.currency},
                       {"total", to_major(b.total, per)},
                       {"amount_paid", to_major(b.amount_paid, per)}};
    return ReportLine{v, b.id, std::move(line)};
  }

  // Lines for the ERP records whose invoice is not among `billing`.
  std::vector<ReportLine> erp_only_lines(const std::vector<BillingInvoice>& billing) {
    std::set<std::string, std::less<>> billed;
    for (const auto& b : billing) billed.insert(b.id);
    std::vector<ReportLine> out;
    for (const auto& [invoice, g] : groups_) {
      if (billed.contains(invoice)) continue;
      json line = line_json(Verdict::missing_in_billing, invoice, g,
                            "the ERP has records of " + invoice +
                                ", which billing does not have (in this period or at all)");
      line["billing"] = nullptr;
      out.push_back(ReportLine{Verdict::missing_in_billing, invoice, std::move(line)});
    }
    return out;
  }

  json summary(const std::vector<ReportLine>& lines) const {
    json verdicts = json::object();
    for (Verdict v : all_verdicts()) verdicts[to_string(v)] = 0;
    std::int64_t differences = 0;
    for (const auto& line : lines) {
      verdicts[to_string(line.verdict)] = verdicts[to_string(line.verdict)].get<std::int64_t>() + 1;
      if (is_difference(line.verdict)) ++differences;
    }
    json currencies = json::object();
    for (const auto& [code, t] : totals_) {
      const std::int64_t per = setup_.per_major(code);
      currencies[code] = {{"billed", to_major(t.billed, per)},
                          {"posted", to_major(t.posted, per)},
                          {"difference", to_major(t.posted - t.billed, per)}};
    }
    return {{"lines", lines.size()},
            {"differences", differences},
            {"verdicts", std::move(verdicts)},
            {"currencies", std::move(currencies)}};
  }

 private:
  // The currency code of an ERP record; "erp currency <id>" when the workflow maps none.
  std::string currency_code(const ErpRecord& r) const {
    return setup_.currency_of(r.currency_id).value_or("erp currency " + r.currency_id);
  }

  // Checks one ERP record against billing's currency and amount; empty when it agrees.
  std::optional<std::pair<Verdict, std::string>> check(const ErpRecord& r,
                                                       const std::string& currency,
                                                       std::int64_t expected,
                                                       const char* what) const {
    const std::string code = currency_code(r);
    if (code != currency) {
      return std::pair{Verdict::currency_mismatch, std::string("the ERP ") + what + " " + r.id +
                                                       " is in " + code + ", billing in " +
                                                       currency};
    }
    const std::int64_t per = setup_.per_major(currency);
    const auto amount = to_minor(r.amount, per);
    if (!amount) {
      return std::pair{Verdict::amount_mismatch, std::string("the ERP ") + what + " " + r.id +
                                                     " has no readable amount (" + r.amount.dump() +
                                                     ")"};
    }
    if (*amount != expected) {
      return std::pair{Verdict::amount_mismatch, std::string("the ERP ") + what + " " + r.id +
                                                     " is " + to_major(*amount, per) + " " +
                                                     currency + ", billing " +
                                                     to_major(expected, per) + " " + currency};
    }
    return std::nullopt;
  }

  Verdict judge(const BillingInvoice& b, const ErpGroup& g, std::string& detail) const {
    if (b.status == "void") {
      if (g.invoices.empty()) {
        detail = "void in billing and not posted";
        return Verdict::matched;
      }
      detail = "void in billing, yet posted to the ERP as " + g.invoices.front()->id;
      return Verdict::void_but_posted;
    }
    if (g.invoices.empty()) {
      detail = "no ERP invoice has externalId " + b.id;
      return Verdict::missing_in_erp;
    }
    if (g.invoices.size() > 1 || g.payments.size() > 1) {
      const bool invoices = g.invoices.size() > 1;
      detail = std::to_string(invoices ? g.invoices.size() : g.payments.size()) + " ERP " +
               (invoices ? "invoices" : "payments") + " have externalId " + b.id +
               (invoices ? "" : std::string(kPaymentSuffix));
      return Verdict::duplicate_in_erp;
    }
    if (auto problem = check(*g.invoices.front(), b.currency, b.total, "invoice")) {
      detail = std::move(problem->second);
      return problem->first;
    }
    const bool paid = b.status == "paid" && b.amount_paid > 0;
    if (paid && g.payments.empty()) {
      detail =
          "paid in billing, no ERP payment has externalId " + b.id + std::string(kPaymentSuffix);
      return Verdict::payment_missing;
    }
    if (paid) {
      if (auto problem = check(*g.payments.front(), b.currency, b.amount_paid, "payment")) {
        detail = std::move(problem->second);
        return problem->first;
      }
    } else if (!g.payments.empty()) {
      detail =
          "the ERP has payment " + g.payments.front()->id + ", billing's invoice is " + b.status;
      return Verdict::amount_mismatch;
    }
    detail = paid ? "invoice and payment posted" : "invoice posted";
    return Verdict::matched;
  }

  json record_json(const ErpRecord& r) const {
    const std::string code = currency_code(r);
    const auto amount = to_minor(r.amount, setup_.per_major(code));
    return {{"id", r.id},
            {"external_id", r.external_id},
            {"currency", setup_.currency_of(r.currency_id) ? json(code) : json()},
            {"currency_id", r.currency_id},
            {"amount", amount ? json(to_major(*amount, setup_.per_major(code))) : r.amount},
            {"date", r.date.empty() ? json() : json(r.date)}};
  }

  json line_json(Verdict v, const std::string& invoice, const ErpGroup& g,
                 const std::string& detail) {
    for (const ErpRecord* r : g.invoices) {
      const std::string code = currency_code(*r);
      if (const auto amount = to_minor(r->amount, setup_.per_major(code)))
        totals_[code].posted += *amount;
    }
    json line = {{"verdict", to_string(v)}, {"invoice_id", invoice}, {"detail", detail}};
    line["erp"] = {{"invoice", g.invoices.empty() ? json() : record_json(*g.invoices.front())},
                   {"payment", g.payments.empty() ? json() : record_json(*g.payments.front())},
                   {"records", g.invoices.size() + g.payments.size()}};
    const auto instance = instances_.find(invoice);
    if (instance == instances_.end()) {
      line["instance"] = nullptr;
      line["exception_id"] = nullptr;
    } else {
      const PostingInstance& p = instance->second;
      line["instance"] = {{"id", p.id}, {"status", p.status}};
      line["exception_id"] = p.exception_id.empty() ? json() : json(p.exception_id);
    }
    return line;
  }

  const std::map<std::string, PostingInstance, std::less<>>& instances_;
  const PostingSetup& setup_;
  std::map<std::string, ErpGroup, std::less<>> groups_;
  std::map<std::string, Totals, std::less<>> totals_;
};

}  // namespace

const char* to_string(Verdict verdict) {
  switch (verdict) {
    case Verdict::matched:
      return "matched";
    case Verdict::pending:
      return "pending";
    case Verdict::missing_in_erp:
      return "missing_in_erp";
    case Verdict::amount_mismatch:
      return "amount_mismatch";
    case Verdict::currency_mismatch:
      return "currency_mismatch";
    case Verdict::payment_missing:
      return "payment_missing";
    case Verdict::duplicate_in_erp:
      return "duplicate_in_erp";
    case Verdict::void_but_posted:
      return "void_but_posted";
    case Verdict::missing_in_billing:
      return "missing_in_billing";
  }
  return "unknown";
}

const std::vector<Verdict>& all_verdicts() {
  static const std::vector<Verdict> kAll{
      Verdict::matched,          Verdict::pending,           Verdict::missing_in_erp,
      Verdict::amount_mismatch,  Verdict::currency_mismatch, Verdict::payment_missing,
      Verdict::duplicate_in_erp, Verdict::void_but_posted,   Verdict::missing_in_billing};
  return kAll;
}

std::optional<Verdict> parse_verdict(std::string_view text) {
  for (Verdict v : all_verdicts()) {
    if (text == to_string(v)) return v;
  }
  return std::nullopt;
}

std::optional<std::string> invoice_id_of(std::string_view external_id) {
  if (external_id.ends_with(kPaymentSuffix)) external_id.remove_suffix(kPaymentSuffix.size());
  if (!external_id.starts_with("in_") || external_id.size() == 3) return std::nullopt;
  return std::string(external_id);
}

Report compare(const std::vector<BillingInvoice>& billing, const std::vector<ErpRecord>& erp,
               const std::map<std::string, PostingInstance, std::less<>>& instances,
               const PostingSetup& setup) {
  Comparer comparer(instances, setup);
  comparer.group(erp);
  Report report;
  for (const BillingInvoice& b : billing) report.lines.push_back(comparer.billing_line(b));
  for (ReportLine& line : comparer.erp_only_lines(billing)) report.lines.push_back(std::move(line));
  report.summary = comparer.summary(report.lines);
  return report;
}

}  // namespace weft::reconcile
