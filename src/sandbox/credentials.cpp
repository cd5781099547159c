#include "sandbox/credentials.hpp"

#include <cstdlib>

namespace weft::sandbox {
namespace {

void override_from(const char* variable, std::string& value) {
  const char* set = std::getenv(variable);
  if (set != nullptr && *set != '\0') value = set;
}

}  // namespace

Credentials Credentials::from_environment() {
  Credentials c;
  override_from("STRIPE_API_KEY", c.stripe_api_key);
  override_from("STRIPE_WEBHOOK_SECRET", c.stripe_webhook_secret);
  override_from("ZENDESK_EMAIL", c.zendesk_email);
  override_from("ZENDESK_API_TOKEN", c.zendesk_api_token);
  override_from("ZENDESK_WEBHOOK_SECRET", c.zendesk_webhook_secret);
  override_from("NETSUITE_ACCOUNT_ID", c.netsuite_account_id);
  override_from("NETSUITE_CONSUMER_KEY", c.netsuite_consumer_key);
  override_from("NETSUITE_CONSUMER_SECRET", c.netsuite_consumer_secret);
  override_from("NETSUITE_TOKEN_ID", c.netsuite_token_id);
  override_from("NETSUITE_TOKEN_SECRET", c.netsuite_token_secret);
  override_from("NETSUITE_WEBHOOK_SECRET", c.netsuite_webhook_secret);
  override_from("SALESFORCE_CLIENT_ID", c.salesforce_client_id);
  override_from("SALESFORCE_CLIENT_SECRET", c.salesforce_client_secret);
  override_from("SALESFORCE_WEBHOOK_SECRET", c.salesforce_webhook_secret);
  return c;
}

}  // namespace weft::sandbox
