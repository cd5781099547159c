#pragma once
// From a canonical event to the update of its entity's canonical record: each top-level field
// of the payload, stamped with the event's source and platform time. The platform sequence
// comes from the caller (the mapping knows which payload field carries a platform's version,
// e.g. a NetSuite record's lastModifiedDate or a Salesforce SystemModstamp); 0 when none.

#include <cstdint>
#include <string_view>

#include "mapping/canonical_event.hpp"
#include "weft/identity_store.hpp"

namespace weft::identity {

RecordUpdate record_update(const mapping::CanonicalEvent& event, std::string_view kind,
                           std::string_view canonical_id, std::int64_t platform_seq = 0);

}  // namespace weft::identity
