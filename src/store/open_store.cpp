// open_storage and open_store: pick the implementations a storage URL names. The only place
// that knows which implementations exist.

#include <cctype>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>

#include "store/sqlite/database.hpp"
#include "store/sqlite/sqlite_alert_store.hpp"
#include "store/sqlite/sqlite_api_store.hpp"
#include "store/sqlite/sqlite_identity_store.hpp"
#include "store/sqlite/sqlite_reconciliation_store.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "store/sqlite/sqlite_workflow_store.hpp"
#include "weft/store.hpp"
#include "weft/workflow_store.hpp"

namespace weft {

namespace {

StoreError invalid_argument(std::string message) {
  return StoreError{StoreErrc::invalid_argument, std::move(message)};
}

// The URL's scheme in lower case (RFC 3986: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":"),
// or empty when `url` has none and so is a plain file path ("data/weft.db", "./a:b.db").
std::string scheme_of(std::string_view url) {
  std::string scheme;
  for (const char c : url) {
    const auto u = static_cast<unsigned char>(c);
    if (c == ':') return scheme;
    const bool allowed = scheme.empty()
                             ? std::isalpha(u) != 0
                             : (std::isalnum(u) != 0 || c == '+' || c == '-' || c == '.');
    if (!allowed) return {};
    scheme += static_cast<char>(std::tolower(u));
  }
  return {};
}

}  // namespace

const char* to_string(StoreErrc code) {
  switch (code) {
    case StoreErrc::unavailable:
      return "unavailable";
    case StoreErrc::full:
      return "full";
    case StoreErrc::invalid_argument:
      return "invalid_argument";
    case StoreErrc::not_found:
      return "not_found";
    case StoreErrc::conflict:
      return "conflict";
    case StoreErrc::internal:
      return "internal";
  }
  return "unknown";
}

StoreResult<Storage> open_storage(std::string_view url, const StoreOptions& options) {
  const std::string scheme = scheme_of(url);
  std::string_view path = url;
  if (scheme == "postgres" || scheme == "postgresql") {
    return fail(StoreError{StoreErrc::unavailable,
                           "PostgreSQL storage is not available in this build yet"});
  }
  if (scheme == "sqlite") {
    path.remove_prefix(scheme.size() + 1);
    // sqlite://PATH: PATH as written, so sqlite:///var/lib/weft.db is /var/lib/weft.db.
    if (path.starts_with("//")) path.remove_prefix(2);
  } else if (!scheme.empty()) {
    // Only the scheme is echoed: the rest of a URL may hold credentials.
    return fail(invalid_argument("unsupported storage URL scheme '" + scheme +
                                 ":'; use sqlite:PATH, sqlite://PATH or a file path"));
  }
  if (path.empty()) return fail(invalid_argument("the storage URL names no database file"));

  const std::filesystem::path file(path);
  if (const auto parent = file.parent_path(); !parent.empty()) {  // none for ":memory:"
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
    if (ec) {
      return fail(StoreError{StoreErrc::unavailable,
                             "cannot create directory '" + parent.string() + "': " + ec.message()});
    }
  }
  auto database = store::sqlite::Database::open(file, options);
  if (!database) return fail(std::move(database).error());
  Storage storage;
  storage.events = std::make_unique<store::sqlite::SqliteStore>(*database);
  storage.workflows = std::make_unique<store::sqlite::SqliteWorkflowStore>(*database);
  storage.identity = std::make_unique<store::sqlite::SqliteIdentityStore>(*database);
  storage.alerts = std::make_unique<store::sqlite::SqliteAlertStore>(*database);
  storage.reconciliations = std::make_unique<store::sqlite::SqliteReconciliationStore>(*database);
  storage.api = std::make_unique<store::sqlite::SqliteApiStore>(std::move(*database));
  return storage;
}

StoreResult<StorePtr> open_store(std::string_view url, const StoreOptions& options) {
  auto storage = open_storage(url, options);
  if (!storage) return fail(std::move(storage).error());
  return std::move(storage->events);
}

}  // namespace weft
