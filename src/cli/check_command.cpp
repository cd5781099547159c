#include <filesystem>
#include <iostream>

#include "canonical/event_schemas.hpp"
#include "cli/commands.hpp"
#include "config/config.hpp"
#include "engine/workflow_catalog.hpp"
#include "hub/hub_tls.hpp"
#include "mapping/mapping_set.hpp"
#include "slo/slo_validation.hpp"

namespace weft::cli {

// Validates the config, then the mappings and workflows it names; prints every problem as
// file:line: message.
int run_check(const CheckOptions& options) {
  auto loaded = config::load(options.config_path);
  if (!loaded) {
    for (const auto& error : loaded.error()) std::cerr << error.to_string() << '\n';
    std::cerr << loaded.error().size() << (loaded.error().size() == 1 ? " error" : " errors")
              << " in " << options.config_path << '\n';
    return 1;
  }
  std::vector<config::ConfigError> errors = hub::check_tls_files(*loaded);
  std::size_t mappings = 0, workflows = 0, schemas = 0;
  // The schemas load even without a schemas_dir: the built-in ones must compile too.
  auto event_schemas = canonical::EventSchemas::load(loaded->schemas_dir);
  if (event_schemas) schemas = event_schemas->event_types().size();
  else errors.insert(errors.end(), event_schemas.error().begin(), event_schemas.error().end());
  if (loaded->mappings_dir) {
    auto set = mapping::MappingSet::load_dir(*loaded->mappings_dir);
    if (set) mappings = set->size();
    else errors.insert(errors.end(), set.error().begin(), set.error().end());
  }
  if (loaded->workflows_dir) {
    auto catalog = engine::WorkflowCatalog::load(*loaded->workflows_dir, engine::validation_options(*loaded));
    if (catalog) {
      workflows = catalog->size();
      auto problems = slo::validate_slos(loaded->slos, *catalog);
      errors.insert(errors.end(), problems.begin(), problems.end());
    } else {
      errors.insert(errors.end(), catalog.error().begin(), catalog.error().end());
    }
  } else if (!loaded->slos.empty()) {
    // Without workflows every SLO names an unknown one: say so at each.
    auto problems = slo::validate_slos(loaded->slos, engine::WorkflowCatalog());
    errors.insert(errors.end(), problems.begin(), problems.end());
  }
  if (!errors.empty()) {
    for (const auto& error : errors) std::cerr << error.to_string() << '\n';
    std::cerr << errors.size() << (errors.size() == 1 ? " error" : " errors") << '\n';
    return 1;
  }
  std::cout << options.config_path << ": ok (" << loaded->connectors.size() << " connectors, " << mappings
            << " mappings, " << schemas << " event schemas, " << workflows << " workflows, " << loaded->slos.size()
            << " SLOs)\n";
  return 0;
}

}  // namespace weft::cli
