#pragma once
// The SQLite schema as an ordered list of migrations. A database records each one it has
// applied in schema_migrations; opening the store applies the rest, one transaction each, so
// a crash mid-upgrade leaves the database at a whole version. Migrations are append-only:
// once released, a migration's SQL never changes; a change of schema is a new migration.

#include <cstdint>
#include <span>
#include <string_view>

#include "store/sqlite/sqlite_handle.hpp"
#include "weft/store.hpp"

namespace weft::store::sqlite {

struct Migration {
  int version;            // 1, 2, 3, … without gaps
  std::string_view name;  // what it does, for people reading schema_migrations
  std::string_view sql;   // one or more statements
};

// Every migration this build knows, in version order.
std::span<const Migration> migrations();
// The version a database has once every migration of this build is applied.
int latest_version();

// The highest version applied to the database (0 for a new one).
StoreResult<int> applied_version(Connection& connection);

// Brings the database to latest_version(), recording each step at `now_ms`. A database whose
// version is newer than this build knows is refused (StoreErrc::internal) before any change to
// its schema: an older binary must not write to a schema it does not understand. Safe against
// another process migrating the same file at the same time: each step re-reads the version
// under the write lock.
StoreResult<void> migrate(Connection& connection, std::int64_t now_ms);

}  // namespace weft::store::sqlite
