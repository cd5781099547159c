#include "store/memory/memory_workflow_store.hpp"

#include <algorithm>

namespace weft {

TransitionOutcome MemoryWorkflowStore::apply_one(const Transition& t) {
  if (t.create) {
    const auto key = std::make_pair(t.create->workflow, t.create->trigger_event_id);
    if (by_trigger_.count(key) != 0 || instances_.count(t.create->id) != 0) return TransitionOutcome::duplicate;
    InstanceRecord r = *t.create;
    r.revision = 1;
    by_trigger_.emplace(key, r.id);
    instances_.emplace(r.id, std::move(r));
  } else if (t.update) {
    auto it = instances_.find(t.update->id);
    if (it == instances_.end() || it->second.revision != t.expected_revision) return TransitionOutcome::conflict;
    InstanceRecord r = *t.update;
    r.revision = t.expected_revision + 1;
    it->second = std::move(r);
  }
  for (StepEventRecord h : t.history) {
    h.seq = next_history_seq_++;
    history_.push_back(std::move(h));
  }
  for (const ExceptionRecord& e : t.open_exceptions) exceptions_.emplace(e.id, e);
  for (const ApprovalRecord& a : t.upsert_approvals) {
    auto it = approvals_.find(a.id);
    if (it == approvals_.end()) {
      approvals_.emplace(a.id, a);
    } else if (it->second.status == "pending") {
      // A decision or expiry: the request's own fields stay as they were.
      it->second.status = a.status;
      it->second.decided_by = a.decided_by;
      it->second.comment = a.comment;
      it->second.decided_at_ms = a.decided_at_ms;
    }
  }
  if (t.event_waits) {
    const std::string id = t.create ? t.create->id : t.update ? t.update->id : std::string();
    waits_[id] = *t.event_waits;
  }
  return TransitionOutcome::applied;
}

StoreResult<std::vector<TransitionOutcome>> MemoryWorkflowStore::apply(std::span<const Transition> batch) {
  std::lock_guard lock(mutex_);
  std::vector<TransitionOutcome> out;
  for (const Transition& t : batch) out.push_back(apply_one(t));
  return out;
}

StoreResult<std::vector<std::vector<TransitionOutcome>>> MemoryWorkflowStore::record_mappings(
    std::span<const MappingRecord> records, std::int64_t at_ms) {
  std::vector<std::vector<TransitionOutcome>> out;
  std::vector<std::int64_t> seqs;
  {
    std::lock_guard lock(mutex_);
    for (const MappingRecord& m : records) {
      for (const CanonicalEventRecord& e : m.events) canonical_.emplace(e.id, e);
      std::vector<TransitionOutcome> outcomes;
      for (const Transition& t : m.starts) outcomes.push_back(apply_one(t));
      out.push_back(std::move(outcomes));
      seqs.push_back(m.raw_seq);
    }
  }
  if (events_ != nullptr) {
    if (auto marked = events_->mark_processed(seqs, at_ms); !marked) return fail(marked.error());
  }
  return out;
}

StoreResult<std::optional<InstanceRecord>> MemoryWorkflowStore::load_instance(std::string_view id) {
  std::lock_guard lock(mutex_);
  auto it = instances_.find(id);
  if (it == instances_.end()) return std::optional<InstanceRecord>();
  return std::optional<InstanceRecord>(it->second);
}

StoreResult<std::vector<InstanceRecord>> MemoryWorkflowStore::query_instances(const InstanceQuery& q) {
  std::lock_guard lock(mutex_);
  std::vector<InstanceRecord> out;
  for (auto it = instances_.upper_bound(q.after_id); it != instances_.end(); ++it) {
    const InstanceRecord& r = it->second;
    if (q.workflow && r.workflow != *q.workflow) continue;
    if (q.status && r.status != *q.status) continue;
    if (q.business_key && r.business_key != *q.business_key) continue;
    if (q.created_from_ms && r.created_at_ms < *q.created_from_ms) continue;
    if (q.created_to_ms && r.created_at_ms >= *q.created_to_ms) continue;
    out.push_back(r);
    if (static_cast<int>(out.size()) >= std::clamp(q.limit, 1, 1000)) break;
  }
  return out;
}

StoreResult<std::vector<InstanceRecord>> MemoryWorkflowStore::due_instances(std::int64_t now_ms, int limit) {
  std::lock_guard lock(mutex_);
  std::vector<InstanceRecord> out;
  for (const auto& [id, r] : instances_) {
    if (!is_terminal(r.status) && r.due_at_ms && *r.due_at_ms <= now_ms) out.push_back(r);
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return *a.due_at_ms < *b.due_at_ms; });
  if (static_cast<int>(out.size()) > limit) out.resize(static_cast<std::size_t>(limit));
  return out;
}

