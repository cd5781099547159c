#include "reconcile/reconciler.hpp"

#include <cstdio>

#include "crypto/hmac.hpp"
#include "reconcile/posting_instances.hpp"
#include "weft/log.hpp"

namespace weft::reconcile {

namespace {

// "rec_0001764799200000_1a2b3c4d": the start time zero-padded, so ids sort as runs started.
std::string run_id(std::int64_t started_at_ms) {
  char stamp[32];
  std::snprintf(stamp, sizeof stamp, "%016lld", static_cast<long long>(started_at_ms));
  return std::string("rec_") + stamp + "_" + crypto::random_hex(4);
}

}  // namespace

Reconciler::Reconciler(engine::ActionInvoker& invoker, NextPage next_page,
                       const engine::WorkflowCatalog& catalog, WorkflowStore& workflows,
                       ReconciliationStore& runs, ClockPtr clock, ReadOptions options)
    : invoker_(invoker),
      next_page_(std::move(next_page)),
      catalog_(catalog),
      workflows_(workflows),
      runs_(runs),
      clock_(std::move(clock)),
      options_(options) {}

StoreResult<ReconciliationRun> Reconciler::start(const RunRequest& request) {
  ReconciliationRun run;
  run.started_at_ms = clock_->unix_millis();
  run.id = run_id(run.started_at_ms);
  run.requested_by = request.requested_by;
  run.from_ms = request.from_ms;
  run.to_ms = request.to_ms;
  if (auto created = runs_.create_run(run); !created) return fail(std::move(created).error());
  return run;
}

ReconciliationRun Reconciler::complete(ReconciliationRun run) {
  std::vector<ReconciliationLine> lines;
  const auto failed = [&](std::string error) {
    run.status = "failed";
    run.error = std::move(error);
    lines.clear();
  };
  const auto failed_read = [&](const delivery::Failure& f) {
    failed(std::string(delivery::to_string(f.cls)) + ": " + f.message);
  };

  [&] {
    auto setup = posting_setup(catalog_);
    if (!setup) return failed(setup.error());
    PlatformReads reads(invoker_, next_page_, *setup, options_);
    auto billing = reads.billing_invoices(run.from_ms, run.to_ms);
    if (!billing) return failed_read(billing.error());
    auto erp = reads.erp_records(run.from_ms, run.to_ms, *billing);
    if (!erp) return failed_read(erp.error());
    if (auto dropped = reads.drop_other_periods(*erp, *billing); !dropped) {
      return failed_read(dropped.error());
    }
    auto instances = posting_instances(workflows_, setup->workflow, run.from_ms);
    if (!instances)
      return failed("cannot read the hub's posting instances: " + instances.error().message);
    Report report = compare(*billing, *erp, *instances, *setup);
    std::int64_t seq = 0;
    for (ReportLine& line : report.lines) {
      lines.push_back(ReconciliationLine{++seq, to_string(line.verdict), line.json.dump()});
    }
    run.status = "completed";
    run.summary_json = report.summary.dump();
  }();

  run.finished_at_ms = clock_->unix_millis();
  if (auto finished = runs_.finish_run(run, lines); !finished) {
    log::error("reconcile.store_failed", {{"run", run.id}, {"error", finished.error().message}});
    run.status = "failed";
    run.error = "cannot store the report: " + finished.error().message;
    return run;
  }
  log::info("reconcile.finished", {{"run", run.id},
                                   {"status", run.status},
                                   {"lines", static_cast<std::int64_t>(lines.size())},
                                   {"error", run.error}});
  return run;
}

StoreResult<ReconciliationRun> Reconciler::run(const RunRequest& request) {
  auto started = start(request);
  if (!started) return started;
  return complete(std::move(*started));
}

StoreResult<void> Reconciler::fail_run(ReconciliationRun run, std::string reason) {
  run.status = "failed";
  run.error = std::move(reason);
  run.finished_at_ms = clock_->unix_millis();
  return runs_.finish_run(run, {});
}

void Reconciler::fail_abandoned_runs() {
  auto runs = runs_.list_runs("", 1000);
  if (!runs) {
    log::warn("reconcile.abandoned_unread", {{"error", runs.error().message}});
    return;
  }
  for (ReconciliationRun& run : *runs) {
    // `weft reconcile` runs beside the hub, in its own process: its runs are its own to finish.
    if (run.status != "running" || run.requested_by == kCliRequester) continue;
    if (auto finished = fail_run(run, "the hub stopped before the run finished; start a new one");
        !finished) {
      log::warn("reconcile.abandoned_unfinished",
                {{"run", run.id}, {"error", finished.error().message}});
    }
  }
}

ReconcileService::ReconcileService(Reconciler& reconciler, std::size_t max_queued)
    : reconciler_(reconciler), pool_("reconcile", 1, max_queued) {}

ReconcileService::~ReconcileService() { stop(); }

void ReconcileService::stop() {
  stopping_ = true;
  pool_.stop();
}

StoreResult<ReconciliationRun> ReconcileService::submit(const RunRequest& request) {
  auto started = reconciler_.start(request);
  if (!started) return started;
  const auto task = [this, run = *started]() mutable {
    // Queued runs are not read at shutdown: the pool would otherwise finish them all first.
    if (stopping_) {
      if (auto failed =
              reconciler_.fail_run(run, "the hub stopped before the run started; start a new one");
          !failed) {
        log::warn("reconcile.unfinished", {{"run", run.id}, {"error", failed.error().message}});
      }
      return;
    }
    reconciler_.complete(std::move(run));
  };
  if (!pool_.try_submit(task)) {
    const std::string reason =
        "too many reconciliations are queued; try again when they have finished";
    if (auto failed = reconciler_.fail_run(*started, reason); !failed)
      return fail(std::move(failed).error());
    return fail(StoreError{StoreErrc::unavailable, reason});
  }
  return started;
}

}  // namespace weft::reconcile
