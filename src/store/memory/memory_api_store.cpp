#include "store/memory/memory_api_store.hpp"

#include <algorithm>
#include <string>

#include "store/api_key_rules.hpp"

namespace weft {

AuditRecord MemoryApiStore::append_locked(const AuditRecord& record) {
  AuditRecord stored = record;
  stored.seq = static_cast<std::int64_t>(audit_.size()) + 1;
  audit_.push_back(stored);
  return stored;
}

StoreResult<void> MemoryApiStore::create_key(const ApiKeyRecord& key, const AuditRecord& audit) {
  if (auto problem = store::api_key_problem(key))
    return fail(StoreError{StoreErrc::invalid_argument, *problem});
  std::lock_guard lock(mutex_);
  for (const ApiKeyRecord& k : keys_) {
    if (k.id == key.id || k.secret_hash == key.secret_hash) {
      return fail(
          StoreError{StoreErrc::conflict, "an API key with this id or secret exists already"});
    }
    if (k.active() && k.name == key.name) {
      return fail(StoreError{StoreErrc::conflict,
                             "an active API key named '" + key.name + "' exists already"});
    }
  }
  keys_.push_back(key);
  append_locked(audit);
  return {};
}

StoreResult<std::optional<ApiKeyRecord>> MemoryApiStore::find_key_by_hash(
    std::string_view secret_hash) {
  std::lock_guard lock(mutex_);
  for (const ApiKeyRecord& k : keys_) {
    if (k.secret_hash == secret_hash) return std::optional<ApiKeyRecord>(k);
  }
  return std::optional<ApiKeyRecord>();
}

StoreResult<std::vector<ApiKeyRecord>> MemoryApiStore::list_keys() {
  std::lock_guard lock(mutex_);
  std::vector<ApiKeyRecord> out = keys_;
  std::stable_sort(out.begin(), out.end(), [](const ApiKeyRecord& a, const ApiKeyRecord& b) {
    return a.created_at_ms != b.created_at_ms ? a.created_at_ms < b.created_at_ms : a.id < b.id;
  });
  return out;
}

StoreResult<std::optional<ApiKeyRecord>> MemoryApiStore::revoke_key(std::string_view id_or_name,
                                                                    AuditRecord audit) {
  std::lock_guard lock(mutex_);
  auto by = [&](auto matches) {
    return std::find_if(keys_.begin(), keys_.end(),
                        [&](const ApiKeyRecord& k) { return k.active() && matches(k); });
  };
  auto it = by([&](const ApiKeyRecord& k) { return k.id == id_or_name; });
  if (it == keys_.end()) it = by([&](const ApiKeyRecord& k) { return k.name == id_or_name; });
  if (it == keys_.end()) return std::optional<ApiKeyRecord>();
  store::describe_revocation(*it, audit);
  append_locked(audit);
  std::erase_if(sessions_, [&](const auto& entry) { return entry.second.key_id == it->id; });
  return std::optional<ApiKeyRecord>(*it);
}

StoreResult<std::optional<IdempotentResponse>> MemoryApiStore::claim_idempotency(
    const IdempotentResponse& p, std::int64_t stale_before_ms) {
  std::lock_guard lock(mutex_);
  const auto key = std::make_pair(p.key_id, p.idempotency_key);
  if (auto it = responses_.find(key);
      it != responses_.end() && !store::is_stale_claim(it->second, stale_before_ms)) {
    return std::optional<IdempotentResponse>(it->second);
  }
  IdempotentResponse placeholder = p;
  placeholder.status = 0;
  placeholder.body.clear();
  responses_[key] = placeholder;
  return std::optional<IdempotentResponse>();
}

StoreResult<void> MemoryApiStore::complete_idempotency(std::string_view key_id,
                                                       std::string_view idempotency_key, int status,
                                                       std::string_view body) {
  std::lock_guard lock(mutex_);
  auto it = responses_.find({std::string(key_id), std::string(idempotency_key)});
  if (it != responses_.end()) {
    it->second.status = status;
    it->second.body = std::string(body);
  }
  return {};
}

StoreResult<void> MemoryApiStore::release_idempotency(std::string_view key_id,
                                                      std::string_view idempotency_key) {
  std::lock_guard lock(mutex_);
  auto it = responses_.find({std::string(key_id), std::string(idempotency_key)});
  if (it != responses_.end() && it->second.status == 0) responses_.erase(it);
  return {};
}

StoreResult<void> MemoryApiStore::create_session(const SessionRecord& session) {
  if (auto problem = store::session_problem(session))
    return fail(StoreError{StoreErrc::invalid_argument, *problem});
  std::lock_guard lock(mutex_);
  if (sessions_.count(session.token_hash) != 0)
    return fail(StoreError{StoreErrc::conflict, "this session exists already"});
  std::erase_if(sessions_, [&](const auto& entry) {
    return entry.second.expires_at_ms <= session.created_at_ms;
  });
  sessions_.emplace(session.token_hash, session);
  return {};
}

StoreResult<std::optional<SessionWithKey>> MemoryApiStore::find_session(
    std::string_view token_hash) {
  std::lock_guard lock(mutex_);
  auto it = sessions_.find(token_hash);
  if (it == sessions_.end()) return std::optional<SessionWithKey>();
  for (const ApiKeyRecord& k : keys_) {
    if (k.id == it->second.key_id) return std::optional<SessionWithKey>({it->second, k});
  }
  return std::optional<SessionWithKey>();
}

StoreResult<bool> MemoryApiStore::delete_session(std::string_view token_hash) {
  std::lock_guard lock(mutex_);
  auto it = sessions_.find(token_hash);
  if (it == sessions_.end()) return false;
  sessions_.erase(it);
  return true;
}

StoreResult<AuditRecord> MemoryApiStore::append_audit(const AuditRecord& record) {
  std::lock_guard lock(mutex_);
  return append_locked(record);
}

StoreResult<std::vector<AuditRecord>> MemoryApiStore::query_audit(const AuditQuery& q) {
  std::lock_guard lock(mutex_);
  const auto matches = [](const std::optional<std::string>& want, const std::string& have) {
    return !want || *want == have;
  };
  std::vector<AuditRecord> out;
  const auto limit = static_cast<std::size_t>(std::clamp(q.limit, 1, 1000));
  for (const AuditRecord& r : audit_) {
    if (r.seq <= q.after_seq || !matches(q.actor, r.actor) || !matches(q.action, r.action) ||
        !matches(q.target, r.target)) {
      continue;
    }
    out.push_back(r);
    if (out.size() == limit) break;
  }
  return out;
}

}  // namespace weft
