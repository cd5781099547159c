#include "store/memory/memory_workflow_store.hpp"

#include <algorithm>
#include <string>

namespace weft {

TransitionOutcome MemoryWorkflowStore::apply_one(const Transition& t) {
  if (t.create) {
    auto key = std::make_pair(t.create->workflow, t.create->order_seq);
    if (triggers_.count(key) != 0 || instances_.count(t.create->id) != 0)
      return TransitionOutcome::duplicate;
    InstanceRecord r = *t.create;
    r.revision = 1;
    triggers_.insert(std::move(key));
    instances_.emplace(r.id, std::move(r));
  } else if (t.update) {
    auto it = instances_.find(t.update->id);
    if (it == instances_.end() || it->second.revision != t.expected_revision) return TransitionOutcome::conflict;
    // What identifies the instance stays as created.
    InstanceRecord& r = it->second;
    r.status = t.update->status;
    r.state_json = t.update->state_json;
    r.cursor_json = t.update->cursor_json;
    r.updated_at_ms = t.update->updated_at_ms;
    r.due_at_ms = t.update->due_at_ms;
    r.revision = t.expected_revision + 1;
  }
  for (StepEventRecord h : t.history) {
    h.seq = next_history_seq_++;
    history_.push_back(std::move(h));
  }
  int exceptions_opened = 0;
  for (const ExceptionRecord& e : t.open_exceptions) exceptions_opened += exceptions_.emplace(e.id, e).second ? 1 : 0;
  // As in the SQLite store: exceptions that all exist already make a duplicate.
  if (!t.create && !t.update && !t.open_exceptions.empty() && exceptions_opened == 0) {
    return TransitionOutcome::duplicate;
  }
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
    auto& waits = waits_[id];
    waits.clear();
    for (EventWaitRecord w : *t.event_waits) {
      w.instance_id = id;
      waits.insert_or_assign(w.step_id, std::move(w));  // the last for a step counts
    }
  }
  for (const SlaOutcomeRecord& o : t.sla_outcomes) {
    // As in the SQLite store: the first outcome counts; a later one adds the finish time.
    auto [it, inserted] = sla_outcomes_.try_emplace({o.instance_id, o.sla}, o);
    if (!inserted && !it->second.finished_at_ms) it->second.finished_at_ms = o.finished_at_ms;
  }
  return TransitionOutcome::applied;
}

StoreResult<std::vector<TransitionOutcome>> MemoryWorkflowStore::apply(std::span<const Transition> batch) {
  if (auto checked = check_transitions(batch); !checked) return fail(checked.error());
  std::lock_guard lock(mutex_);
  std::vector<TransitionOutcome> out;
  for (const Transition& t : batch) out.push_back(apply_one(t));
  return out;
}

StoreResult<void> MemoryWorkflowStore::check_in_log(std::span<const MappingRecord> records) {
  for (const MappingRecord& m : records) {
    RawEventQuery q;
    q.after_seq = m.raw_seq > 0 ? m.raw_seq - 1 : 0;  // seqs start at 1
    q.limit = 1;
    auto found = events_->query_raw_events(q);
    if (!found) return fail(found.error());
    if (found->empty() || found->front().seq != m.raw_seq) {
      return fail(StoreError{StoreErrc::not_found,
                             "record_mappings: no raw event with seq " + std::to_string(m.raw_seq)});
    }
  }
  return {};
}

StoreResult<std::vector<std::vector<TransitionOutcome>>> MemoryWorkflowStore::record_mappings(
    std::span<const MappingRecord> records, const IdentityWrites& identity, std::int64_t at_ms) {
  std::vector<std::vector<TransitionOutcome>> out;
  if (records.empty()) return out;
  if (auto checked = check_mapping_records(records); !checked) return fail(checked.error());
  // Identity first: it is all or nothing on its own, and applying it again (should the mark
  // below fail and the batch be routed again) changes nothing — links and keys exist, and a
  // record update that ties is not newer.
  if (identity_ != nullptr && !identity.empty()) {
    if (auto written = identity_->write(identity, at_ms); !written) return fail(std::move(written).error());
  }
  // Held throughout, so that readers of this store see the batch whole. The mark goes first:
  // once it succeeded, nothing below can fail, and if it fails nothing was written.
  std::lock_guard lock(mutex_);
  if (events_ != nullptr) {
    // Every check before any change: a seq not in the log writes nothing.
    if (auto checked = check_in_log(records); !checked) return fail(checked.error());
    std::vector<std::int64_t> seqs;
    seqs.reserve(records.size());
    for (const MappingRecord& m : records) seqs.push_back(m.raw_seq);
    if (auto marked = events_->mark_processed(seqs, at_ms); !marked) return fail(marked.error());
  }
  for (const MappingRecord& m : records) {
    for (const CanonicalEventRecord& e : m.events) canonical_.emplace(e.order_seq, e);
    std::vector<TransitionOutcome> outcomes;
    for (const Transition& t : m.starts) outcomes.push_back(apply_one(t));
    out.push_back(std::move(outcomes));
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
    if (q.correlation_id && r.correlation_id != *q.correlation_id) continue;
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
  out.resize(std::min(out.size(), static_cast<std::size_t>(std::max(limit, 0))));
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
    for (const auto& [step, w] : waits) {
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
  if (status == ExceptionStatus::open) {
    return fail(StoreError{StoreErrc::invalid_argument,
                           "resolve_exception: an exception is resolved as retried or discarded"});
  }
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
  const auto wanted = static_cast<std::size_t>(std::max(limit, 0));
  for (auto it = canonical_.begin(); it != canonical_.end() && out.size() < wanted; ++it) {
    if (it->second.business_key == business_key) out.push_back(it->second);
  }
  return out;
}

StoreResult<std::int64_t> MemoryWorkflowStore::reset_processed(const RawEventQuery&) {
  return fail(StoreError{StoreErrc::invalid_argument, "the memory store keeps no event log to replay"});
}

namespace {

bool in_window(const SlaOutcomeRecord& o, const SlaOutcomeQuery& q) {
  return o.workflow == q.workflow && o.sla == q.sla && o.decided_at_ms > q.from_ms &&
         o.decided_at_ms <= q.to_ms && (!q.breached || *q.breached == o.breached);
}

}  // namespace

StoreResult<SlaOutcomeCounts> MemoryWorkflowStore::count_sla_outcomes(const SlaOutcomeQuery& q) {
  std::lock_guard lock(mutex_);
  SlaOutcomeCounts counts;
  for (const auto& [key, o] : sla_outcomes_) {
    if (in_window(o, q)) ++(o.breached ? counts.breached : counts.met);
  }
  return counts;
}

StoreResult<std::vector<SlaOutcomeRecord>> MemoryWorkflowStore::query_sla_outcomes(const SlaOutcomeQuery& q) {
  std::lock_guard lock(mutex_);
  std::vector<SlaOutcomeRecord> out;
  for (const auto& [key, o] : sla_outcomes_) {
    if (in_window(o, q)) out.push_back(o);
  }
  std::sort(out.begin(), out.end(), [](const SlaOutcomeRecord& a, const SlaOutcomeRecord& b) {
    return a.decided_at_ms != b.decided_at_ms ? a.decided_at_ms > b.decided_at_ms : a.instance_id < b.instance_id;
  });
  out.resize(std::min(out.size(), static_cast<std::size_t>(std::clamp(q.limit, 1, 1000))));
  return out;
}

}  // namespace weft
