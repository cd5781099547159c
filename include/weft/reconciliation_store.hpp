#pragma once
// ReconciliationStore: the reports of billing-vs-ERP reconciliation runs (src/reconcile/), kept
// so that an operator can read a run again, page through its lines and compare runs. A run is
// created `running` when it starts and finished once, with its summary and every line in the
// same transaction: a run never shows some of its lines as if it were complete.
//
// Threads: every method may be called from any thread.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "weft/store.hpp"

namespace weft {

struct ReconciliationRun {
  // Ordered by start: ids sort as their runs started (reconcile/run_id), so "newest first" is
  // "id descending" and pages are keyed by id.
  std::string id;
  std::string requested_by;  // the API key's name, or "cli"
  std::int64_t from_ms = 0;  // the period: invoices created in [from_ms, to_ms)
  std::int64_t to_ms = 0;
  std::int64_t started_at_ms = 0;
  std::int64_t finished_at_ms = 0;  // 0 while running
  std::string status = "running";   // running | completed | failed
  std::string error;                // failed: why (the failure class and message)
  std::string summary_json = "{}";  // completed: counts per verdict, totals per currency
};

// One line of a report: one billing invoice, or one ERP record billing does not have.
struct ReconciliationLine {
  std::int64_t seq = 0;  // 1, 2, … within the run, in report order
  std::string verdict;   // matched, pending, missing_in_erp, … (reconcile/comparison.hpp)
  std::string json;      // the whole line
};

struct ReconciliationLineQuery {
  std::string run_id;
  std::optional<std::string> verdict;
  std::int64_t after_seq = 0;  // keyset pagination
  int limit = 100;             // clamped to 1..1000
};

class ReconciliationStore {
 public:
  virtual ~ReconciliationStore() = default;

  // Stores a new run (its status as given, normally running). conflict when the id exists.
  virtual StoreResult<void> create_run(const ReconciliationRun& run) = 0;
  // Finishes the run with this id: status, finished_at_ms, error and summary from `run`, and
  // `lines` stored with it, in one transaction. not_found when there is no such run; conflict
  // when it is finished already (its report is never rewritten).
  virtual StoreResult<void> finish_run(const ReconciliationRun& run,
                                       const std::vector<ReconciliationLine>& lines) = 0;
  virtual StoreResult<std::optional<ReconciliationRun>> load_run(std::string_view id) = 0;
  // Newest first: runs whose id is below `before_id` (every run when empty); at most `limit`
  // (clamped to 1..1000).
  virtual StoreResult<std::vector<ReconciliationRun>> list_runs(std::string_view before_id,
                                                                int limit) = 0;
  // A run's lines in seq order, after `after_seq`, of one verdict when given.
  virtual StoreResult<std::vector<ReconciliationLine>> lines(const ReconciliationLineQuery& q) = 0;
};
using ReconciliationStorePtr = std::unique_ptr<ReconciliationStore>;

}  // namespace weft
