#pragma once
// Builds the outbound side of every configured connector, by platform type.

#include <map>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "connectors/outbound_connector.hpp"
#include "weft/clock.hpp"

namespace weft::connectors {

using OutboundConnectorMap = std::map<std::string, OutboundConnectorPtr, std::less<>>;

// Connectors whose platform type has no outbound implementation yet are left out (calls to
// them fail as validation, naming the type) and listed in `skipped`.
OutboundConnectorMap make_outbound_connectors(const config::Config& config, const ClockPtr& clock,
                                              std::vector<std::string>* skipped = nullptr);

}  // namespace weft::connectors
