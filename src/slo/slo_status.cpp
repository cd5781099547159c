#include "slo/slo_status.hpp"

namespace weft::slo {

SloStatus sla_status(const config::SloConfig& slo, const SlaOutcomeCounts& counts,
                     std::int64_t now_ms) {
  SloStatus s;
  s.name = slo.name;
  s.kind = "sla";
  s.workflow = slo.workflow;
  s.sla = slo.sla;
  s.objective = slo.objective;
  s.window_ms = slo.window_ms;
  s.met = counts.met;
  s.breached = counts.breached;
  s.evaluated_at_ms = now_ms;
  const std::int64_t total = counts.met + counts.breached;
  if (total > 0) {
    s.ratio = static_cast<double>(counts.met) / static_cast<double>(total);
    const double missed = static_cast<double>(counts.breached) / static_cast<double>(total);
    s.error_budget_remaining = 1.0 - missed / (1.0 - slo.objective);
  }
  s.is_breached = s.ratio < slo.objective;
  return s;
}

SloStatus backlog_status(const config::SloConfig& slo, std::int64_t open, std::int64_t now_ms) {
  SloStatus s;
  s.name = slo.name;
  s.kind = "exceptions";
  s.workflow = slo.workflow;
  s.max_open = slo.max_open.value_or(0);
  s.open_exceptions = open;
  s.evaluated_at_ms = now_ms;
  if (s.max_open > 0) {
    s.error_budget_remaining = 1.0 - static_cast<double>(open) / static_cast<double>(s.max_open);
  } else {
    s.error_budget_remaining = open == 0 ? 1.0 : -static_cast<double>(open);
  }
  s.is_breached = open > s.max_open;
  return s;
}

}  // namespace weft::slo