StoreResult<std::vector<InstanceRecord>> MemoryWorkflowStore::active_instances() {
  std::lock_guard lock(mutex_);
  std::vector<InstanceRecord> out;
  for (const auto& [id, r] : instances_) {
    if (!is_terminal(r.status)) out.push_back(r);
  }
  return out;
}

StoreResult<std::vector<StepEventRecord>> MemoryWorkflowStore::history(std::string_view instance_id) {
  std::lock_guard lock(mutex_);
  std::vector<StepEventRecord> out;
  for (const auto& h : history_) {
    if (h.instance_id == instance_id) out.push_back(h);
  }
  return out;
}

StoreResult<std::vector<EventWaitRecord>> MemoryWorkflowStore::event_waits(std::string_view event_type,
                                                                           std::string_view business_key) {
  std::lock_guard lock(mutex_);
  std::vector<EventWaitRecord> out;
  for (const auto& [id, waits] : waits_) {
    for (const auto& w : waits) {
      if (w.event_type == event_type && w.business_key == business_key) out.push_back(w);
    }
  }
  return out;
}

StoreResult<std::vector<ExceptionRecord>> MemoryWorkflowStore::query_exceptions(const ExceptionQuery& q) {
  std::lock_guard lock(mutex_);
  std::vector<ExceptionRecord> out;
  for (auto it = exceptions_.upper_bound(q.after_id); it != exceptions_.end(); ++it) {
    const ExceptionRecord& e = it->second;
    if (q.status && e.status != *q.status) continue;
    if (q.workflow && e.workflow != *q.workflow) continue;
    if (q.instance_id && e.instance_id != *q.instance_id) continue;
    out.push_back(e);
    if (static_cast<int>(out.size()) >= std::clamp(q.limit, 1, 1000)) break;
  }
  return out;
}

StoreResult<std::optional<ExceptionRecord>> MemoryWorkflowStore::load_exception(std::string_view id) {
  std::lock_guard lock(mutex_);
  auto it = exceptions_.find(id);
  if (it == exceptions_.end()) return std::optional<ExceptionRecord>();
  return std::optional<ExceptionRecord>(it->second);
}

StoreResult<bool> MemoryWorkflowStore::resolve_exception(std::string_view id, ExceptionStatus status,
                                                         std::string_view by, std::string_view resolution,
                                                         std::int64_t at_ms) {
  std::lock_guard lock(mutex_);
  auto it = exceptions_.find(id);
  if (it == exceptions_.end() || it->second.status != ExceptionStatus::open) return false;
  it->second.status = status;
  it->second.resolved_by = std::string(by);
  it->second.resolution = std::string(resolution);
  it->second.resolved_at_ms = at_ms;
  return true;
}

StoreResult<std::optional<ApprovalRecord>> MemoryWorkflowStore::load_approval(std::string_view id) {
  std::lock_guard lock(mutex_);
  auto it = approvals_.find(id);
  if (it == approvals_.end()) return std::optional<ApprovalRecord>();
  return std::optional<ApprovalRecord>(it->second);
}

StoreResult<std::vector<ApprovalRecord>> MemoryWorkflowStore::pending_approvals() {
  std::lock_guard lock(mutex_);
  std::vector<ApprovalRecord> out;
  for (const auto& [id, a] : approvals_) {
    if (a.status == "pending") out.push_back(a);
  }
  return out;
}

StoreResult<std::vector<CanonicalEventRecord>> MemoryWorkflowStore::canonical_events(std::string_view business_key,
                                                                                     int limit) {
  std::lock_guard lock(mutex_);
  std::vector<CanonicalEventRecord> out;
  for (const auto& [id, e] : canonical_) {
    if (e.business_key == business_key) out.push_back(e);
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.raw_seq < b.raw_seq; });
  if (static_cast<int>(out.size()) > limit) out.resize(static_cast<std::size_t>(limit));
  return out;
}

StoreResult<std::int64_t> MemoryWorkflowStore::reset_processed(const RawEventQuery&) {
  return fail(StoreError{StoreErrc::invalid_argument, "the memory store keeps no event log to replay"});
}

}  // namespace weft
