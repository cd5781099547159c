#pragma once
// The JSON body of an SLO alert (docs: "SLO alerts"), with the business context an operator
// needs to act without opening a log: for an SLA objective, the instances that breached in the
// window (business key, customer, amount where the instance knows them, links to /v1); for a
// backlog, the open exceptions. Pure: the monitor reads what goes in.

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "slo/slo_status.hpp"
#include "weft/workflow_store.hpp"

namespace weft::slo {

// One breaching instance, as the alert tells it.
struct BreachContext {
  SlaOutcomeRecord outcome;
  std::optional<InstanceRecord> instance;  // none when it could not be read
};

// What an instance's state says about its business, where it says it: customer, amount,
// currency, invoice, ticket (the first of a few well-known places each; see the .cpp).
nlohmann::json business_context(const InstanceRecord& instance);

// kind: "breached" (also a repeat while it stays breached) or "resolved".
nlohmann::json alert_body(const std::string& id, const std::string& kind, const SloStatus& status,
                          const std::vector<BreachContext>& breaches,
                          const std::vector<ExceptionRecord>& exceptions);

// A deterministic alert id: the same SLO, kind and moment give the same id (a repeated save
// after a crash queues nothing twice).
std::string alert_id(const std::string& slo, const std::string& kind, std::int64_t at_ms);

}  // namespace weft::slo
