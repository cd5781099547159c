#include "sandbox/stripe/stripe_objects.hpp"

#include <string>

namespace weft::sandbox::stripe {
using nlohmann::json;

namespace {

constexpr const char* kAddress =
    R"({"city": null, "country": null, "line1": null, "line2": null, "postal_code": null, "state": null})";

}  // namespace

json list_of(const json& data, const char* url, bool has_more) {
  return json{{"object", "list"}, {"data", data}, {"has_more", has_more}, {"url", url}};
}

json customer_template() {
  static const std::string text = std::string(R"({
    "id": null, "object": "customer", "address": )") + kAddress + R"(, "balance": 0, "created": 0,
    "currency": null, "default_source": null, "delinquent": false, "description": null, "discount": null,
    "email": null, "invoice_prefix": null,
    "invoice_settings": {"custom_fields": null, "default_payment_method": null, "footer": null,
                         "rendering_options": null},
    "livemode": false, "metadata": {}, "name": null, "next_invoice_sequence": 1, "phone": null,
    "preferred_locales": [], "shipping": null, "tax_exempt": "none", "test_clock": null})";
  static const json kTemplate = json::parse(text.c_str());
  return kTemplate;
}

json product_template() {
  static const json kTemplate = json::parse(R"({
    "id": null, "object": "product", "active": true, "created": 0, "default_price": null,
    "description": null, "images": [], "livemode": false, "marketing_features": [], "metadata": {},
    "name": null, "package_dimensions": null, "shippable": null, "statement_descriptor": null,
    "tax_code": null, "type": "service", "unit_label": null, "updated": 0, "url": null})");
  return kTemplate;
}

json price_template() {
  static const json kTemplate = json::parse(R"({
    "id": null, "object": "price", "active": true, "billing_scheme": "per_unit", "created": 0,
    "currency": "usd", "custom_unit_amount": null, "livemode": false, "lookup_key": null,
    "metadata": {}, "nickname": null, "product": null, "recurring": null,
    "tax_behavior": "unspecified", "tiers_mode": null, "transform_quantity": null,
    "type": "one_time", "unit_amount": null, "unit_amount_decimal": null})");
  return kTemplate;
}

json invoiceitem_template() {
  static const json kTemplate = json::parse(R"({
    "id": null, "object": "invoiceitem", "amount": 0, "currency": "usd", "customer": null, "date": 0,
    "description": null, "discountable": true, "discounts": [], "invoice": null, "livemode": false,
    "metadata": {}, "period": {"end": 0, "start": 0}, "proration": false, "quantity": 1,
    "tax_rates": [], "test_clock": null, "parent": null,
    "pricing": {"price_details": null, "type": "price_details", "unit_amount_decimal": null},
    "net_amount": 0, "customer_account": null, "quantity_decimal": "1"})");
  return kTemplate;
}

