#include "support/stripe_workload.hpp"

#include "connectors/stripe/stripe_webhook.hpp"

// GCC 12 at -O3 warns about std::string::operator=(const char*) after inlining (a false
// positive, GCC bug 105329).
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ == 12
#pragma GCC diagnostic ignored "-Wrestrict"
#endif

namespace weft::bench {

namespace {

// A template with ${name} placeholders, split once so that filling it is a few appends.
class Template {
 public:
  explicit Template(std::string_view text) {
    std::size_t pos = 0;
    for (;;) {
      const std::size_t open = text.find("${", pos);
      if (open == std::string_view::npos) {
        literals_.emplace_back(text.substr(pos));
        return;
      }
      const std::size_t close = text.find('}', open);
      literals_.emplace_back(text.substr(pos, open - pos));
      names_.emplace_back(text.substr(open + 2, close - open - 2));
      pos = close + 1;
    }
  }
  const std::vector<std::string>& names() const { return names_; }
  // values[i] fills names()[i].
  void fill(const std::vector<std::string>& values, std::string& out) const {
    out.clear();
    for (std::size_t i = 0; i < names_.size(); ++i) {
      out += literals_[i];
      out += values[i];
    }
    out += literals_.back();
  }

 private:
  std::vector<std::string> literals_;
  std::vector<std::string> names_;
};

constexpr std::string_view kInvoiceEvent = R"json({
  "id": "evt_${event_id}",
  "object": "event",
  "api_version": "2023-10-16",
  "created": ${created},
  "data": {
    "object": {
      "id": "in_${invoice_id}",
      "object": "invoice",
      "amount_due": ${amount},
      "amount_paid": ${amount_paid},
      "amount_remaining": ${amount_remaining},
      "attempt_count": ${attempts},
      "attempted": ${attempted},
      "auto_advance": false,
      "billing_reason": "subscription_cycle",
      "charge": ${charge},
      "collection_method": "charge_automatically",
      "created": ${created},
      "currency": "usd",
      "customer": "cus_${customer_id}",
      "customer_email": "billing+${customer_id}@example.com",
      "hosted_invoice_url": "https://invoice.stripe.com/i/acct_1WeftBench/test_${invoice_id}",
      "lines": {
        "object": "list",
        "data": [
          {
            "id": "il_${invoice_id}",
            "object": "line_item",
            "amount": ${amount},
            "currency": "usd",
            "description": "${quantity} × ${plan_name} (at $${unit_dollars} / month)",
            "period": { "end": ${period_end}, "start": ${period_start} },
            "price": {
              "id": "price_${plan_id}",
              "billing_scheme": "per_unit",
              "currency": "usd",
              "product": "prod_${plan_id}",
              "recurring": { "interval": "month", "interval_count": 1, "usage_type": "licensed" },
              "type": "recurring",
              "unit_amount": ${unit_amount}
            },
            "proration": false,
            "quantity": ${quantity},
            "subscription": "sub_${customer_id}",
            "type": "subscription"
          }
        ],
        "has_more": false,
        "total_count": 1,
        "url": "/v1/invoices/in_${invoice_id}/lines"
      },
      "livemode": false,
      "metadata": { "erp_customer": "C-${customer_id}", "region": "${region}" },
      "number": "WEFT-${number}",
      "paid": ${paid},
      "period_end": ${period_end},
      "period_start": ${period_start},
      "status": "${status}",
      "status_transitions": { "finalized_at": ${finalized_at}, "paid_at": ${paid_at} },
      "subscription": "sub_${customer_id}",
      "subtotal": ${amount},
      "tax": 0,
      "total": ${amount}
    }
  },
  "livemode": false,
  "pending_webhooks": 1,
  "request": { "id": null, "idempotency_key": null },
  "type": "${type}"
})json";

struct Plan {
  const char* id;
  const char* name;
  int unit_amount;
};
constexpr Plan kPlans[] = {
    {"Starter", "Starter plan", 1900}, {"Pro", "Pro plan", 4900}, {"Team", "Team plan", 9900}};
