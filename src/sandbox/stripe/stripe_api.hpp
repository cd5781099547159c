#pragma once
// The Stripe resources the sandbox emulates, behind authentication and idempotency (which
// StripeEmulator does): customers (+ balance transactions, search), products, prices,
// invoice items, invoices (draft → open → paid | void | uncollectible), credit notes (pre-
// and post-payment), charges and payment intents (made by paying invoices), refunds,
// subscriptions and their items, disputes (opened by a sandbox helper: Stripe has no API to
// open one) and events. Every change records an Event and posts it as a webhook.
//
// Simplifications (docs/sandbox.md): no taxes, discounts or prorations; every payment
// succeeds unless a sandbox helper says cards decline; one currency per customer.
//
// Threads: not thread-safe; StripeEmulator holds its lock around every call.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sandbox/platform_emulator.hpp"
#include "sandbox/stripe/stripe_params.hpp"
#include "sandbox/stripe/stripe_reply.hpp"
#include "sandbox/stripe/stripe_store.hpp"
#include "weft/clock.hpp"

namespace weft::sandbox::stripe {

// A field of an object, or null when the object has no such field (never throws).
const nlohmann::json& field(const nlohmann::json& object, std::string_view name);

// About the request being served, for the events it causes.
struct RequestContext {
  std::string request_id;       // req_…
  std::string idempotency_key;  // empty: none
  bool livemode = false;
};

class Api {
 public:
  Api(Store& store, ClockPtr clock, WebhookOutbox& outbox, std::string webhook_secret, std::string api_version);

  // One authenticated /v1 request. `segments`: the path after /v1, split on '/' and
  // percent-decoded; `params`: the decoded parameters.
  Reply route(const std::string& method, const std::vector<std::string>& segments, const nlohmann::json& params,
              const RequestContext& context);

  // The sandbox helpers (POST /_sandbox/stripe/disputes, …/disputes/{id}/close): JSON bodies.
  Reply open_dispute(const nlohmann::json& body, const RequestContext& context);
  Reply close_dispute(const std::string& id, const nlohmann::json& body, const RequestContext& context);
  // POST /_sandbox/stripe/declines {"decline": true|false}: from now on every automatic
  // charge is declined (card_declined), as a customer's failing card would be, or succeeds
  // again. Not part of the saved state; a reset ends it.
  Reply set_declines(const nlohmann::json& body);
  void stop_declines() { declining_ = false; }

 private:
  // Customers and their balance (stripe_customers.cpp).
  Reply create_customer(Params& p);
  Reply update_customer(const std::string& id, Params& p);
  Reply delete_customer(const std::string& id);
  Reply retrieve_customer(const std::string& id);
  Reply create_balance_transaction(const std::string& customer, Params& p);
  Reply update_balance_transaction(const std::string& customer, const std::string& id, Params& p);
  Reply retrieve_balance_transaction(const std::string& customer, const std::string& id);
  Reply list_balance_transactions(const std::string& customer, Params& p);
  // Products and prices (stripe_catalog.cpp).
  Reply create_product(Params& p);
  Reply update_product(const std::string& id, Params& p);
  Reply create_price(Params& p);
  Reply update_price(const std::string& id, Params& p);
  // Invoice items and invoices (stripe_invoices.cpp).
  Reply create_invoiceitem(Params& p);
  Reply update_invoiceitem(const std::string& id, Params& p);
  Reply delete_invoiceitem(const std::string& id);
  Reply create_invoice(Params& p);
  Reply update_invoice(const std::string& id, Params& p);
  Reply delete_invoice(const std::string& id);
  Reply add_invoice_lines(const std::string& id, Params& p);
  Reply finalize_invoice(const std::string& id, Params& p);
  Reply pay_invoice(const std::string& id, Params& p);
  Reply void_invoice(const std::string& id);
  Reply mark_uncollectible(const std::string& id);
  Reply send_invoice(const std::string& id);
  Reply list_invoice_lines(const std::string& id, Params& p);
  // Credit notes (stripe_credit_notes.cpp).
  Reply create_credit_note(Params& p);
  Reply update_credit_note(const std::string& id, Params& p);
  Reply void_credit_note(const std::string& id);
  Reply list_credit_note_lines(const std::string& id, Params& p);
  // Refunds and disputes (stripe_payments.cpp).
  Reply create_refund(Params& p);
  Reply update_metadata(const std::string& collection, const std::string& noun, const std::string& id, Params& p,
                        const char* event_type);
  Reply update_dispute(const std::string& id, Params& p);
  Reply close_dispute_api(const std::string& id);
  // Subscriptions (stripe_subscriptions.cpp).
  Reply create_subscription(Params& p);
  Reply update_subscription(const std::string& id, Params& p);
  Reply cancel_subscription(const std::string& id, Params& p);
  Reply retrieve_subscription_item(const std::string& id);
  Reply update_subscription_item(const std::string& id, Params& p);
  Reply create_subscription_item(Params& p);
  Reply delete_subscription_item(const std::string& id);
  Reply list_subscription_items(Params& p);
  // Events (stripe_events.cpp).
  Reply list_events(Params& p);

