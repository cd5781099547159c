#pragma once
// An in-memory IdentityStore with the durable store's semantics (first link wins, newer field
// wins, all-or-nothing writes and merges). For fast tests of resolution; it keeps nothing
// across processes. tests/unit/identity_store_test.cpp runs one suite against it and SQLite.

#include <map>
#include <mutex>
#include <set>
#include <tuple>
#include <utility>

#include "weft/identity_store.hpp"

namespace weft {

class MemoryIdentityStore : public IdentityStore {
 public:
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
  using LinkKey = std::tuple<std::string, std::string, std::string>;  // kind, connector, platform id
  using KeyKey = std::tuple<std::string, std::string, std::string, std::string>;  // kind, attribute, block, id
  using RelationKey = std::pair<std::string, std::string>;  // canonical id, related kind
  // Everything, so that a write can work on a copy and replace the state only when it succeeds.
  struct State {
    std::map<std::string, IdentityEntity, std::less<>> entities;
    std::map<LinkKey, IdentityLink> links;
    std::map<KeyKey, IdentityKey> keys;
    std::map<std::string, CanonicalRecord, std::less<>> records;
    std::map<RelationKey, IdentityRelation> relations;
    std::vector<MergeRecord> merges;
  };
  // Keeps `relation` where it is newer than the one stored for its entity and related kind.
  static void offer(State& state, IdentityRelation relation);
  static const IdentityEntity* live(const State& state, std::string_view id);
  static StoreResult<std::vector<RecordChange>> apply(State& state, const IdentityWrites& writes, std::int64_t at_ms);

  std::mutex mutex_;
  State state_;
};

}  // namespace weft
