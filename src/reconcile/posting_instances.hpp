#pragma once
// The hub's own side of reconciliation: the invoice-posting instances of the period's
// invoices and their open exceptions, so that each report line says what the hub did with
// the invoice and where an operator acts. Instances start after their invoice is created, so
// those created from the period's start on cover it; the invoice id is the trigger event's
// payload.invoice_id (the canonical invoice.issued / invoice.paid). Internal to src/reconcile.

#include <cstdint>
#include <map>
#include <string>

#include "reconcile/comparison.hpp"
#include "weft/workflow_store.hpp"

namespace weft::reconcile {

// By billing invoice id: the instance in flight if there is one, else the newest; with its
// open exception, if any.
StoreResult<std::map<std::string, PostingInstance, std::less<>>> posting_instances(
    WorkflowStore& store, const std::string& workflow, std::int64_t from_ms);

}  // namespace weft::reconcile
