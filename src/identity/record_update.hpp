#pragma once
// From a canonical event to the update of its entity's canonical record: each top-level field
// of the payload, stamped with the event's source and platform time. The platform sequence
// comes from the caller: the event's platform_seq, which a mapping sets from the field that
// carries the platform's own event counter or record version (its output's `sequence`); 0
// when none.

#include <cstdint>
#include <string_view>

#include "mapping/canonical_event.hpp"
#include "weft/identity_store.hpp"

namespace weft::identity {

RecordUpdate record_update(const mapping::CanonicalEvent& event, std::string_view kind,
                           std::string_view canonical_id, std::int64_t platform_seq = 0);

}  // namespace weft::identity
