#pragma once
// Which fields a canonical event will change, known before the write: the event pipeline
// decides what to trigger while it routes a batch, before its transaction commits. This reads
// the stored record, replays the updates planned earlier in the batch on it, then applies
// `update` by the same rule the store uses (apply_newer_fields), and adds `update` to the
// batch's writes. The store applies the same rule again in the transaction, so the two agree
// unless an operator merged the entity in between (the store's answer then is the true one).

#include <cstdint>

#include "weft/identity_store.hpp"

namespace weft::identity {

StoreResult<RecordChange> plan_record_update(IdentityStore& store, RecordUpdate update, IdentityWrites& pending,
                                             std::int64_t at_ms);

}  // namespace weft::identity
