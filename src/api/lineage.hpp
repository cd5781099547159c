#pragma once
// Lineage: the ordered timeline of what happened about one business key or correlation id,
// across platforms — every raw event received, the canonical events it became, the workflow
// instances they started, their steps, the outbound requests those made (with their
// idempotency keys and outcomes) and the human decisions on them.
//
// A correlation id follows one platform event (or API request) through everything it caused;
// a business key (cus_…, zen:ticket:…, an instance's key) gathers what concerned one object.
// Both are tried, so the caller need not say which it has.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string_view>

#include "weft/result.hpp"
#include "weft/store.hpp"
#include "weft/workflow_store.hpp"

namespace weft::api {

// {"key", "entries": [{"at", "kind", …}], "truncated"} oldest first; kinds: raw_event,
// canonical_event, workflow (started/ended), step, outbound, decision. At most `max_entries`.
StoreResult<nlohmann::json> lineage(Store& events, WorkflowStore& workflows, std::string_view key,
                                    std::size_t max_entries = 1000);

}  // namespace weft::api
