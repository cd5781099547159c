#pragma once
// What reconciliation takes from the invoice-posting workflow (workflows/invoice-posting.yaml)
// rather than keeping copies that could drift from it: which connectors are billing and ERP
// (the connectors of its get_invoice and upsert_invoice calls), the ERP's currency ids
// (vars.netsuite_currency_ids) and the minor units per major unit of each currency
// (vars.minor_units_per_major, 100 when a currency is not listed). Internal to src/reconcile.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "engine/workflow_catalog.hpp"
#include "weft/result.hpp"

namespace weft::reconcile {

inline constexpr std::string_view kPostingWorkflow = "invoice-posting";

struct PostingSetup {
  std::string workflow{kPostingWorkflow};
  std::string billing_connector = "stripe";
  std::string erp_connector = "netsuite";
  std::map<std::string, std::string, std::less<>> erp_currency_ids;  // "usd" → "1"
  std::map<std::string, std::int64_t, std::less<>> minor_units;      // "jpy" → 1

  std::int64_t per_major(std::string_view currency) const;
  // The currency code of an ERP currency id; nullopt when the workflow maps none to it.
  std::optional<std::string> currency_of(std::string_view erp_currency_id) const;
};

// From the latest version of `workflow` in the catalog; an error says what is missing.
Result<PostingSetup, std::string> posting_setup(const engine::WorkflowCatalog& catalog,
                                                std::string_view workflow = kPostingWorkflow);

}  // namespace weft::reconcile
