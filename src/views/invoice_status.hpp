#pragma once
// The invoice status (GET /v1/invoices/{id}): an invoice's balance in billing and its posting
// in the ERP, from its canonical record. The billing invoice (Stripe) and the ERP invoice
// (NetSuite, whose externalId is the billing invoice id by Weft's convention) are one
// canonical invoice: invoice.posted resolves by that external id (x-weft-identity). Schema:
// InvoiceStatus in api/openapi.json.
//
//   {"invoice": {"id", "links": [{"connector", "platform_id"}]},
//    "customer": {"id", "name"} | null,
//    "billing": {"connector", "platform_id", "number", "status", "currency", "total",
//                "amount_due", "amount_paid", "amount_remaining", "due_date", "paid_at",
//                "overdue_days" | null, "freshness"} | null,
//    "erp": {"connector", "platform_id", "posted": true, "number", "tran_date",
//            "freshness"} | null,
//    "as_of"}
//
// billing is null while no billing event of the invoice was seen, erp while no ERP posting
// was (not posted, as far as Weft knows). Which connector is which comes from the record:
// billing is where the amounts came from, the ERP where tran_date did (only invoice.posted
// carries it). A record keeps one value per field, the newest: "number" shows under the
// platform that set it last, null under the other.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "views/view_common.hpp"

namespace weft::views {

// `reference`: an invoice's canonical id or "connector:platform_id" (either platform's id).
ViewResult<nlohmann::json> invoice_status(IdentityStore& store, std::string_view reference,
                                          std::int64_t now_ms);

// What a canonical invoice record says about the balance in billing (shared with the account
// status). Amounts in minor units of `currency`.
struct BillingBalance {
  bool known = false;  // the record has billing amounts (invoice.issued, .paid, payment.failed)
  // void (the status says so), paid (the status says so, or invoice.paid's paid_at is set: its
  // amounts are newer than the issued status), else the status as billing gave it (open,
  // uncollectible), open when none was given (a payment.failed alone).
  std::string status;
  std::optional<std::string> currency;
  std::optional<std::int64_t> owed;    // amount_remaining, else amount_due
  std::optional<std::int64_t> due_ms;  // due_date
  // Unpaid: known, neither paid nor void, and something owed.
  bool unpaid() const;
  // Unpaid with a due date before `now_ms`: whole days since it (0 within the first day).
  std::optional<std::int64_t> overdue_days(std::int64_t now_ms) const;
};
// Reads `record`, counting the fields it uses in `freshness`.
BillingBalance billing_balance(const CanonicalRecord& record, Freshness& freshness);

}  // namespace weft::views
