#pragma once
// The period a reconciliation covers, as the API and `weft reconcile` take it: from and to as
// ISO-8601 times (2026-11-25T10:00:00Z) or Unix seconds; to defaults to now and from to 24 h
// before to. Billing invoices created in [from, to) are compared.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "weft/result.hpp"

namespace weft::reconcile {

inline constexpr std::int64_t kDefaultPeriodMs = 24LL * 3600 * 1000;
inline constexpr std::int64_t kMaxPeriodMs = 366LL * 24 * 3600 * 1000;

struct Period {
  std::int64_t from_ms = 0;
  std::int64_t to_ms = 0;
};

struct PeriodProblem {
  std::string field;  // "from" or "to"
  std::string message;
};

// Every problem at once (both fields unreadable, or from not before to).
Result<Period, std::vector<PeriodProblem>> parse_period(const std::optional<std::string>& from,
                                                        const std::optional<std::string>& to,
                                                        std::int64_t now_ms);

}  // namespace weft::reconcile
