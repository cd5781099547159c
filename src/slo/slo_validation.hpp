#pragma once
// Checks the config's slos: against the workflows that are loaded — each names a workflow
// there, and an SLA objective one of that workflow's slas: — so `weft check` and `weft serve`
// refuse an SLO that could never have an outcome, at the line to edit.

#include <vector>

#include "config/config.hpp"
#include "engine/workflow_catalog.hpp"

namespace weft::slo {

// Every problem, empty when all SLOs are sound.
std::vector<config::ConfigError> validate_slos(const std::vector<config::SloConfig>& slos,
                                               const engine::WorkflowCatalog& catalog);

}  // namespace weft::slo
