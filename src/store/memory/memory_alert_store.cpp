#include "store/memory/memory_alert_store.hpp"

#include <algorithm>

namespace weft {

namespace {

// Oldest first, as the SQLite store orders them (created_at_ms, then id).
bool older(const AlertRecord& a, const AlertRecord& b) {
  return a.created_at_ms != b.created_at_ms ? a.created_at_ms < b.created_at_ms : a.id < b.id;
}

}  // namespace

StoreResult<std::vector<SloStateRecord>> MemoryAlertStore::slo_states() {
  std::lock_guard lock(mutex_);
  std::vector<SloStateRecord> out;
  for (const auto& [name, state] : states_) out.push_back(state);
  return out;
}

StoreResult<void> MemoryAlertStore::save_slo_state(const SloStateRecord& state,
                                                   const std::optional<AlertRecord>& alert) {
  std::lock_guard lock(mutex_);
  states_.insert_or_assign(state.slo, state);
  if (alert) alerts_.try_emplace(alert->id, *alert);
  return {};
}

StoreResult<std::vector<AlertRecord>> MemoryAlertStore::due_alerts(std::int64_t now_ms, int limit) {
  std::lock_guard lock(mutex_);
  std::vector<AlertRecord> out;
  if (limit < 1) return out;
  for (const auto& [id, a] : alerts_) {
    if (a.status == "pending" && a.next_attempt_ms <= now_ms) out.push_back(a);
  }
  std::sort(out.begin(), out.end(), older);
  if (out.size() > static_cast<std::size_t>(limit)) out.resize(static_cast<std::size_t>(limit));
  return out;
}

StoreResult<void> MemoryAlertStore::update_alert(const AlertRecord& alert) {
  std::lock_guard lock(mutex_);
  auto it = alerts_.find(alert.id);
  if (it == alerts_.end()) return fail(StoreError{StoreErrc::not_found, "no alert " + alert.id});
  AlertRecord& a = it->second;
  a.status = alert.status;
  a.attempts = alert.attempts;
  a.next_attempt_ms = alert.next_attempt_ms;
  a.last_error = alert.last_error;
  a.delivered_at_ms = alert.delivered_at_ms;
  return {};
}

StoreResult<std::vector<AlertRecord>> MemoryAlertStore::alerts(std::string_view slo, int limit) {
  std::lock_guard lock(mutex_);
  std::vector<AlertRecord> out;
  for (const auto& [id, a] : alerts_) {
    if (slo.empty() || a.slo == slo) out.push_back(a);
  }
  std::sort(out.begin(), out.end(),
            [](const AlertRecord& a, const AlertRecord& b) { return older(b, a); });
  out.resize(std::min(out.size(), static_cast<std::size_t>(std::clamp(limit, 1, 1000))));
  return out;
}

}  // namespace weft
