#pragma once
// Reconciler: one reconciliation run from start to stored report — reads billing and the ERP
// through the connectors (platform_reads.hpp), joins the hub's posting instances
// (posting_instances.hpp), compares (comparison.hpp) and stores the run with its summary and
// lines (ReconciliationStore). A read that fails ends the run `failed` with the failure's
// class and message, and no lines: never a partial report that looks complete.
//
// `weft reconcile` calls run() in-process; the API starts a run (start(), which stores it as
// running) and completes it on a ReconcileService thread.
//
// Threads: start/complete/run may be called from any thread; each run reads on the calling
// thread (it blocks for the platforms' answers).

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "core/worker_pool.hpp"
#include "engine/action_invoker.hpp"
#include "engine/workflow_catalog.hpp"
#include "reconcile/platform_reads.hpp"
#include "weft/clock.hpp"
#include "weft/reconciliation_store.hpp"
#include "weft/workflow_store.hpp"

namespace weft::reconcile {

// requested_by of the runs `weft reconcile` makes.
inline constexpr const char* kCliRequester = "cli";

struct RunRequest {
  std::int64_t from_ms = 0;
  std::int64_t to_ms = 0;
  std::string requested_by;
};

class Reconciler {
 public:
  Reconciler(engine::ActionInvoker& invoker, NextPage next_page,
             const engine::WorkflowCatalog& catalog, WorkflowStore& workflows,
             ReconciliationStore& runs, ClockPtr clock, ReadOptions options = {});

  // Stores a new run, status running. Its id sorts by start time.
  StoreResult<ReconciliationRun> start(const RunRequest& request);
  // Reads, compares and stores the report of a started run; the run as finished. A storage
  // failure when finishing is logged and leaves the stored run running (the returned run says
  // failed with the reason).
  ReconciliationRun complete(ReconciliationRun run);
  // start + complete.
  StoreResult<ReconciliationRun> run(const RunRequest& request);

  // Finishes a started run as failed with `reason`, without reading anything.
  StoreResult<void> fail_run(ReconciliationRun run, std::string reason);
  // Runs a crashed hub left running are failed: nothing will finish them. At start-up. Runs of
  // `weft reconcile` are left alone (one may be reading right now, in another process); one
  // killed mid-run stays running.
  void fail_abandoned_runs();

 private:
  engine::ActionInvoker& invoker_;
  NextPage next_page_;
  const engine::WorkflowCatalog& catalog_;
  WorkflowStore& workflows_;
  ReconciliationStore& runs_;
  ClockPtr clock_;
  ReadOptions options_;
};

// Runs started through the API, one at a time in the background (reads may take minutes).
class ReconcileService {
 public:
  explicit ReconcileService(Reconciler& reconciler, std::size_t max_queued = 8);
  ~ReconcileService();

  // Stores the run and queues it; the stored run.  stop() finishes the run being read and
  // fails the queued ones (nothing reads them). unavailable when the queue is full (the run
  // is then stored as failed, saying so).
  StoreResult<ReconciliationRun> submit(const RunRequest& request);
  void stop();

 private:
  Reconciler& reconciler_;
  std::atomic<bool> stopping_{false};
  WorkerPool pool_;
};

}  // namespace weft::reconcile
