#pragma once
// The sandbox NetSuite account's currencies: internal id → ISO 4217 code (lower case), in the
// order NetSuite itself numbers a new account's first currencies. Records refer to a currency
// by internal id ({"id": "1"}), as the REST API does; whoever compares them with another
// platform's amounts (the scenario's consistency check, the demo workflows' vars) reads this.

#include <string_view>

namespace weft::sandbox::netsuite {

struct SandboxCurrency {
  std::string_view id;
  std::string_view code;
};

inline constexpr SandboxCurrency kSandboxCurrencies[] = {
    {"1", "usd"}, {"2", "gbp"}, {"3", "cad"}, {"4", "eur"}, {"5", "jpy"}};

// The ISO code of a currency internal id; empty when the account has no such currency.
constexpr std::string_view sandbox_currency_code(std::string_view id) {
  for (const auto& c : kSandboxCurrencies) {
    if (c.id == id) return c.code;
  }
  return {};
}

}  // namespace weft::sandbox::netsuite
