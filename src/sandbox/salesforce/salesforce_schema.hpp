#pragma once
// The sObjects the Salesforce emulator knows (Account, Opportunity, Contract, Contact): their
// standard fields, which are required, read-only or restricted picklists, Salesforce's
// 18-character ids, and the fields Salesforce derives (Opportunity IsWon/IsClosed from
// StageName, Contact Name). Any field ending in "__c" is a custom field of any sObject.
// Internal to src/sandbox/salesforce.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace weft::sandbox::salesforce {

using Json = nlohmann::ordered_json;

enum class FieldKind { id, text, number, integer, boolean, date, datetime, reference, picklist };

struct FieldSpec {
  std::string name;
  FieldKind kind = FieldKind::text;
  bool writable = true;
  bool required = false;                // on create
  std::vector<std::string> picklist;    // restricted values, for FieldKind::picklist
  std::string label;                    // for error messages ("Stage")
};

struct SObjectSpec {
  std::string name;        // "Account"
  std::string key_prefix;  // "001"
  std::vector<FieldSpec> fields;
  const FieldSpec* field(std::string_view name) const;  // case-insensitive
};

// The sObject named `name` (case-insensitive), or null.
const SObjectSpec* find_sobject(std::string_view name);
const std::vector<SObjectSpec>& sobjects();
// The sObject whose ids start with this key prefix, or null.
const SObjectSpec* sobject_for_id(std::string_view id);

bool is_custom_field(std::string_view name);  // "Weft_External_Id__c"

// An 18-character id: key prefix, a fixed pod part, the counter in base 62, and the
// 3-character case-safe suffix Salesforce computes from the first 15.
std::string make_id(std::string_view key_prefix, std::int64_t counter);
// The 15-character form of a 15- or 18-character id (nullopt when it is neither, or an
// 18-character id whose suffix does not match).
std::optional<std::string> id15(std::string_view id);
// The 18-character form of a 15- or 18-character id.
std::optional<std::string> id18(std::string_view id);
// The counter make_id put in an id of this emulator, or nullopt.
std::optional<std::int64_t> id_counter(std::string_view id);

// A value as Salesforce stores it for this field, or the reason it is unusable
// (Salesforce's JSON_PARSER_ERROR / restricted-picklist messages).
struct ValueError {
  std::string error_code;
  std::string message;
};
std::optional<ValueError> check_value(const SObjectSpec& object, const FieldSpec& field,
                                      Json& value);

// Sets the fields Salesforce derives after a write (Opportunity IsWon, IsClosed,
// ForecastCategory; Contact Name; Contract StatusCode, EndDate).
void derive_fields(const SObjectSpec& object, Json& record);
// An Opportunity stage's default Probability (set when the stage changes and the same write
// does not set Probability).
int stage_probability(std::string_view stage);

// "2024-04-17T17:18:10.000+0000": Salesforce's datetime format.
std::string salesforce_datetime(std::int64_t unix_ms);

}  // namespace weft::sandbox::salesforce
