#pragma once
// MappingSet: every mapping of every platform, compiled, answering "what canonical events
// does this raw event mean?". One YAML file per platform type declares, per platform event
// type, a jq program from the raw body to canonical events (format: docs/mappings.md).
//
// A raw event no mapping accepts, or whose mapping fails, is an error value with a reason
// for the exception workbench; a mapping that outputs nothing (`empty`, a `select` that
// does not match) deliberately ignores the event and is not an error.
//
// Threads: immutable after loading; apply() and the lookups may be called from any thread
// concurrently.

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "mapping/canonical_event.hpp"
#include "weft/result.hpp"
#include "weft/store.hpp"

namespace weft::mapping {

enum class MappingErrc {
  no_mapping,  // no mapping entry for this platform and event type
  failed,      // the mapping raised an error, or an output is not a valid canonical event
};
const char* to_string(MappingErrc code);
using MappingError = Error<MappingErrc>;

struct MappingTable;  // the compiled entries (mapping/mapping_table.hpp)

// The built-in connector (and platform type) of requests made through the /v1 API (credit and
// refund requests). Such a request is stored in the event log as a raw event of this connector
// whose body is already what a mapping outputs ({type, schema_version, business_key, payload,
// occurred_at}): apply() takes it as it is, with the same checks and the same ids as any
// mapping's output, so it is validated, stored, replayed and triggers like a platform's event.
// No connector in the config may take the name.
inline constexpr std::string_view kApiConnector = "api";

// The canonical event of an API request's raw event (see kApiConnector): what apply() gives
// for it, and what the API answers with before the pipeline routes it.
Result<CanonicalEvent, MappingError> api_request_event(const RawEvent& raw);

// A mapping file's name (for error messages) and text.
struct MappingSource {
  std::string file;
  std::string text;
};

struct MappingInfo {
  std::string platform;    // connector type: stripe, zendesk, netsuite, salesforce
  std::string event;       // the entry's `event` as written: "invoice.paid", "invoice.*", "*"
  int version = 0;         // the file's `version`
  config::Location where;  // the line of the entry's `jq:` key
};

class MappingSet {
 public:
  // Loads every *.yaml and *.yml file in `dir` (not recursively). On failure, every error in
  // every file, each with its file and line; nothing half-loaded is returned.
  static Result<MappingSet, std::vector<config::ConfigError>> load_dir(const std::string& dir);
  // The same from text (tests, embedded defaults).
  static Result<MappingSet, std::vector<config::ConfigError>> from_sources(
      const std::vector<MappingSource>& sources);

  MappingSet();  // empty: every event is no_mapping
  MappingSet(MappingSet&&) noexcept;
  MappingSet& operator=(MappingSet&&) noexcept;
  ~MappingSet();

  // Maps one raw event from a connector of type `connector_type`. Zero events when the
  // mapping ignores it. Type kApiConnector is built in (api_request_event).
  Result<std::vector<CanonicalEvent>, MappingError> apply(std::string_view connector_type,
                                                          const RawEvent& raw) const;

  // The entry apply() would use: an exact `event` match first, then the longest matching
  // "prefix.*", then "*".
  std::optional<MappingInfo> find(std::string_view connector_type,
                                  std::string_view event_type) const;
  std::vector<MappingInfo> entries() const;    // every entry: by platform, then file order
  std::vector<std::string> platforms() const;  // sorted
  std::optional<int> version(std::string_view platform) const;
  std::size_t size() const;  // mapping entries, all platforms

  // For the loader; MappingTable is internal to src/mapping.
  explicit MappingSet(std::unique_ptr<const MappingTable> table);

 private:
  std::unique_ptr<const MappingTable> table_;
};

}  // namespace weft::mapping
