#pragma once
// What the business views (views/*.hpp: account status, invoice status, xref) share: how a
// /v1 reference names an entity, the errors they answer, and how a part of a document says
// where its data came from and how old it is.
//
// The views are pure reads over the IdentityStore: they compute each answer from the canonical
// records (docs/identity.md) as they stand, write nothing, and may be called from any thread.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "weft/identity_store.hpp"
#include "weft/result.hpp"

namespace weft::views {

enum class ViewErrc {
  invalid_reference,  // malformed: HTTP 400
  not_found,          // well-formed, but names no entity of the kind: 404
  storage,            // the store failed: 503 (a retry may succeed)
};
const char* to_string(ViewErrc code);
using ViewError = Error<ViewErrc>;
template <class T>
using ViewResult = Result<T, ViewError>;

// Longer references are refused before any lookup.
inline constexpr std::size_t kMaxReferenceLength = 256;

// The live entity of `kind` that `reference` names: a canonical id ("customer_3f…"), or a
// platform's id as "connector:platform_id" (the connector's name in the config, e.g.
// "stripe:cus_123", "zendesk:361234"; the platform id is everything after the first colon).
// Merged ids resolve to the survivor. Errors: invalid_reference for an empty or too long
// reference, control characters, a connector name that cannot be one (config's rule), an empty
// platform id, or a kind that is not a plain lower-case word; not_found for a reference that
// names nothing or an entity of another kind. The reference is decoded already (no %XX).
ViewResult<IdentityEntity> resolve_reference(IdentityStore& store, std::string_view kind,
                                             std::string_view reference);

// Unix ms → RFC 3339 UTC with milliseconds ("2024-06-28T09:30:00.000Z").
std::string rfc3339(std::int64_t unix_ms);

// The value of a record field, parsed; nullopt when the record lacks it.
std::optional<nlohmann::json> field_value(const CanonicalRecord& record, std::string_view name);
// The field's state when the record has it.
const FieldState* field_state(const CanonicalRecord& record, std::string_view name);

// Where a part of a view's document came from: the connectors and the newest platform time of
// the record fields it used. Its JSON is {"sources": [connector…] (sorted), "as_of": RFC 3339,
// "age_seconds": now − as_of (0 if as_of is ahead of now)}, or null when no field was used —
// nothing is known, and the document says so rather than inventing.
class Freshness {
 public:
  // Counts `field` when the record has it; returns it for convenience.
  const FieldState* use(const CanonicalRecord& record, std::string_view field);
  void use(const FieldState& state);
  bool empty() const { return sources_.empty(); }
  nlohmann::json to_json(std::int64_t now_ms) const;

 private:
  std::set<std::string> sources_;
  std::int64_t newest_ms_ = 0;
};

// An entity's links as [{"connector", "platform_id"}], ordered by connector then platform id.
ViewResult<nlohmann::json> links_json(IdentityStore& store, std::string_view canonical_id);

// A store error as the views report it.
ViewError storage_error(const StoreError& error, std::string_view doing);

// An integer field value (minor units, counts), if the value is one.
std::optional<std::int64_t> integer_of(const std::optional<nlohmann::json>& value);
// A string field value, if the value is one.
std::optional<std::string> string_of(const std::optional<nlohmann::json>& value);
// A value as the documents carry it: the value, or null when absent.
nlohmann::json or_null(const std::optional<nlohmann::json>& value);
// An RFC 3339 date-time or a YYYY-MM-DD date (midnight UTC) → Unix ms.
std::optional<std::int64_t> time_of(const std::optional<nlohmann::json>& value);

}  // namespace weft::views
