#pragma once
// Builds the inbound side of every configured connector, by platform type.

#include "config/config.hpp"
#include "ingest/webhook_ingest.hpp"

namespace weft::connectors {

// Connectors whose platform type has no inbound implementation yet are left out (their
// webhooks get 404) and listed in `skipped`. Types that never receive webhooks (http) are
// left out too, logged, and not listed.
ingest::ConnectorMap make_inbound_connectors(const config::Config& config,
                                             std::vector<std::string>* skipped = nullptr);

}  // namespace weft::connectors
