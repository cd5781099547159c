#include "store/memory/memory_identity_store.hpp"

#include <algorithm>
#include <string>

#include "store/identity_merge.hpp"

namespace weft {

namespace {

StoreError not_found(std::string what) { return StoreError{StoreErrc::not_found, std::move(what)}; }

}  // namespace

const IdentityEntity* MemoryIdentityStore::live(const State& state, std::string_view id) {
  // Merges are compressed (an entity merged into one that is merged later is re-pointed), so
  // one hop reaches the survivor; the bound only guards against a damaged state.
  for (int hops = 0; hops < 64; ++hops) {
    auto it = state.entities.find(id);
    if (it == state.entities.end()) return nullptr;
    if (it->second.merged_into.empty()) return &it->second;
    id = it->second.merged_into;
  }
  return nullptr;
}

StoreResult<std::optional<IdentityLink>> MemoryIdentityStore::find_link(std::string_view kind,
                                                                        std::string_view connector,
                                                                        std::string_view platform_id) {
  std::lock_guard lock(mutex_);
  auto it = state_.links.find(LinkKey{kind, connector, platform_id});
  if (it == state_.links.end()) return std::optional<IdentityLink>();
  return std::optional<IdentityLink>(it->second);
}

StoreResult<std::vector<IdentityKey>> MemoryIdentityStore::find_keys(std::string_view kind,
                                                                     std::string_view attribute,
                                                                     std::span<const std::string> blocks) {
  std::lock_guard lock(mutex_);
  std::vector<IdentityKey> out;
  std::set<std::string> wanted(blocks.begin(), blocks.end());
  for (const std::string& block : wanted) {
    for (auto it = state_.keys.lower_bound(KeyKey{kind, attribute, block, ""});
         it != state_.keys.end() && std::get<0>(it->first) == kind && std::get<1>(it->first) == attribute &&
         std::get<2>(it->first) == block;
         ++it) {
      out.push_back(it->second);
    }
  }
  return out;
}

StoreResult<std::optional<IdentityEntity>> MemoryIdentityStore::load_entity(std::string_view id) {
  std::lock_guard lock(mutex_);
  auto it = state_.entities.find(id);
  if (it == state_.entities.end()) return std::optional<IdentityEntity>();
  return std::optional<IdentityEntity>(it->second);
}

StoreResult<std::optional<IdentityEntity>> MemoryIdentityStore::resolve_id(std::string_view id) {
  std::lock_guard lock(mutex_);
  const IdentityEntity* entity = live(state_, id);
  if (entity == nullptr) return std::optional<IdentityEntity>();
  return std::optional<IdentityEntity>(*entity);
}

StoreResult<std::vector<IdentityLink>> MemoryIdentityStore::links_of(std::string_view canonical_id) {
  std::lock_guard lock(mutex_);
  std::vector<IdentityLink> out;
  for (const auto& [key, link] : state_.links) {
    if (link.canonical_id == canonical_id) out.push_back(link);
  }
  std::sort(out.begin(), out.end(), [](const IdentityLink& a, const IdentityLink& b) {
    return std::tie(a.connector, a.platform_id) < std::tie(b.connector, b.platform_id);
  });
  return out;
}

StoreResult<std::vector<IdentityKey>> MemoryIdentityStore::keys_of(std::string_view canonical_id) {
  std::lock_guard lock(mutex_);
  std::vector<IdentityKey> out;
  for (const auto& [key, value] : state_.keys) {
    if (value.canonical_id == canonical_id) out.push_back(value);
  }
  std::sort(out.begin(), out.end(), [](const IdentityKey& a, const IdentityKey& b) {
    return std::tie(a.attribute, a.block) < std::tie(b.attribute, b.block);
  });
  return out;
}

StoreResult<std::optional<CanonicalRecord>> MemoryIdentityStore::load_record(std::string_view canonical_id) {
  std::lock_guard lock(mutex_);
  auto it = state_.records.find(canonical_id);
  if (it == state_.records.end()) return std::optional<CanonicalRecord>();
  return std::optional<CanonicalRecord>(it->second);
}

StoreResult<std::vector<MergeRecord>> MemoryIdentityStore::merges_of(std::string_view canonical_id) {
  std::lock_guard lock(mutex_);
  std::vector<MergeRecord> out;
  for (const MergeRecord& m : state_.merges) {
    if (m.from_id == canonical_id || m.into_id == canonical_id) out.push_back(m);
  }
  return out;
}

StoreResult<std::vector<IdentityRelation>> MemoryIdentityStore::relations_of(std::string_view canonical_id) {
  std::lock_guard lock(mutex_);
  std::vector<IdentityRelation> out;
  for (auto it = state_.relations.lower_bound(RelationKey{canonical_id, ""});
       it != state_.relations.end() && it->first.first == canonical_id; ++it) {
    out.push_back(it->second);
  }
  return out;
}

StoreResult<std::vector<CanonicalRecord>> MemoryIdentityStore::related_records(std::string_view related_id,
                                                                               std::string_view kind) {
  std::lock_guard lock(mutex_);
  std::vector<CanonicalRecord> out;
  for (const auto& [key, relation] : state_.relations) {  // ordered by canonical id
    if (relation.related_id != related_id || relation.kind != kind) continue;
    auto record = state_.records.find(relation.canonical_id);
    out.push_back(record != state_.records.end() ? record->second
                                                 : CanonicalRecord{relation.canonical_id, relation.kind, {}, 0});
  }
  return out;
}

void MemoryIdentityStore::offer(State& state, IdentityRelation relation) {
  auto [it, created] = state.relations.try_emplace(RelationKey{relation.canonical_id, relation.related_kind}, relation);
  if (!created && relation_is_newer(relation, it->second)) it->second = std::move(relation);
}

StoreResult<std::vector<RecordChange>> MemoryIdentityStore::apply(State& state, const IdentityWrites& writes,
                                                                  std::int64_t at_ms) {
  for (const IdentityEntity& e : writes.entities) state.entities.try_emplace(e.id, e);
  for (IdentityLink link : writes.links) {
    const IdentityEntity* target = live(state, link.canonical_id);
    if (target == nullptr) return fail(not_found("link to an unknown entity " + link.canonical_id));
    link.canonical_id = target->id;
    state.links.try_emplace(LinkKey{link.kind, link.connector, link.platform_id}, std::move(link));
  }
  for (IdentityKey key : writes.keys) {
    const IdentityEntity* target = live(state, key.canonical_id);
    if (target == nullptr) return fail(not_found("key of an unknown entity " + key.canonical_id));
    key.canonical_id = target->id;
    state.keys.try_emplace(KeyKey{key.kind, key.attribute, key.block, key.canonical_id}, std::move(key));
  }
  std::vector<RecordChange> changes;
  for (const RecordUpdate& update : writes.updates) {
    const IdentityEntity* target = live(state, update.canonical_id);
    if (target == nullptr) return fail(not_found("record of an unknown entity " + update.canonical_id));
    auto [it, created] = state.records.try_emplace(target->id);
    if (created) {
      it->second.canonical_id = target->id;
      it->second.kind = target->kind;
    }
    changes.push_back(RecordChange{target->id, update.event_id, apply_newer_fields(it->second, update, at_ms)});
  }
  for (IdentityRelation relation : writes.relations) {
    const IdentityEntity* entity = live(state, relation.canonical_id);
    const IdentityEntity* related = live(state, relation.related_id);
    if (entity == nullptr || related == nullptr) {
      return fail(not_found("relation of an unknown entity " + relation.canonical_id + " to " + relation.related_id));
    }
    relation.canonical_id = entity->id;
    relation.related_id = related->id;
    offer(state, std::move(relation));
  }
  return changes;
}

StoreResult<std::vector<RecordChange>> MemoryIdentityStore::write(const IdentityWrites& writes, std::int64_t at_ms) {
  std::lock_guard lock(mutex_);
  State next = state_;
  auto changes = apply(next, writes, at_ms);
  if (changes) state_ = std::move(next);
  return changes;
}

StoreResult<MergeRecord> MemoryIdentityStore::merge(std::string_view from_id, std::string_view into_id,
                                                    std::string_view by, std::string_view reason,
                                                    std::int64_t at_ms) {
  std::lock_guard lock(mutex_);
  auto checked = store::check_merge(
      [&](std::string_view id) -> StoreResult<std::optional<IdentityEntity>> {
        auto it = state_.entities.find(id);
        if (it == state_.entities.end()) return std::optional<IdentityEntity>();
        return std::optional<IdentityEntity>(it->second);
      },
      from_id, into_id, by);
  if (!checked) return fail(checked.error());
  State next = state_;
  MergeRecord merge{store::merge_id(from_id, into_id), checked->kind, std::string(from_id), std::string(into_id),
                    std::string(by), std::string(reason), at_ms, 0};
  for (auto& [id, entity] : next.entities) {
    if (id == from_id || entity.merged_into == from_id) entity.merged_into = into_id;
  }
  for (auto& [key, link] : next.links) {
    if (link.canonical_id != from_id) continue;
    link.canonical_id = into_id;
    ++merge.links_moved;
  }
  std::map<KeyKey, IdentityKey> keys;
  for (auto& [key, value] : next.keys) {
    if (value.canonical_id == from_id) value.canonical_id = into_id;
    keys.try_emplace(KeyKey{value.kind, value.attribute, value.block, value.canonical_id}, value);
  }
  next.keys = std::move(keys);
  if (auto from_record = next.records.find(from_id); from_record != next.records.end()) {
    auto [into_record, created] = next.records.try_emplace(std::string(into_id));
    if (created) {
      into_record->second.canonical_id = into_id;
      into_record->second.kind = checked->kind;
    }
    merge_records(into_record->second, from_record->second, at_ms);
    next.records.erase(from_record);
  }
  // The relations of `from` combine with those of `into`; relations to `from` name `into`.
  std::map<RelationKey, IdentityRelation> relations;
  std::vector<IdentityRelation> moved;
  for (auto& [key, relation] : next.relations) {
    if (relation.related_id == from_id) relation.related_id = into_id;
    if (relation.canonical_id == from_id) {
      relation.canonical_id = into_id;
      moved.push_back(relation);
    } else {
      relations.emplace(key, relation);
    }
  }
  next.relations = std::move(relations);
  for (IdentityRelation& relation : moved) offer(next, std::move(relation));
  next.merges.push_back(merge);
  state_ = std::move(next);
  return merge;
}

}  // namespace weft
