#include "hub/hub_tls.hpp"

namespace weft::hub {

http::TlsOptions tls_options(const config::TlsConfig& tls) {
  http::TlsOptions out;
  out.cert_file = tls.cert_file;
  out.key_file = tls.key_file;
  out.client_ca_file = tls.client_ca_file;
  out.min_version = tls.min_version == "1.3" ? http::TlsVersion::v1_3 : http::TlsVersion::v1_2;
  return out;
}

std::vector<config::ConfigError> check_tls_files(const config::Config& config) {
  if (!config.hub.tls) return {};
  const config::TlsConfig& tls = *config.hub.tls;
  auto checked = http::check_tls(tls_options(tls));
  if (checked) return {};
  const http::TlsProblem& problem = checked.error();
  int line = tls.where.line;
  if (problem.option == "cert_file") line = tls.cert_file_line;
  if (problem.option == "key_file") line = tls.key_file_line;
  if (problem.option == "client_ca_file") line = tls.client_ca_file_line;
  return {config::ConfigError{config::Location{config.path, line}, "hub.tls." + problem.option + ": " + problem.message}};
}

}  // namespace weft::hub
