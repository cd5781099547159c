#pragma once
// The account status (GET /v1/accounts/{id}/status): one answer about a customer across the
// platforms, from the canonical records of the customer and of the cases, invoices and
// subscriptions that belong to it (IdentityStore::related_records). Schema:
// AccountStatus in api/openapi.json.
//
//   {"account": {"id", "name", "links": [{"connector", "platform_id"}]},
//    "support": {"open_cases": {"urgent", "high", "normal", "low"}, "total_open",
//                "status_unknown", "freshness"} | null,
//    "billing": {"unpaid": [{"currency", "amount"}], "open_invoices", "overdue_invoices",
//                "oldest_overdue_days" | null, "freshness"} | null,
//    "subscription": {"state", "subscriptions": [{"id", "links", "status",
//                     "cancel_at_period_end", "items": [...]}], "freshness"} | null,
//    "credit_hold": {"on_hold", "override", "freshness"} | null,
//    "entitlements": {"entitled", "products", "seats", "freshness"} | null,
//    "as_of"}
//
// A part is null while nothing of it is known (no case, invoice or subscription of the
// customer seen yet; no credit hold reported): unknown is not "none". Each part's freshness
// names the connectors and the newest platform time of the fields it used (view_common.hpp).
// The credit hold is the customer record's on_hold, which NetSuite's account.credit_hold_set
// sets: the status says "on hold" as soon as that event is routed, before any workflow runs.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string_view>

#include "views/view_common.hpp"

namespace weft::views {

// `reference`: a customer's canonical id or "connector:platform_id" (resolve_reference).
// `now_ms`: the time the answer is for (overdue days, freshness ages, as_of).
ViewResult<nlohmann::json> account_status(IdentityStore& store, std::string_view reference,
                                          std::int64_t now_ms);

}  // namespace weft::views
