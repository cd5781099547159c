#include "slo/slo_validation.hpp"

#include <string>
#include <string_view>

#include "core/suggestion.hpp"

namespace weft::slo {

std::vector<config::ConfigError> validate_slos(const std::vector<config::SloConfig>& slos,
                                               const engine::WorkflowCatalog& catalog) {
  std::vector<config::ConfigError> errors;
  std::vector<std::string_view> workflows;
  for (const auto* def : catalog.latest_all()) workflows.emplace_back(def->name);
  for (const config::SloConfig& slo : slos) {
    const std::string what = "SLO '" + slo.name + "': ";
    const engine::WorkflowDefinition* def = catalog.latest(slo.workflow);
    if (def == nullptr) {
      std::string message =
          what + "no workflow named '" + slo.workflow + "'" + did_you_mean(slo.workflow, workflows);
      if (workflows.empty()) message += " (no workflows are loaded: is workflows_dir set?)";
      errors.push_back({slo.workflow_where, std::move(message)});
      continue;
    }
    if (slo.backlog()) continue;
    std::vector<std::string_view> slas;
    for (const auto& sla : def->slas) slas.emplace_back(sla.name);
    bool found = false;
    for (const auto& name : slas) found = found || name == slo.sla;
    if (!found) {
      std::string message =
          what + "workflow '" + slo.workflow + "' has no SLA named '" + slo.sla + "'";
      const std::string hint = did_you_mean(slo.sla, slas);
      if (!hint.empty()) {
        message += hint;
      } else if (slas.empty()) {
        message += " (it has no slas:)";
      } else {
        std::string names;
        for (const auto& name : slas) names += (names.empty() ? "" : ", ") + std::string(name);
        message += " (its SLAs: " + names + ")";
      }
      errors.push_back({slo.sla_where, std::move(message)});
    }
  }
  return errors;
}

}  // namespace weft::slo