constexpr const char* kTypes[] = {"invoice.created", "invoice.finalized", "invoice.paid",
                                  "invoice.payment_succeeded"};

}  // namespace

std::string base36(std::uint64_t v, std::size_t width) {
  static constexpr char kDigits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
  std::string out(width, '0');
  for (std::size_t i = width; i-- > 0 && v > 0; v /= 36) out[i] = kDigits[v % 36];
  return out;
}

void render_invoice_event(const InvoiceEvent& e, std::size_t min_bytes, std::string& body) {
  static const Template tmpl(kInvoiceEvent);
  thread_local std::vector<std::string> values;
  values.resize(tmpl.names().size());
  const Plan& plan = kPlans[e.plan % 3];
  const int amount = plan.unit_amount * e.quantity;
  const auto kind = static_cast<std::size_t>(e.kind);
  const bool paid = kind >= 2;
  const std::int64_t due = e.created;
  const std::int64_t period_start = due - 30 * 86400;
  for (std::size_t n = 0; n < values.size(); ++n) {
    const std::string& name = tmpl.names()[n];
    std::string& v = values[n];
    if (name == "event_id")
      v = e.event_id;
    else if (name == "invoice_id")
      v = e.invoice_id;
    else if (name == "customer_id")
      v = e.customer_id;
    else if (name == "created")
      v = std::to_string(due);
    else if (name == "amount")
      v = std::to_string(amount);
    else if (name == "amount_paid")
      v = std::to_string(paid ? amount : 0);
    else if (name == "amount_remaining")
      v = std::to_string(paid ? 0 : amount);
    else if (name == "attempts")
      v = paid ? "1" : "0";
    else if (name == "attempted")
      v = paid ? "true" : "false";
    else if (name == "charge") {
      v = paid ? "\"ch_3" : "null";
      if (paid) v.append(e.charge_id).append(1, '"');
    }
    else if (name == "quantity")
      v = std::to_string(e.quantity);
    else if (name == "plan_name")
      v = plan.name;
    else if (name == "plan_id")
      v = std::string("1") + plan.id + "Monthly";
    else if (name == "unit_amount")
      v = std::to_string(plan.unit_amount);
    else if (name == "unit_dollars")
      v = std::to_string(plan.unit_amount / 100) + ".00";
    else if (name == "period_start")
      v = std::to_string(period_start);
    else if (name == "period_end")
      v = std::to_string(due);
    else if (name == "region")
      v = e.region;
    else if (name == "number")
      v = e.number;
    else if (name == "paid")
      v = paid ? "true" : "false";
    else if (name == "status")
      v = kind == 0 ? "draft" : (paid ? "paid" : "open");
    else if (name == "finalized_at")
      v = kind == 0 ? "null" : std::to_string(due);
    else if (name == "paid_at")
      v = paid ? std::to_string(due) : "null";
    else if (name == "type")
      v = kTypes[kind];
    else
      v.clear();
  }
  tmpl.fill(values, body);
  // Stripe bodies vary in size; pad through metadata-like whitespace to the size asked for,
  // keeping the JSON valid (trailing whitespace after the object is allowed).
  if (body.size() < min_bytes) body.append(min_bytes - body.size(), ' ');
}

std::string stripe_webhook_request(std::string_view host, std::string_view connector,
                                   std::string_view secret, std::int64_t signed_at,
                                   const std::string& body) {
  const std::string signature =
      weft::connectors::stripe::SignatureVerifier::sign(secret, signed_at, body);
  std::string request;
  request.reserve(body.size() + 400);
  request += "POST /hooks/";
  request += connector;
  request += " HTTP/1.1\r\nHost: ";
  request += host;
  request +=
      "\r\nUser-Agent: Stripe/1.0 (+https://stripe.com/docs/webhooks)\r\n"
      "Accept: */*; q=0.5, application/xml\r\nCache-Control: no-cache\r\n"
      "Content-Type: application/json; charset=utf-8\r\nStripe-Signature: ";
  request += signature;
  request += "\r\nContent-Length: ";
  request += std::to_string(body.size());
  request += "\r\n\r\n";
  request += body;
  return request;
}

}  // namespace weft::bench
