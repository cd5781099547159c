#pragma once
// Amounts for reconciliation, compared exactly: as whole minor units (cents, yen, fils) in
// 64-bit integers, never as doubles. Billing (Stripe) counts minor units already; the ERP
// (NetSuite) answers major units as JSON numbers or decimal text, which are read digit by
// digit here. Internal to src/reconcile.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace weft::reconcile {

// A decimal amount in major units ("12.34", 12.34, "-0.5", 1200) as minor units of a currency
// with `per_major` minor units per major (1, 100, 1000). Digits beyond the currency's
// precision are rounded half away from zero (an ERP that stores 10.005 USD holds 10.01).
// nullopt for anything that is not a finite decimal number, or that overflows.
std::optional<std::int64_t> to_minor(const nlohmann::json& major, std::int64_t per_major);
std::optional<std::int64_t> decimal_to_minor(std::string_view major, std::int64_t per_major);

// Minor units as a major-unit decimal with the currency's digits: 1234 per 100 → "12.34",
// 1200 per 1 → "1200", 1234 per 1000 → "1.234", -5 per 100 → "-0.05".
std::string to_major(std::int64_t minor, std::int64_t per_major);

}  // namespace weft::reconcile