  // Shared helpers (stripe_api.cpp).
  Reply retrieve(const std::string& collection, const std::string& noun, const std::string& id);
  Reply list(const std::string& collection, const std::string& noun, const std::string& url, Params& p,
             std::initializer_list<std::string_view> filters);
  Result<void, Reply> expand(nlohmann::json& object, const std::vector<std::string>& paths) const;
  Result<void, Reply> expand_path(nlohmann::json& value, std::string_view path, std::string_view full,
                                  int depth) const;
  nlohmann::json* live_customer(const std::string& id);
  nlohmann::json* find(const std::string& collection, const std::string& id);
  std::int64_t now() const;
  std::string new_id(std::string_view prefix) { return store_.new_id(prefix); }
  void save(const std::string& collection, const nlohmann::json& object) { store_.get(collection).put(object); }
  // Records the event and posts it as a webhook. `previous` only on *.updated.
  void emit(const std::string& type, const nlohmann::json& object, const nlohmann::json& previous = nullptr);
  // previous_attributes: the old values of the keys whose values differ.
  static nlohmann::json changed_fields(const nlohmann::json& before, const nlohmann::json& after);

  // Invoice internals shared by invoices, credit notes and subscriptions.
  void recompute_invoice(nlohmann::json& invoice);
  nlohmann::json new_invoice(const nlohmann::json& customer, const std::string& currency);
  void attach_items(nlohmann::json& invoice);
  Result<void, Reply> finalize(nlohmann::json& invoice);
  void mark_paid(nlohmann::json& invoice, bool out_of_band);
  nlohmann::json new_balance_transaction(nlohmann::json& customer, std::int64_t amount, const std::string& currency,
                                         const std::string& type);
  nlohmann::json new_refund(nlohmann::json& charge, std::int64_t amount, const nlohmann::json& reason,
                            const nlohmann::json& metadata);
  nlohmann::json line_for_item(const nlohmann::json& item);
  nlohmann::json subscription_item(const nlohmann::json& price, std::int64_t quantity, const std::string& subscription,
                                   const nlohmann::json& metadata);
  nlohmann::json invoice_subscription(nlohmann::json& subscription, const std::string& billing_reason);
  // What Stripe answers a charge the card declined: 402 card_error card_declined; the invoice
  // records the failed attempt (invoice.payment_failed).
  Reply decline(nlohmann::json& invoice);

  Store& store_;
  ClockPtr clock_;
  WebhookOutbox& outbox_;
  std::string webhook_secret_;
  std::string api_version_;
  RequestContext context_;
  bool declining_ = false;  // set_declines
};

}  // namespace weft::sandbox::stripe
