#pragma once
// The NetSuite actions Weft knows (REST record service and SuiteQL), and the identifiers they
// put in paths. The table is the single place an action is defined; the connector turns an
// entry into requests.
//
// Threads: the table is immutable; every function is pure.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace weft::connectors::netsuite {

enum class Operation {
  get,      // GET    /record/v1/{type}/{id | eid:external_id}
  upsert,   // PUT    /record/v1/{type}/eid:{external_id}, then GET …?fields=id for the id
  update,   // PATCH  /record/v1/{type}/{id | eid:external_id}
  suiteql,  // POST   /query/v1/suiteql?limit=&offset= with Prefer: transient
};

struct ActionSpec {
  std::string_view name;
  Operation operation;
  // Fixed by the action (get_customer → customer); empty: the input's record_type.
  std::string_view record_type;
};

const std::vector<ActionSpec>& actions();
const ActionSpec* find_action(std::string_view name);
const std::vector<std::string>& action_names();

// The external id an upsert without one uses: "weft-" and 32 hex digits of
// SHA-256(idempotency key). The same for every attempt of a step, across restarts, so a
// retried upsert writes the same record instead of a second one; only letters, digits and
// '-', as NetSuite requires.
std::string derived_external_id(std::string_view idempotency_key);

// NetSuite's rules for what goes in a path, as messages naming `field`; nullopt when fine.
// External ids: letters, digits, '_' and '-' (1..255). Internal ids: digits. Record types:
// letters, digits and '_' (customer, salesOrder, customrecord_x).
std::optional<std::string> check_external_id(std::string_view field, std::string_view value);
std::optional<std::string> check_internal_id(std::string_view field, std::string_view value);
std::optional<std::string> check_record_type(std::string_view field, std::string_view value);

}  // namespace weft::connectors::netsuite
