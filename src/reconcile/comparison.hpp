#pragma once
// The comparison at the heart of reconciliation, as a pure function: the billing invoices of
// a period, the ERP records of them (and of the period), and the hub's own invoice-posting
// instances → one line per invoice with a verdict, and a summary. No I/O: the readers
// (platform_reads.hpp, posting_instances.hpp) fetch, this decides.
//
// Amounts are compared in minor units as integers (money.hpp): billing's are minor units, the
// ERP's major units converted with the currency's minor units per major.
//
// Verdicts, per billing invoice (drafts are not postable and are left out by the reader):
//   matched           the ERP invoice (and, for a paid invoice, its payment) agrees
//   pending           not matched, but its posting instance is still running or waiting:
//                     in flight, not a difference
//   missing_in_erp    no ERP invoice has the billing invoice's id as its externalId
//   amount_mismatch   the ERP invoice's total (or its payment) differs from billing's
//   currency_mismatch the ERP record is in another currency
//   payment_missing   paid in billing, no ERP payment (externalId <invoice>-payment)
//   duplicate_in_erp  more than one ERP record of one kind with the same externalId
//   void_but_posted   void in billing, yet an ERP invoice exists
// and per ERP record whose externalId names an invoice billing does not have:
//   missing_in_billing

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "reconcile/posting_setup.hpp"

namespace weft::reconcile {

enum class Verdict {
  matched,
  pending,
  missing_in_erp,
  amount_mismatch,
  currency_mismatch,
  payment_missing,
  duplicate_in_erp,
  void_but_posted,
  missing_in_billing,
};
const char* to_string(Verdict verdict);
std::optional<Verdict> parse_verdict(std::string_view text);
const std::vector<Verdict>& all_verdicts();
// matched and pending are not differences; every other verdict is.
inline bool is_difference(Verdict v) { return v != Verdict::matched && v != Verdict::pending; }

// A billing invoice as the billing platform lists it.
struct BillingInvoice {
  std::string id;                // in_…
  std::string number;            // may be empty
  std::string status;            // open, paid, uncollectible, void
  std::string currency;          // lower-case ISO code, as Stripe writes it
  std::int64_t total = 0;        // minor units
  std::int64_t amount_paid = 0;  // minor units
  std::int64_t created_s = 0;
};

// An ERP transaction whose externalId derives from a billing invoice id.
struct ErpRecord {
  enum class Kind { invoice, payment, other };
  std::string id;  // the ERP's internal id
  std::string external_id;
  Kind kind = Kind::other;
  std::string currency_id;  // the ERP's currency id
  nlohmann::json amount;    // major units, as the ERP answered (number or text)
  std::string date;         // the transaction date, as the ERP answered
};

// The billing invoice id an ERP externalId derives from: "in_1" for "in_1" and
// "in_1-payment"; nullopt when it is neither form.
std::optional<std::string> invoice_id_of(std::string_view external_id);

// The hub's invoice-posting instance of an invoice (the one that tells most: one in flight,
// else the newest), and its open exception.
struct PostingInstance {
  std::string id;
  std::string status;        // running, waiting, completed, failed, discarded
  std::string exception_id;  // empty: none open
  bool in_flight() const { return status == "running" || status == "waiting"; }
};

struct ReportLine {
  Verdict verdict = Verdict::matched;
  std::string invoice_id;
  nlohmann::json json;  // the whole line, as stored and served
};

struct Report {
  std::vector<ReportLine> lines;  // billing invoices in the order given, then ERP-only records
  nlohmann::json summary;
};

// `erp`: every ERP record found for the period and for the invoices (any order, duplicates
// by internal id ignored). `instances`: by billing invoice id.
Report compare(const std::vector<BillingInvoice>& billing, const std::vector<ErpRecord>& erp,
               const std::map<std::string, PostingInstance, std::less<>>& instances,
               const PostingSetup& setup);

}  // namespace weft::reconcile
