#pragma once
// The cross-reference of an entity (GET /v1/xref/{entity}/{id}): its canonical id, the id
// each platform knows it by, its merges, what it belongs to, and its canonical record with the
// source and platform time of each field. Schema: XrefEntity in api/openapi.json.
//
//   {"id", "kind", "created_at", "requested_id" (the reference's id when it was merged away,
//    else null), "links": [{"connector", "platform_id", "matched_by", "linked_at"}],
//    "merges": [{"id", "from", "into", "by", "reason", "at", "links_moved"}],
//    "relations": [{"kind", "id", "connector", "event_id", "as_of"}],
//    "record": {"updated_at", "fields": {name: {"value", "connector", "event_id", "as_of",
//               "platform_seq"}}} | null}

#include <nlohmann/json.hpp>
#include <string_view>

#include "views/view_common.hpp"

namespace weft::views {

// `kind`: the entity kind (customer, invoice, case, subscription, …); `reference`: its
// canonical id or "connector:platform_id" (resolve_reference).
ViewResult<nlohmann::json> xref_entity(IdentityStore& store, std::string_view kind,
                                       std::string_view reference);

}  // namespace weft::views
