#pragma once
// The Stripe emulator (/v1): Stripe's authentication (Bearer or Basic with the secret key;
// anything else gets Stripe's 401 with the key masked), form-encoded bodies in bracket
// notation, Stripe-Version, idempotency (a repeated Idempotency-Key with the same
// parameters replays the saved answer with Idempotent-Replayed: true; with other parameters
// or another endpoint it is a 400 idempotency_error; keys are kept 24 hours, per API key),
// Stripe's error envelope and pagination. The resources are in stripe_api.hpp. Every change
// becomes an Event (GET /v1/events) and a webhook signed with STRIPE_WEBHOOK_SECRET.
//
// Sandbox helpers (Stripe has no API for them), JSON bodies:
//   POST /_sandbox/stripe/disputes             {"charge"|"payment_intent"|"invoice": id, "amount"?, "reason"?}
//   POST /_sandbox/stripe/disputes/{id}/close  {"status": "won"|"lost"}
//   POST /_sandbox/stripe/declines             {"decline": true|false}: cards decline from now on, or no more
//
// Threads: handle() from any thread; one lock guards the whole state.

#include <map>
#include <mutex>
#include <string>

#include "sandbox/platform_emulator.hpp"
#include "sandbox/stripe/stripe_api.hpp"
#include "sandbox/stripe/stripe_store.hpp"

namespace weft::sandbox::stripe {

class StripeEmulator final : public PlatformEmulator {
 public:
  static constexpr const char* kDefaultApiVersion = "2024-06-20";

  explicit StripeEmulator(const EmulatorContext& context, std::string api_version = kDefaultApiVersion);

  const std::string& platform() const override { return platform_; }
  std::vector<std::string> path_prefixes() const override { return {"/v1"}; }
  http::Response handle(const http::Request& request) override;
  http::Response fault_response(int status) const override;
  nlohmann::json state() const override;
  Result<void, std::string> restore(const nlohmann::json& state) override;
  void reset() override;
  http::Response handle_admin(const http::Request& request, std::string_view subpath) override;

 private:
  struct Saved {
    std::string method, path;
    nlohmann::json params;
    int status = 0;
    std::string body;
    std::string request_id;
    std::int64_t created = 0;
  };
  http::Response respond(const Reply& reply, const std::string& request_id, const std::string& version) const;
  std::string new_request_id();
  void prune_idempotency(std::int64_t now);
  nlohmann::json idempotency_json() const;

  std::string platform_ = "stripe";
  Credentials credentials_;
  ClockPtr clock_;
  std::string api_version_;
  std::string key_scope_;  // a digest of the API key: idempotency keys are per key
  mutable std::mutex mutex_;
  Store store_;
  Api api_;
  std::map<std::string, Saved> idempotency_;  // scope + "\n" + key
};

// "sk_test_****abcd": what Stripe shows of a wrong key in its 401 message.
std::string mask_api_key(std::string_view key);

}  // namespace weft::sandbox::stripe
