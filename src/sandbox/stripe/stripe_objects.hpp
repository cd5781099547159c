#pragma once
// Stripe's objects as the API returns them, field for field as in Stripe's own example
// objects (its OpenAPI fixtures), with fields the sandbox does not model at their empty
// values (null, {}, []). Each function returns a fresh copy for the caller to fill in.

#include <nlohmann/json.hpp>

namespace weft::sandbox::stripe {

nlohmann::json customer_template();
nlohmann::json product_template();
nlohmann::json price_template();
nlohmann::json invoiceitem_template();
nlohmann::json invoice_template();
nlohmann::json line_item_template();
nlohmann::json credit_note_template();
nlohmann::json credit_note_line_item_template();
nlohmann::json charge_template();
nlohmann::json payment_intent_template();
nlohmann::json refund_template();
nlohmann::json subscription_template();
nlohmann::json subscription_item_template();
nlohmann::json customer_balance_transaction_template();
nlohmann::json dispute_template();
nlohmann::json event_template();

// {"object": "list", "data": [], "has_more": false, "url": url}
nlohmann::json list_of(const nlohmann::json& data, const char* url_or_empty, bool has_more = false);

}  // namespace weft::sandbox::stripe
