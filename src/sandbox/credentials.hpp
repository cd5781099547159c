#pragma once
// The credentials the sandbox accepts: exactly those the demo config reads from the
// environment, with the same documented defaults (examples/demo.yaml, docs/configuration.md),
// and nothing else. The webhook secrets sign what the sandbox sends.

#include <string>

namespace weft::sandbox {

struct Credentials {
  std::string stripe_api_key = "sk_test_weft_demo";
  std::string stripe_webhook_secret = "whsec_weft_demo";
  std::string zendesk_email = "demo@weft.example";
  std::string zendesk_api_token = "zd_demo_token";
  std::string zendesk_webhook_secret = "zd_demo_webhook_secret";
  std::string netsuite_account_id = "1234567_SB1";
  std::string netsuite_consumer_key = "ns_demo_consumer_key";
  std::string netsuite_consumer_secret = "ns_demo_consumer_secret";
  std::string netsuite_token_id = "ns_demo_token_id";
  std::string netsuite_token_secret = "ns_demo_token_secret";
  std::string netsuite_webhook_secret = "ns_demo_webhook_secret";
  std::string salesforce_client_id = "sf_demo_client_id";
  std::string salesforce_client_secret = "sf_demo_client_secret";
  std::string salesforce_webhook_secret = "sf_demo_webhook_secret";

  // The defaults above, each replaced by its environment variable (STRIPE_API_KEY, …) when
  // that is set and not empty — the same rule as ${VAR:-default} in the config.
  static Credentials from_environment();
};

}  // namespace weft::sandbox
