#pragma once
// The SOQL subset the Salesforce emulator answers:
//   SELECT <fields> | COUNT() FROM <sObject>
//     [WHERE <field> <op> <literal> [AND …]]   op: = != <> < <= > >= LIKE IN (…) NOT IN (…)
//     [ORDER BY <field> [ASC|DESC] [NULLS FIRST|LAST], …] [LIMIT n] [OFFSET n]
// Literals: 'text' (backslash escapes), numbers, true/false/null, dates (2024-05-01) and
// datetimes (2024-05-01T00:00:00Z, …+0000) unquoted, as SOQL wants them. Text compares
// ignoring case, as SOQL does. Enough for "SystemModstamp > X" polling and lookups by
// external id; anything else (OR, functions, relationships, date literals like TODAY) is a
// MALFORMED_QUERY naming what is unsupported. Internal to src/sandbox/salesforce.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sandbox/salesforce/salesforce_schema.hpp"
#include "weft/result.hpp"

namespace weft::sandbox::salesforce {

struct Literal {
  enum class Kind { text, number, boolean, null, date, datetime } kind = Kind::null;
  std::string text;        // text, date (as written), datetime (as written)
  double number = 0;       // number; datetime as Unix ms
  bool boolean = false;
};

struct Condition {
  std::string field;  // canonical name
  std::string op;     // "=", "!=", "<", "<=", ">", ">=", "LIKE", "IN", "NOT IN"
  std::vector<Literal> values;  // one, or the IN list
};

struct OrderBy {
  std::string field;
  bool descending = false;
  bool nulls_last = false;
};

struct SoqlQuery {
  const SObjectSpec* object = nullptr;
  bool count_only = false;          // SELECT COUNT()
  std::vector<std::string> fields;  // canonical names, in SELECT order
  std::vector<Condition> where;     // all must hold
  std::vector<OrderBy> order_by;
  std::optional<std::size_t> limit, offset;
};

struct QueryError {
  std::string error_code;  // MALFORMED_QUERY, INVALID_FIELD, INVALID_TYPE
  std::string message;
};

Result<SoqlQuery, QueryError> parse_soql(std::string_view soql);

// The records (each a stored record: field name → value) the query selects, filtered,
// sorted, offset and limited.
std::vector<const Json*> run_soql(const SoqlQuery& query, const std::vector<const Json*>& records);

}  // namespace weft::sandbox::salesforce
