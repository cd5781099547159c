#pragma once
// hub.tls as the HTTP server takes it, and its files checked the way the server will load them:
// `weft check` and `weft serve` report a bad certificate or key at the line that names it,
// before anything listens.

#include <vector>

#include "config/config.hpp"
#include "http/tls.hpp"

namespace weft::hub {

http::TlsOptions tls_options(const config::TlsConfig& tls);

// Every problem with the files of hub.tls, as file:line errors; none without hub.tls.
std::vector<config::ConfigError> check_tls_files(const config::Config& config);

}  // namespace weft::hub
