#include "store/sqlite/raw_event_filter.hpp"

#include <algorithm>
#include <limits>
#include <tuple>

namespace weft::store::sqlite {

namespace {

constexpr std::int64_t kNoBound = std::numeric_limits<std::int64_t>::max();

StoreError bind_error(Connection& db, int rc) {
  return sqlite_error(db.get(), rc, "raw event filter: bind");
}

}  // namespace

std::string raw_event_conditions(const RawEventQuery& query) {
  std::string sql;
  if (query.connector) sql += " AND connector = :connector";
  if (query.event_type) sql += " AND event_type = :event_type";
  if (query.business_key) sql += " AND business_key = :business_key";
  if (query.received_from_ms) sql += " AND seq >= :from_seq AND received_at_ms >= :from";
  if (query.received_to_ms) sql += " AND seq < :to_seq AND received_at_ms < :to";
  return sql;
}

StoreResult<void> bind_raw_event_conditions(Connection& db, StmtLease& stmt,
                                            const RawEventQuery& query) {
  int rc = stmt.bind_int(":after", query.after_seq);
  if (rc == SQLITE_OK && query.connector) rc = stmt.bind_text(":connector", *query.connector);
  if (rc == SQLITE_OK && query.event_type) rc = stmt.bind_text(":event_type", *query.event_type);
  if (rc == SQLITE_OK && query.business_key) {
    rc = stmt.bind_text(":business_key", *query.business_key);
  }
  if (rc != SQLITE_OK) return fail(bind_error(db, rc));
  for (const auto& [bound, seq_name, time_name] :
       {std::tuple{&query.received_from_ms, ":from_seq", ":from"},
        std::tuple{&query.received_to_ms, ":to_seq", ":to"}}) {
    if (!*bound) continue;
    auto seq = first_seq_received_at_or_after(db, **bound);
    if (!seq) return fail(std::move(seq).error());
    rc = stmt.bind_int(seq_name, *seq);
    if (rc == SQLITE_OK) rc = stmt.bind_int(time_name, **bound);
    if (rc != SQLITE_OK) return fail(bind_error(db, rc));
  }
  return {};
}

StoreResult<std::int64_t> first_seq_received_at_or_after(Connection& db, std::int64_t at_ms) {
  // The first event at or after a seq (seqs have gaps: retention, rolled-back inserts).
  auto at_or_after = db.prepare(
      "SELECT seq, received_at_ms FROM raw_events WHERE seq >= ?1 ORDER BY seq LIMIT 1");
  if (!at_or_after) return fail(std::move(at_or_after).error());
  auto last = db.prepare("SELECT coalesce(max(seq), 0) FROM raw_events");
  if (!last) return fail(std::move(last).error());
  int rc = last->step();
  if (rc != SQLITE_ROW) return fail(sqlite_error(db.get(), rc, "raw event filter: last seq"));
  const std::int64_t end = last->column_int(0) + 1;

  // Invariant: every event below `low` was received before at_ms; `found` is the smallest seq
  // at or above `high` received at or after it (`end` for none yet). received_at_ms never
  // decreases along seq, so the first such event at or after any seq is also the first of all
  // those at or after that seq.
  std::int64_t low = 0;
  std::int64_t high = end;
  std::int64_t found = end;
  while (low < high) {
    const std::int64_t middle = low + (high - low) / 2;
    rc = at_or_after->bind_int(1, middle);
    if (rc == SQLITE_OK) rc = at_or_after->step();
    if (rc == SQLITE_DONE) {
      high = middle;  // no event from here on
    } else if (rc != SQLITE_ROW) {
      return fail(sqlite_error(db.get(), rc, "raw event filter: seq for a time"));
    } else if (at_or_after->column_int(1) >= at_ms) {
      found = std::min(found, at_or_after->column_int(0));
      high = middle;
    } else {
      low = at_or_after->column_int(0) + 1;
    }
    at_or_after->reset();  // for the next round's bind
  }
  return found == end ? kNoBound : found;
}

StoreResult<std::int64_t> last_received_at_ms(Connection& db) {
  auto stmt = db.prepare("SELECT received_at_ms FROM raw_events ORDER BY seq DESC LIMIT 1");
  if (!stmt) return fail(std::move(stmt).error());
  const int rc = stmt->step();
  if (rc == SQLITE_DONE) return std::int64_t{0};
  if (rc != SQLITE_ROW) {
    return fail(sqlite_error(db.get(), rc, "raw event filter: last receive time"));
  }
  return stmt->column_int(0);
}

}  // namespace weft::store::sqlite
