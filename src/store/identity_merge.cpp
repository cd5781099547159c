#include "store/identity_merge.hpp"

namespace weft::store {

std::string merge_id(std::string_view from_id, std::string_view into_id) {
  return "merge:" + std::string(from_id) + ">" + std::string(into_id);
}

StoreResult<IdentityEntity> check_merge(const LoadEntity& load, std::string_view from_id, std::string_view into_id,
                                        std::string_view by) {
  const auto invalid = [](std::string message) {
    return fail(StoreError{StoreErrc::invalid_argument, "merge: " + std::move(message)});
  };
  if (by.empty()) return invalid("say who merges (by)");
  if (from_id == into_id) return invalid("an entity cannot be merged into itself (" + std::string(from_id) + ")");
  auto from = load(from_id);
  if (!from) return fail(std::move(from).error());
  auto into = load(into_id);
  if (!into) return fail(std::move(into).error());
  for (const auto& [id, entity] : {std::pair{from_id, &*from}, std::pair{into_id, &*into}}) {
    if (!entity->has_value()) {
      return fail(StoreError{StoreErrc::not_found, "merge: no canonical entity " + std::string(id)});
    }
    if (!(*entity)->merged_into.empty()) {
      return fail(StoreError{StoreErrc::conflict, "merge: " + std::string(id) + " was already merged into " +
                                                      (*entity)->merged_into});
    }
  }
  if ((*from)->kind != (*into)->kind) {
    return invalid("cannot merge a " + (*from)->kind + " into a " + (*into)->kind);
  }
  return **into;
}

}  // namespace weft::store
