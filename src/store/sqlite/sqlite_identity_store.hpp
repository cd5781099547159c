#pragma once
// The embedded IdentityStore, in the same SQLite database as the event log and the workflow
// state (database.hpp), so that the event pipeline can write what resolution planned in the
// same transaction that marks the raw events processed: write_identity() below is that step,
// for a caller that holds the writer inside an open transaction. write() is it wrapped in one
// transaction of its own.
//
// Contracts are those of identity_store.hpp; tests/unit/identity_store_test.cpp runs one suite
// against this store and MemoryIdentityStore.

#include <memory>

#include "store/sqlite/database.hpp"
#include "weft/identity_store.hpp"

namespace weft::store::sqlite {

// Applies `writes` on `db`, which must be the writer inside an open transaction; on error the
// caller rolls back.
StoreResult<std::vector<RecordChange>> write_identity(Connection& db, const IdentityWrites& writes,
                                                      std::int64_t at_ms);

class SqliteIdentityStore final : public IdentityStore {
 public:
  explicit SqliteIdentityStore(std::shared_ptr<Database> database);
  SqliteIdentityStore(const SqliteIdentityStore&) = delete;
  SqliteIdentityStore& operator=(const SqliteIdentityStore&) = delete;

  StoreResult<std::optional<IdentityLink>> find_link(std::string_view kind, std::string_view connector,
                                                     std::string_view platform_id) override;
  StoreResult<std::vector<IdentityKey>> find_keys(std::string_view kind, std::string_view attribute,
                                                  std::span<const std::string> blocks) override;
  StoreResult<std::optional<IdentityEntity>> load_entity(std::string_view id) override;
  StoreResult<std::optional<IdentityEntity>> resolve_id(std::string_view id) override;
  StoreResult<std::vector<IdentityLink>> links_of(std::string_view canonical_id) override;
  StoreResult<std::vector<IdentityKey>> keys_of(std::string_view canonical_id) override;
  StoreResult<std::optional<CanonicalRecord>> load_record(std::string_view canonical_id) override;
  StoreResult<std::vector<MergeRecord>> merges_of(std::string_view canonical_id) override;
  StoreResult<std::vector<IdentityRelation>> relations_of(std::string_view canonical_id) override;
  StoreResult<std::vector<CanonicalRecord>> related_records(std::string_view related_id,
                                                            std::string_view kind) override;
  StoreResult<std::vector<RecordChange>> write(const IdentityWrites& writes, std::int64_t at_ms) override;
  StoreResult<MergeRecord> merge(std::string_view from_id, std::string_view into_id, std::string_view by,
                                 std::string_view reason, std::int64_t at_ms) override;

 private:
  std::shared_ptr<Database> database_;
};

}  // namespace weft::store::sqlite