json invoice_template() {
  static const std::string text = std::string(R"({
    "id": null, "object": "invoice", "account_country": "US", "account_name": "Weft Sandbox",
    "account_tax_ids": null, "amount_due": 0, "amount_paid": 0, "amount_remaining": 0,
    "amount_shipping": 0, "amount_overpaid": 0, "application": null, "attempt_count": 0,
    "attempted": false, "auto_advance": false,
    "automatic_tax": {"enabled": false, "liability": null, "status": null, "disabled_reason": null,
                      "provider": null},
    "automatically_finalizes_at": null, "billing_reason": "manual",
    "collection_method": "charge_automatically", "created": 0, "currency": "usd",
    "custom_fields": null, "customer": null, "customer_account": null, "customer_address": null,
    "customer_email": null, "customer_name": null, "customer_phone": null, "customer_shipping": null,
    "customer_tax_exempt": "none", "customer_tax_ids": [], "default_payment_method": null,
    "default_source": null, "default_tax_rates": [], "description": null, "discounts": [],
    "due_date": null, "effective_at": null, "ending_balance": null, "footer": null,
    "from_invoice": null, "hosted_invoice_url": null, "invoice_pdf": null,
    "issuer": {"type": "self"}, "last_finalization_error": null, "latest_revision": null,
    "lines": {"object": "list", "data": [], "has_more": false, "url": null},
    "livemode": false, "metadata": {}, "next_payment_attempt": null, "number": null,
    "on_behalf_of": null, "parent": null,
    "payment_settings": {"default_mandate": null, "payment_method_options": null,
                         "payment_method_types": null},
    "period_end": 0, "period_start": 0, "post_payment_credit_notes_amount": 0,
    "pre_payment_credit_notes_amount": 0, "receipt_number": null,
    "rendering": {"amount_tax_display": null, "pdf": {"page_size": "auto"}, "template": null,
                  "template_version": null},
    "shipping_cost": null, "shipping_details": null, "starting_balance": 0,
    "statement_descriptor": null, "status": "draft",
    "status_transitions": {"finalized_at": null, "marked_uncollectible_at": null, "paid_at": null,
                           "voided_at": null},
    "subscription": null, "subtotal": 0, "subtotal_excluding_tax": 0, "test_clock": null,
    "total": 0, "total_discount_amounts": [], "total_excluding_tax": 0,
    "total_pretax_credit_amounts": [], "total_taxes": [], "webhooks_delivered_at": null,
    "charge": null, "payment_intent": null, "paid": false, "paid_out_of_band": false})");
  static const json kTemplate = json::parse(text.c_str());
  return kTemplate;
}

json line_item_template() {
  static const json kTemplate = json::parse(R"({
    "id": null, "object": "line_item", "amount": 0, "currency": "usd", "description": null,
    "discount_amounts": [], "discountable": true, "discounts": [], "invoice": null,
    "livemode": false, "metadata": {}, "period": {"end": 0, "start": 0}, "quantity": 1,
    "subscription": null, "pretax_credit_amounts": [], "taxes": [], "parent": null,
    "pricing": {"price_details": null, "type": "price_details", "unit_amount_decimal": null},
    "subtotal": 0, "quantity_decimal": "1"})");
  return kTemplate;
}

json credit_note_template() {
  static const json kTemplate = json::parse(R"({
    "id": null, "object": "credit_note", "amount": 0, "amount_shipping": 0, "created": 0,
    "currency": "usd", "customer": null, "customer_account": null,
    "customer_balance_transaction": null, "discount_amount": 0, "discount_amounts": [],
    "effective_at": null, "invoice": null,
    "lines": {"object": "list", "data": [], "has_more": false, "url": null},
    "livemode": false, "memo": null, "metadata": {}, "number": null, "out_of_band_amount": null,
    "pdf": null, "post_payment_amount": 0, "pre_payment_amount": 0, "pretax_credit_amounts": [],
    "reason": null, "refunds": [], "shipping_cost": null, "status": "issued", "subtotal": 0,
    "subtotal_excluding_tax": 0, "total": 0, "total_excluding_tax": 0, "total_taxes": [],
    "type": "pre_payment", "voided_at": null})");
  return kTemplate;
}

json credit_note_line_item_template() {
  static const json kTemplate = json::parse(R"({
    "id": null, "object": "credit_note_line_item", "amount": 0, "description": null,
    "discount_amount": 0, "discount_amounts": [], "invoice_line_item": null, "livemode": false,
    "quantity": 1, "tax_rates": [], "type": "custom_line_item", "unit_amount": null,
    "unit_amount_decimal": null, "pretax_credit_amounts": [], "taxes": [], "metadata": {}})");
  return kTemplate;
}

