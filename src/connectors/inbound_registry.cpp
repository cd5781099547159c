#include "connectors/inbound_registry.hpp"

#include "connectors/netsuite/netsuite_webhook.hpp"
#include "connectors/salesforce/salesforce_webhook.hpp"
#include "connectors/stripe/stripe_webhook.hpp"
#include "connectors/zendesk/zendesk_webhook.hpp"
#include "weft/log.hpp"

namespace weft::connectors {

ingest::ConnectorMap make_inbound_connectors(const config::Config& config,
                                             std::vector<std::string>* skipped) {
  ingest::ConnectorMap out;
  for (const auto& [name, c] : config.connectors) {
    const std::chrono::seconds tolerance(c.signature_tolerance_seconds);
    if (c.type == "stripe") {
      out.emplace(name, std::make_unique<stripe::InboundConnector>(name, c.webhook_secret.reveal(),
                                                                   tolerance));
    } else if (c.type == "zendesk") {
      out.emplace(name, std::make_unique<zendesk::InboundConnector>(name, c.webhook_secret.reveal(),
                                                                    tolerance));
    } else if (c.type == "netsuite") {
      out.emplace(name, std::make_unique<netsuite::InboundConnector>(
                            name, c.webhook_secret.reveal(), tolerance));
    } else if (c.type == "salesforce") {
      out.emplace(name, std::make_unique<salesforce::InboundConnector>(
                            name, c.webhook_secret.reveal(), tolerance));
    } else if (c.type == "http") {
      // Outbound only by design (config refuses a webhook_secret for it): not "skipped", which
      // means "not implemented yet", and its /hooks/NAME answers 404 like any unknown name.
      log::info("connector.outbound_only", {{"connector", name}, {"type", c.type}});
    } else if (skipped != nullptr) {
      skipped->push_back(name);
    }
  }
  return out;
}

}  // namespace weft::connectors
