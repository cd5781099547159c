#pragma once
// The SuiteQL subset the NetSuite emulator answers:
//   SELECT * | <col>[, <col>…] FROM <table>
//     [WHERE <col> <op> <literal> [AND …]]   op: = != <> < <= > >= LIKE, IS [NOT] NULL
//     [ORDER BY <col> [ASC|DESC], …]
// Tables: the record types in lower case (customer, invoice, salesorder, …) and
// `transaction` (every transaction, with a `type` column: CustInvc, SalesOrd, …). Literals:
// 'text' ('' escapes a quote) and numbers. Values compare as numbers when both sides are
// numbers, as times when both are dates or datetimes (so lastmodifieddate > '2024-05-01
// 10:00:00' works), else as text. Enough for "customers modified after X" and lookups by
// externalid or email; anything else is an error naming what is unsupported. Rows are JSON
// objects with lower-case keys. Invoices also have the columns NetSuite computes for
// receivables: `foreignamountunpaid` (the total less the payment and credit memo `apply`
// lines) and `duedate` (the transaction date when none was set); every transaction has
// `foreigntotal` (an invoice's total, a customer payment's amount). Internal to
// src/sandbox/netsuite.
//
// Two functions, in the one format NetSuite's date-time text takes independently of the
// user's date preference (what Weft's backfill poller sends, src/pollers/):
//   SELECT TO_CHAR(<col>, 'YYYY-MM-DD HH24:MI:SS') [AS] <alias>
//   WHERE <col> <op> TO_TIMESTAMP('2024-05-01 10:00:00', 'YYYY-MM-DD HH24:MI:SS')
// and a date in the one format that does not depend on the user's preference either (what
// reconciliation sends for trandate, src/reconcile/):
//   WHERE <col> <op> TO_DATE('2024-05-01', 'YYYY-MM-DD')

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sandbox/netsuite/netsuite_emulator.hpp"
#include "weft/result.hpp"

namespace weft::sandbox::netsuite {

struct SqlCondition {
  std::string column;
  std::string op;  // "=", "!=", "<", "<=", ">", ">=", "LIKE", "IS NULL", "IS NOT NULL"
  Json value;      // string or number; null for IS [NOT] NULL
};

struct SqlOrder {
  std::string column;
  bool descending = false;
};

struct SuiteQlQuery {
  std::string table;                 // lower case
  std::vector<std::string> columns;  // empty for *; output names (aliases for TO_CHAR)
  std::map<std::string, std::string> formatted;  // TO_CHAR alias → its source column
  std::vector<SqlCondition> where;
  std::vector<SqlOrder> order_by;
};

Result<SuiteQlQuery, std::string> parse_suiteql(std::string_view sql);

// A stored date-time ("2024-05-01T10:00:00Z") as TO_CHAR(…, 'YYYY-MM-DD HH24:MI:SS') writes
// it ("2024-05-01 10:00:00"); nullopt when it is not one.
std::optional<std::string> to_char_datetime(const Json& value);

// The rows that satisfy the query, in its order (input order when it has no ORDER BY).
std::vector<const Json*> run_suiteql(const SuiteQlQuery& query, const std::vector<Json>& rows);

}  // namespace weft::sandbox::netsuite