json charge_template() {
  static const std::string text = std::string(R"({
    "id": null, "object": "charge", "amount": 0, "amount_captured": 0, "amount_refunded": 0,
    "application": null, "application_fee": null, "application_fee_amount": null,
    "balance_transaction": null,
    "billing_details": {"address": )") + kAddress + R"(, "email": null, "name": null, "phone": null, "tax_id": null},
    "calculated_statement_descriptor": "WEFT SANDBOX", "captured": true, "created": 0,
    "currency": "usd", "customer": null, "description": null, "disputed": false,
    "failure_balance_transaction": null, "failure_code": null, "failure_message": null,
    "fraud_details": {}, "livemode": false, "metadata": {}, "on_behalf_of": null,
    "outcome": {"advice_code": null, "network_advice_code": null, "network_decline_code": null,
                "network_status": "approved_by_network", "reason": null, "risk_level": "normal",
                "seller_message": "Payment complete.", "type": "authorized"},
    "paid": true, "payment_intent": null, "payment_method": null,
    "payment_method_details": {"card": {"brand": "visa", "country": "US", "exp_month": 12,
                                        "exp_year": 2034, "funding": "credit", "last4": "4242",
                                        "network": "visa"},
                               "type": "card"},
    "receipt_email": null, "receipt_number": null, "receipt_url": null, "refunded": false,
    "refunds": {"object": "list", "data": [], "has_more": false, "url": null},
    "review": null, "shipping": null, "source": null, "source_transfer": null,
    "statement_descriptor": null, "statement_descriptor_suffix": null, "status": "succeeded",
    "transfer_data": null, "transfer_group": null})";
  static const json kTemplate = json::parse(text.c_str());
  return kTemplate;
}

json payment_intent_template() {
  static const json kTemplate = json::parse(R"({
    "id": null, "object": "payment_intent", "amount": 0, "amount_capturable": 0,
    "amount_details": {"tip": {}}, "amount_received": 0, "application": null,
    "application_fee_amount": null, "automatic_payment_methods": null, "canceled_at": null,
    "cancellation_reason": null, "capture_method": "automatic", "client_secret": null,
    "confirmation_method": "automatic", "created": 0, "currency": "usd", "customer": null,
    "customer_account": null, "description": null, "excluded_payment_method_types": null,
    "last_payment_error": null, "latest_charge": null, "livemode": false, "managed_payments": null,
    "metadata": {}, "next_action": null, "on_behalf_of": null, "payment_method": null,
    "payment_method_configuration_details": null, "payment_method_options": {},
    "payment_method_types": ["card"], "processing": null, "receipt_email": null, "review": null,
    "setup_future_usage": null, "shipping": null, "source": null, "statement_descriptor": null,
    "statement_descriptor_suffix": null, "status": "succeeded", "transfer_data": null,
    "transfer_group": null})");
  return kTemplate;
}

json refund_template() {
  static const json kTemplate = json::parse(R"({
    "id": null, "object": "refund", "amount": 0, "balance_transaction": null, "charge": null,
    "created": 0, "currency": "usd", "customer": null, "customer_account": null,
    "destination_details": {"card": {"type": "refund"}, "type": "card"}, "metadata": {},
    "payment_intent": null, "payment_method": null, "reason": null, "receipt_number": null,
    "source_transfer_reversal": null, "status": "succeeded", "transfer_reversal": null})");
  return kTemplate;
}

