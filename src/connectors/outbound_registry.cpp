#include "connectors/outbound_registry.hpp"

#include "connectors/http/http_connector.hpp"
#include "connectors/netsuite/netsuite_connector.hpp"
#include "connectors/salesforce/salesforce_connector.hpp"
#include "connectors/stripe/stripe_connector.hpp"
#include "connectors/zendesk/zendesk_connector.hpp"

namespace weft::connectors {

OutboundConnectorMap make_outbound_connectors(const config::Config& config, const ClockPtr& clock,
                                              std::vector<std::string>* skipped) {
  OutboundConnectorMap out;
  for (const auto& [name, c] : config.connectors) {
    if (c.type == "http") {
      out.emplace(name, std::make_unique<http_api::HttpConnector>(c, clock));
    } else if (c.type == "stripe") {
      out.emplace(name, std::make_unique<stripe::StripeConnector>(c, clock));
    } else if (c.type == "zendesk") {
      out.emplace(name, std::make_unique<zendesk::ZendeskConnector>(c, clock));
    } else if (c.type == "salesforce") {
      out.emplace(name, std::make_unique<salesforce::SalesforceConnector>(c, clock));
    } else if (c.type == "netsuite") {
      out.emplace(name, std::make_unique<netsuite::NetSuiteConnector>(c, clock));
    } else if (skipped != nullptr) {
      skipped->push_back(name);
    }
  }
  return out;
}

}  // namespace weft::connectors
