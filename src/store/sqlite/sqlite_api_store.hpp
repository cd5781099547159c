#pragma once
// The embedded ApiStore, in the same SQLite database as the rest of Weft's state. Contracts
// are those of api_store.hpp; tests/unit/api_store_test.cpp runs one suite against this store
// and MemoryApiStore.

#include <memory>

#include "store/sqlite/database.hpp"
#include "weft/api_store.hpp"

namespace weft::store::sqlite {

class SqliteApiStore final : public ApiStore {
 public:
  explicit SqliteApiStore(std::shared_ptr<Database> database);
  SqliteApiStore(const SqliteApiStore&) = delete;
  SqliteApiStore& operator=(const SqliteApiStore&) = delete;

  StoreResult<void> create_key(const ApiKeyRecord& key, const AuditRecord& audit) override;
  StoreResult<std::optional<ApiKeyRecord>> find_key_by_hash(std::string_view secret_hash) override;
  StoreResult<std::vector<ApiKeyRecord>> list_keys() override;
  StoreResult<std::optional<ApiKeyRecord>> revoke_key(std::string_view id_or_name,
                                                      AuditRecord audit) override;
  StoreResult<std::optional<IdempotentResponse>> claim_idempotency(
      const IdempotentResponse& placeholder, std::int64_t stale_before_ms) override;
  StoreResult<void> complete_idempotency(std::string_view key_id, std::string_view idempotency_key,
                                         int status, std::string_view body) override;
  StoreResult<void> release_idempotency(std::string_view key_id,
                                        std::string_view idempotency_key) override;
  StoreResult<void> create_session(const SessionRecord& session) override;
  StoreResult<std::optional<SessionWithKey>> find_session(std::string_view token_hash) override;
  StoreResult<bool> delete_session(std::string_view token_hash) override;
  StoreResult<AuditRecord> append_audit(const AuditRecord& record) override;
  StoreResult<std::vector<AuditRecord>> query_audit(const AuditQuery& query) override;

 private:
  std::shared_ptr<Database> database_;
};

}  // namespace weft::store::sqlite
