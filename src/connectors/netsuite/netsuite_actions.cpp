#include "connectors/netsuite/netsuite_actions.hpp"

#include <algorithm>

#include "crypto/hmac.hpp"

namespace weft::connectors::netsuite {

namespace {

bool alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

constexpr std::size_t kMaxExternalId = 255;

}  // namespace

const std::vector<ActionSpec>& actions() {
  static const std::vector<ActionSpec> table{
      {"get_record", Operation::get, ""},
      {"upsert_record", Operation::upsert, ""},
      {"update_record", Operation::update, ""},
      {"suiteql", Operation::suiteql, ""},
      {"get_customer", Operation::get, "customer"},
      {"upsert_customer", Operation::upsert, "customer"},
      {"get_invoice", Operation::get, "invoice"},
      {"upsert_invoice", Operation::upsert, "invoice"},
      {"upsert_credit_memo", Operation::upsert, "creditMemo"},
      {"upsert_customer_payment", Operation::upsert, "customerPayment"},
      {"upsert_journal_entry", Operation::upsert, "journalEntry"},
      {"upsert_sales_order", Operation::upsert, "salesOrder"},
      {"upsert_customer_refund", Operation::upsert, "customerRefund"},
  };
  return table;
}

const ActionSpec* find_action(std::string_view name) {
  const auto& table = actions();
  const auto it = std::find_if(table.begin(), table.end(),
                               [name](const ActionSpec& a) { return a.name == name; });
  return it == table.end() ? nullptr : &*it;
}

const std::vector<std::string>& action_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const auto& a : actions()) out.emplace_back(a.name);
    return out;
  }();
  return names;
}

std::string derived_external_id(std::string_view idempotency_key) {
  return "weft-" + crypto::to_hex(crypto::sha256(idempotency_key)).substr(0, 32);
}

std::optional<std::string> check_external_id(std::string_view field, std::string_view value) {
  const bool ok = !value.empty() && value.size() <= kMaxExternalId &&
                  std::all_of(value.begin(), value.end(),
                              [](char c) { return alnum(c) || c == '_' || c == '-'; });
  if (ok) return std::nullopt;
  return std::string(field) +
         " must be 1 to 255 letters, digits, '_' or '-' (NetSuite's rule for external ids)";
}

std::optional<std::string> check_internal_id(std::string_view field, std::string_view value) {
  const bool ok = !value.empty() && value.size() <= 20 &&
                  std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (ok) return std::nullopt;
  return std::string(field) +
         " must be a NetSuite internal id (digits); use external_id for an external id";
}

std::optional<std::string> check_record_type(std::string_view field, std::string_view value) {
  const bool ok = !value.empty() && value.size() <= 100 &&
                  std::all_of(value.begin(), value.end(), [](char c) { return alnum(c) || c == '_'; });
  if (ok) return std::nullopt;
  return std::string(field) +
         " must be a REST record type name such as customer or salesOrder (letters, digits, '_')";
}

}  // namespace weft::connectors::netsuite
