// Refunds, disputes, declined charges and metadata updates of payment objects.

#include <cstdio>

#include "sandbox/stripe/stripe_api.hpp"
#include "sandbox/stripe/stripe_objects.hpp"

namespace weft::sandbox::stripe {

using nlohmann::json;

namespace {

std::int64_t amount_of(const json& object, const char* name) {
  const json& value = field(object, name);
  return value.is_number_integer() ? value.get<std::int64_t>() : 0;
}

std::string dollars(std::int64_t cents) {
  char text[48];
  std::snprintf(text, sizeof text, "$%lld.%02lld", static_cast<long long>(cents / 100),
                static_cast<long long>(cents % 100));
  return text;
}

bool dispute_open(const json& dispute) {
  const std::string status = dispute.value("status", "");
  return status == "needs_response" || status == "under_review" || status == "warning_needs_response" ||
         status == "warning_under_review";
}

}  // namespace

json Api::new_refund(json& charge, std::int64_t amount, const json& reason, const json& metadata) {
  json refund = refund_template();
  refund["id"] = new_id("re");
  refund["amount"] = amount;
  refund["charge"] = charge["id"];
  refund["payment_intent"] = charge["payment_intent"];
  refund["currency"] = charge["currency"];
  refund["customer"] = charge["customer"];
  refund["created"] = now();
  refund["reason"] = reason;
  refund["payment_method"] = charge["payment_method"];
  refund["balance_transaction"] = new_id("txn");
  if (metadata.is_object()) merge_metadata(refund["metadata"], metadata);
  save("refunds", refund);
  charge["amount_refunded"] = amount_of(charge, "amount_refunded") + amount;
  charge["refunded"] = amount_of(charge, "amount_refunded") == amount_of(charge, "amount");
  charge["refunds"]["data"].insert(charge["refunds"]["data"].begin(), refund);
  emit("refund.created", refund);
  emit("charge.refunded", charge);
  return refund;
}

Reply Api::create_refund(Params& p) {
  const auto charge_id = p.text("charge");
  const auto intent_id = p.text("payment_intent");
  const auto amount = p.integer("amount");
  const auto reason = p.one_of("reason", {"duplicate", "fraudulent", "requested_by_customer"});
  const auto metadata = p.metadata();
  p.boolean("refund_application_fee");
  p.boolean("reverse_transfer");
  p.text("instructions_email");
  if (p.failed()) return p.error();
  if (charge_id.has_value() == intent_id.has_value()) {
    return invalid_param(charge_id ? "You can only pass one of `charge` and `payment_intent`."
                                   : "One of the following params should be provided for this request: payment_intent or charge.",
                         "charge");
  }
  json* charge = nullptr;
  if (intent_id) {
    const json* intent = find("payment_intents", *intent_id);
    if (intent == nullptr) return no_such("payment_intent", *intent_id, "payment_intent");
    if ((*intent)["latest_charge"].is_string()) charge = find("charges", (*intent)["latest_charge"].get<std::string>());
    if (charge == nullptr) {
      return invalid_state("This PaymentIntent does not have a successful charge to refund.", "", "payment_intent");
    }
  } else {
    charge = find("charges", *charge_id);
    if (charge == nullptr) return no_such("charge", *charge_id, "charge");
  }
  const std::string id = (*charge)["id"];
  const std::int64_t left = amount_of(*charge, "amount") - amount_of(*charge, "amount_refunded");
  if (left == 0) return invalid_state("Charge " + id + " has already been refunded.", "charge_already_refunded", "charge");
  if ((*charge)["disputed"] == true) {
    return invalid_state("Charge " + id + " has been charged back; cannot issue a refund.", "charge_disputed", "charge");
  }
  if (amount && *amount <= 0) return invalid_param("Invalid positive integer", "amount");
  if (amount && *amount > left) {
    return invalid_state("Refund amount (" + dollars(*amount) + ") is greater than unrefunded amount on charge (" +
                             dollars(left) + ")",
                         "", "amount");
  }
  json refund = new_refund(*charge, amount.value_or(left), reason ? json(*reason) : json(),
                           metadata ? *metadata : json::object());
  return ok(refund);
}

Reply Api::update_metadata(const std::string& collection, const std::string& noun, const std::string& id, Params& p,
                           const char* event_type) {
  json* object = find(collection, id);
  if (object == nullptr) return no_such(noun, id);
  json updated = *object;
  if (auto metadata = p.metadata()) merge_metadata(updated["metadata"], *metadata);
  if (p.has("description")) {
    if (auto description = p.text("description")) updated["description"] = *description;
  }
  if (p.failed()) return p.error();
  const json previous = changed_fields(*object, updated);
  *object = updated;
  if (!previous.empty()) emit(event_type, updated, previous);
  return ok(updated);
}

Reply Api::open_dispute(const json& body, const RequestContext& context) {
  context_ = context;
  // The helper takes JSON: the amount may come as a number.
  json params = body;
  if (params.is_object() && params.contains("amount") && params["amount"].is_number_integer()) {
    params["amount"] = params["amount"].dump();
  }
  Params q(params, {"charge", "payment_intent", "invoice", "amount", "reason", "status", "metadata"});
  const auto charge_id = q.text("charge");
  const auto intent_id = q.text("payment_intent");
  const auto invoice_id = q.text("invoice");
  const auto amount = q.integer("amount");
  const auto reason = q.one_of("reason", {"bank_cannot_process", "check_returned", "credit_not_processed",
                                          "customer_initiated", "debit_not_authorized", "duplicate", "fraudulent",
                                          "general", "incorrect_account_details", "insufficient_funds",
                                          "product_not_received", "product_unacceptable", "subscription_canceled",
                                          "unrecognized"});
  const auto status = q.one_of("status", {"needs_response", "warning_needs_response"});
  const auto metadata = q.metadata();
  if (q.failed()) return q.error();
  const int given = (charge_id ? 1 : 0) + (intent_id ? 1 : 0) + (invoice_id ? 1 : 0);
  if (given != 1) return invalid_param("Give exactly one of charge, payment_intent or invoice.", "charge");
  std::string resolved;
  if (charge_id) resolved = *charge_id;
  if (intent_id) {
    const json* intent = find("payment_intents", *intent_id);
    if (intent == nullptr) return no_such("payment_intent", *intent_id, "payment_intent");
    resolved = field(*intent, "latest_charge").is_string() ? (*intent)["latest_charge"].get<std::string>() : "";
  }
  if (invoice_id) {
    const json* invoice = find("invoices", *invoice_id);
    if (invoice == nullptr) return no_such("invoice", *invoice_id, "invoice");
    resolved = field(*invoice, "charge").is_string() ? (*invoice)["charge"].get<std::string>() : "";
    if (resolved.empty()) return invalid_param("Invoice " + *invoice_id + " was not paid with a charge.", "invoice");
  }
  json* charge = find("charges", resolved);
  if (charge == nullptr) return no_such("charge", resolved, "charge");
  if ((*charge)["disputed"] == true) return invalid_state("Charge " + resolved + " is already disputed.", "", "charge");
  const std::int64_t charged = amount_of(*charge, "amount");
  if (amount && (*amount <= 0 || *amount > charged)) {
    return invalid_param("amount must be between 1 and the charge's amount (" + std::to_string(charged) + ").", "amount");
  }
  json dispute = dispute_template();
  dispute["id"] = new_id("dp");
  dispute["amount"] = amount.value_or(charged);
  dispute["charge"] = resolved;
  dispute["payment_intent"] = (*charge)["payment_intent"];
  dispute["currency"] = (*charge)["currency"];
  dispute["created"] = now();
  dispute["livemode"] = context_.livemode;
  dispute["reason"] = reason.value_or("general");
  dispute["status"] = status.value_or("needs_response");
  dispute["evidence_details"]["due_by"] = now() + 7 * 86400;
  if (metadata) merge_metadata(dispute["metadata"], *metadata);
  (*charge)["disputed"] = true;
  save("disputes", dispute);
  emit("charge.dispute.created", dispute);
  return ok(dispute);
}

Reply Api::close_dispute(const std::string& id, const json& body, const RequestContext& context) {
  context_ = context;
  Params p(body.is_object() ? body : json(), {"status"});
  const auto status = p.one_of("status", {"won", "lost", "warning_closed"});
  if (p.failed()) return p.error();
  if (!status) return missing_param("status");
  json* dispute = find("disputes", id);
  if (dispute == nullptr) return no_such("dispute", id);
  if (!dispute_open(*dispute)) return invalid_state("This dispute is already closed.");
  const json before = *dispute;
  (*dispute)["status"] = *status;
  emit("charge.dispute.closed", *dispute, changed_fields(before, *dispute));
  return ok(*dispute);
}

Reply Api::close_dispute_api(const std::string& id) {
  json* dispute = find("disputes", id);
  if (dispute == nullptr) return no_such("dispute", id);
  if (!dispute_open(*dispute)) return invalid_state("This dispute is already closed.");
  const json before = *dispute;
  (*dispute)["status"] = (*dispute)["status"].get<std::string>().rfind("warning_", 0) == 0 ? "warning_closed" : "lost";
  (*dispute)["is_charge_refundable"] = false;
  emit("charge.dispute.closed", *dispute, changed_fields(before, *dispute));
  return ok(*dispute);
}

Reply Api::update_dispute(const std::string& id, Params& p) {
  json* dispute = find("disputes", id);
  if (dispute == nullptr) return no_such("dispute", id);
  json updated = *dispute;
  const auto metadata = p.metadata();
  const auto evidence = p.object("evidence");
  const auto submit = p.boolean("submit");
  if (p.failed()) return p.error();
  if (!dispute_open(*dispute)) return invalid_state("This dispute is already closed.");
  if (metadata) merge_metadata(updated["metadata"], *metadata);
  if (evidence) {
    for (const auto& [key, value] : evidence->items()) {
      if (!updated["evidence"].contains(key)) {
        return invalid_param("Received unknown parameter: evidence[" + key + "]", "evidence[" + key + "]", "parameter_unknown");
      }
      updated["evidence"][key] = value;
    }
    updated["evidence_details"]["has_evidence"] = true;
  }
  if (submit.value_or(true) && evidence) {
    updated["evidence_details"]["submission_count"] = amount_of(updated["evidence_details"], "submission_count") + 1;
    if (updated["status"] == "needs_response") updated["status"] = "under_review";
    if (updated["status"] == "warning_needs_response") updated["status"] = "warning_under_review";
  }
  const json previous = changed_fields(*dispute, updated);
  *dispute = updated;
  if (!previous.empty()) emit("charge.dispute.updated", updated, previous);
  return ok(updated);
}

Reply Api::set_declines(const json& body) {
  if (!body.is_object() || !body.contains("decline") || !body["decline"].is_boolean() || body.size() != 1) {
    return invalid_param("The body must be {\"decline\": true} or {\"decline\": false}.", "decline");
  }
  declining_ = body["decline"].get<bool>();
  return ok(json{{"object", "sandbox_declines"}, {"decline", declining_}});
}

Reply Api::decline(json& invoice) {
  invoice["attempt_count"] = amount_of(invoice, "attempt_count") + 1;
  invoice["attempted"] = true;
  emit("invoice.payment_failed", invoice);
  Reply reply = error_reply(402, "card_error", "Your card was declined.", "card_declined");
  reply.body["error"]["decline_code"] = "generic_decline";
  return reply;
}

}  // namespace weft::sandbox::stripe
