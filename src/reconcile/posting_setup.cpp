#include "reconcile/posting_setup.hpp"

#include <nlohmann/json.hpp>

namespace weft::reconcile {

std::int64_t PostingSetup::per_major(std::string_view currency) const {
  const auto it = minor_units.find(currency);
  return it == minor_units.end() ? 100 : it->second;
}

std::optional<std::string> PostingSetup::currency_of(std::string_view erp_currency_id) const {
  for (const auto& [code, id] : erp_currency_ids) {
    if (id == erp_currency_id) return code;
  }
  return std::nullopt;
}

Result<PostingSetup, std::string> posting_setup(const engine::WorkflowCatalog& catalog,
                                                std::string_view workflow) {
  const engine::WorkflowDefinition* definition = catalog.latest(workflow);
  if (definition == nullptr) {
    return fail("the " + std::string(workflow) +
                " workflow is not loaded (workflows_dir of the config): reconciliation reads "
                "its connectors and currency map");
  }
  PostingSetup setup;
  setup.workflow = std::string(workflow);
  engine::for_each_step(definition->steps, [&](const engine::Step& step) {
    const auto* call = step.as<engine::CallStep>();
    if (call == nullptr) return;
    if (call->call.action == "get_invoice") setup.billing_connector = call->call.connector;
    if (call->call.action == "upsert_invoice") setup.erp_connector = call->call.connector;
  });
  const auto vars = nlohmann::json::parse(definition->vars_json, nullptr, false);
  const auto ids = vars.is_object() ? vars.find("netsuite_currency_ids") : vars.end();
  if (!vars.is_object() || ids == vars.end() || !ids->is_object()) {
    return fail("the " + std::string(workflow) +
                " workflow has no vars.netsuite_currency_ids (currency code → ERP currency id)");
  }
  for (const auto& [code, id] : ids->items()) {
    if (id.is_string())
      setup.erp_currency_ids.emplace(code, id.get<std::string>());
    else if (id.is_number_integer())
      setup.erp_currency_ids.emplace(code, id.dump());
  }
  if (const auto units = vars.find("minor_units_per_major");
      units != vars.end() && units->is_object()) {
    for (const auto& [code, per] : units->items()) {
      if (per.is_number_integer() && per.get<std::int64_t>() > 0) {
        setup.minor_units.emplace(code, per.get<std::int64_t>());
      }
    }
  }
  return setup;
}

}  // namespace weft::reconcile