json subscription_template() {
  static const json kTemplate = json::parse(R"({
    "id": null, "object": "subscription", "application": null, "application_fee_percent": null,
    "automatic_tax": {"enabled": false, "liability": null, "disabled_reason": null},
    "billing_cycle_anchor": 0, "billing_cycle_anchor_config": null,
    "billing_mode": {"type": "classic", "flexible": null}, "billing_schedules": [],
    "billing_thresholds": null, "cancel_at": null, "cancel_at_period_end": false,
    "canceled_at": null,
    "cancellation_details": {"comment": null, "feedback": null, "reason": null},
    "collection_method": "charge_automatically", "created": 0, "currency": "usd",
    "customer": null, "customer_account": null, "days_until_due": null,
    "default_payment_method": null, "default_source": null, "default_tax_rates": [],
    "description": null, "discounts": [], "ended_at": null,
    "invoice_settings": {"account_tax_ids": null, "issuer": {"type": "self"}, "custom_fields": null,
                         "description": null, "footer": null},
    "items": {"object": "list", "data": [], "has_more": false, "url": null},
    "latest_invoice": null, "livemode": false, "managed_payments": null, "metadata": {},
    "next_pending_invoice_item_invoice": null, "on_behalf_of": null, "pause_collection": null,
    "payment_settings": {"payment_method_options": null, "payment_method_types": null,
                         "save_default_payment_method": "off"},
    "pending_invoice_item_interval": null, "pending_setup_intent": null, "pending_update": null,
    "schedule": null, "start_date": 0, "status": "active", "test_clock": null,
    "transfer_data": null, "trial_end": null,
    "trial_settings": {"end_behavior": {"missing_payment_method": "create_invoice"}},
    "trial_start": null, "current_period_start": 0, "current_period_end": 0})");
  return kTemplate;
}

json subscription_item_template() {
  static const json kTemplate = json::parse(R"({
    "id": null, "object": "subscription_item", "created": 0, "discounts": [], "metadata": {},
    "price": null, "quantity": 1, "subscription": null, "tax_rates": [], "plan": null,
    "current_period_end": 0, "current_period_start": 0, "billing_thresholds": null})");
  return kTemplate;
}

json customer_balance_transaction_template() {
  static const json kTemplate = json::parse(R"({
    "id": null, "object": "customer_balance_transaction", "amount": 0, "created": 0,
    "credit_note": null, "currency": "usd", "customer": null, "description": null,
    "ending_balance": 0, "invoice": null, "livemode": false, "metadata": {}, "type": "adjustment",
    "checkout_session": null, "customer_account": null})");
  return kTemplate;
}

json dispute_template() {
  static const json kTemplate = json::parse(R"({
    "id": null, "object": "dispute", "amount": 0, "balance_transactions": [], "charge": null,
    "created": 0, "currency": "usd", "enhanced_eligibility_types": [],
    "evidence": {"access_activity_log": null, "billing_address": null,
                 "cancellation_policy": null, "cancellation_policy_disclosure": null,
                 "cancellation_rebuttal": null, "customer_communication": null,
                 "customer_email_address": null, "customer_name": null,
                 "customer_purchase_ip": null, "customer_signature": null,
                 "duplicate_charge_documentation": null, "duplicate_charge_explanation": null,
                 "duplicate_charge_id": null, "product_description": null, "receipt": null,
                 "refund_policy": null, "refund_policy_disclosure": null,
                 "refund_refusal_explanation": null, "service_date": null,
                 "service_documentation": null, "shipping_address": null,
                 "shipping_carrier": null, "shipping_date": null,
                 "shipping_documentation": null, "shipping_tracking_number": null,
                 "uncategorized_file": null, "uncategorized_text": null, "enhanced_evidence": {}},
    "evidence_details": {"due_by": null, "has_evidence": false, "past_due": false,
                         "submission_count": 0, "enhanced_eligibility": {}},
    "is_charge_refundable": false, "livemode": false, "metadata": {}, "payment_intent": null,
    "payment_method_details": {"card": {"brand": "visa", "case_type": "chargeback",
                                        "network_reason_code": "10.4", "network": "visa"},
                               "type": "card"},
    "reason": "general", "status": "needs_response"})");
  return kTemplate;
}

json event_template() {
  static const json kTemplate = json::parse(R"({
    "id": null, "object": "event", "api_version": null, "created": 0, "data": {"object": null},
    "livemode": false, "pending_webhooks": 1, "request": {"id": null, "idempotency_key": null},
    "type": null})");
  return kTemplate;
}

}  // namespace weft::sandbox::stripe
