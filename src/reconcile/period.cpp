#include "reconcile/period.hpp"

#include "core/time_format.hpp"

namespace weft::reconcile {

Result<Period, std::vector<PeriodProblem>> parse_period(const std::optional<std::string>& from,
                                                        const std::optional<std::string>& to,
                                                        std::int64_t now_ms) {
  std::vector<PeriodProblem> problems;
  const auto read = [&](const std::optional<std::string>& text, const char* field) {
    std::optional<std::int64_t> ms;
    if (text && !(ms = parse_operator_time_ms(*text))) {
      problems.push_back({field, "'" + *text + "' is not a time (" + kOperatorTimeFormats + ")"});
    }
    return ms;
  };
  const auto from_ms = read(from, "from");
  const auto to_ms = read(to, "to");
  if (!problems.empty()) return fail(std::move(problems));
  Period p;
  p.to_ms = to_ms.value_or(now_ms);
  p.from_ms = from_ms.value_or(p.to_ms - kDefaultPeriodMs);
  if (p.from_ms >= p.to_ms) {
    problems.push_back({"from", "must be before to (" + format_iso8601_ms(p.to_ms) + ")"});
  } else if (p.to_ms - p.from_ms > kMaxPeriodMs) {
    problems.push_back({"to", "the period may be at most 366 days; reconcile a long one in parts"});
  }
  if (!problems.empty()) return fail(std::move(problems));
  return p;
}

}  // namespace weft::reconcile
