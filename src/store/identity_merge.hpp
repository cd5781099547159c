#pragma once
// What the IdentityStore implementations share about merges: the audit id and the checks a
// merge must pass before it changes anything (identity_store.hpp, merge()).

#include <functional>
#include <string>
#include <string_view>

#include "weft/identity_store.hpp"

namespace weft::store {

// Deterministic: an entity is merged away at most once, so (from, into) names the merge.
std::string merge_id(std::string_view from_id, std::string_view into_id);

using LoadEntity = std::function<StoreResult<std::optional<IdentityEntity>>(std::string_view id)>;

// The `into` entity when the merge may go ahead; otherwise the error merge() reports.
StoreResult<IdentityEntity> check_merge(const LoadEntity& load, std::string_view from_id, std::string_view into_id,
                                        std::string_view by);

}  // namespace weft::store
