#pragma once
// The conditions a RawEventQuery puts on the event log, for each statement that reads or
// changes a slice of it (the log's readers, weft replay's reset): spelled once, bound once.
//
// Conditions are spelled into the SQL only when their filter is set, so that each shape gets a
// plan of its own (the partial index of unprocessed events needs the literal IS NULL).
//
// Time filters: raw_events has no index on the receive time (each index costs every ingest
// insert; dropping the time and type indexes took the ingest benchmark from 18.7-18.9k to
// 20.3-21.6k webhooks/s). The store keeps received_at_ms non-decreasing along seq instead
// (append clamps it), so a time range is a range of seq, found by binary search on the
// primary key. The time conditions stay in the SQL as well, so the answer is exact whatever
// the bounds. The type filter has no index: it scans, within the time range if one is given.

#include <cstdint>
#include <string>

#include "store/sqlite/sqlite_handle.hpp"
#include "weft/store.hpp"

namespace weft::store::sqlite {

// " AND ..." for every filter set in `query`, after a "WHERE seq > :after" of the caller's. The
// `processed` filter is left to the caller (a reset needs its own).
std::string raw_event_conditions(const RawEventQuery& query);

// Binds :after and what raw_event_conditions spelled. `db` is the connection the statement
// runs on, read for the time range's seq bounds (a few point reads of the primary key).
StoreResult<void> bind_raw_event_conditions(Connection& db, StmtLease& stmt,
                                            const RawEventQuery& query);

// The first seq whose event was received at or after `at_ms`; INT64_MAX when none was (yet).
StoreResult<std::int64_t> first_seq_received_at_or_after(Connection& db, std::int64_t at_ms);

// The newest event's received_at_ms, 0 for an empty log: appends start from it.
StoreResult<std::int64_t> last_received_at_ms(Connection& db);

}  // namespace weft::store::sqlite
