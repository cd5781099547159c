#include "store/memory/memory_reconciliation_store.hpp"

#include <algorithm>

namespace weft {

StoreResult<void> MemoryReconciliationStore::create_run(const ReconciliationRun& run) {
  std::lock_guard lock(mutex_);
  if (!runs_.try_emplace(run.id, run).second) {
    return fail(StoreError{StoreErrc::conflict, "reconciliation run " + run.id + " exists"});
  }
  return {};
}

StoreResult<void> MemoryReconciliationStore::finish_run(
    const ReconciliationRun& run, const std::vector<ReconciliationLine>& lines) {
  std::lock_guard lock(mutex_);
  const auto it = runs_.find(run.id);
  if (it == runs_.end()) {
    return fail(StoreError{StoreErrc::not_found, "no reconciliation run " + run.id});
  }
  ReconciliationRun& stored = it->second;
  if (stored.status != "running") {
    return fail(StoreError{StoreErrc::conflict,
                           "reconciliation run " + run.id + " is " + stored.status + " already"});
  }
  stored.status = run.status;
  stored.finished_at_ms = run.finished_at_ms;
  stored.error = run.error;
  stored.summary_json = run.summary_json;
  std::vector<ReconciliationLine> sorted = lines;
  std::sort(sorted.begin(), sorted.end(),
            [](const ReconciliationLine& a, const ReconciliationLine& b) { return a.seq < b.seq; });
  lines_[run.id] = std::move(sorted);
  return {};
}

StoreResult<std::optional<ReconciliationRun>> MemoryReconciliationStore::load_run(
    std::string_view id) {
  std::lock_guard lock(mutex_);
  const auto it = runs_.find(id);
  if (it == runs_.end()) return std::optional<ReconciliationRun>();
  return std::optional<ReconciliationRun>(it->second);
}

StoreResult<std::vector<ReconciliationRun>> MemoryReconciliationStore::list_runs(
    std::string_view before_id, int limit) {
  std::lock_guard lock(mutex_);
  std::vector<ReconciliationRun> out;
  const auto max = static_cast<std::size_t>(std::clamp(limit, 1, 1000));
  for (auto it = runs_.rbegin(); it != runs_.rend() && out.size() < max; ++it) {
    if (before_id.empty() || it->first < before_id) out.push_back(it->second);
  }
  return out;
}

StoreResult<std::vector<ReconciliationLine>> MemoryReconciliationStore::lines(
    const ReconciliationLineQuery& q) {
  std::lock_guard lock(mutex_);
  std::vector<ReconciliationLine> out;
  const auto it = lines_.find(q.run_id);
  if (it == lines_.end()) return out;
  const auto max = static_cast<std::size_t>(std::clamp(q.limit, 1, 1000));
  for (const ReconciliationLine& line : it->second) {
    if (out.size() >= max) break;
    if (line.seq <= q.after_seq || (q.verdict && line.verdict != *q.verdict)) continue;
    out.push_back(line);
  }
  return out;
}

}  // namespace weft
