// Credit notes against open (pre-payment) or paid (post-payment) invoices.

#include <cstdio>

#include "sandbox/stripe/stripe_api.hpp"
#include "sandbox/stripe/stripe_list.hpp"
#include "sandbox/stripe/stripe_objects.hpp"

namespace weft::sandbox::stripe {

using nlohmann::json;

namespace {

std::int64_t amount_of(const json& object, const char* name) {
  const json& value = field(object, name);
  return value.is_number_integer() ? value.get<std::int64_t>() : 0;
}

std::string money(std::int64_t cents, const json& currency) {
  char text[64];
  std::snprintf(text, sizeof text, "%lld.%02lld %s", static_cast<long long>(cents / 100),
                static_cast<long long>((cents < 0 ? -cents : cents) % 100),
                currency.is_string() ? currency.get<std::string>().c_str() : "");
  return text;
}

}  // namespace

Reply Api::create_credit_note(Params& p) {
  const std::string invoice_id = p.required_text("invoice");
  const auto amount_param = p.integer("amount");
  const auto lines = p.array("lines");
  const auto credit_param = p.integer("credit_amount");
  const auto refund_param = p.integer("refund_amount");
  const auto out_of_band_param = p.integer("out_of_band_amount");
  const auto memo = p.text("memo");
  const auto metadata = p.metadata();
  const auto reason = p.one_of("reason", {"duplicate", "fraudulent", "order_change", "product_unsatisfactory"});
  const auto effective_at = p.integer("effective_at");
  p.one_of("email_type", {"credit_note", "none"});
  if (p.failed()) return p.error();
  if (p.has("refunds") || p.has("shipping_cost")) {
    return invalid_param("The sandbox does not emulate `refunds` or `shipping_cost` on credit notes; use "
                         "`refund_amount`, `credit_amount` or `out_of_band_amount`.",
                         p.has("refunds") ? "refunds" : "shipping_cost");
  }
  if (amount_param.has_value() == lines.has_value()) {
    return invalid_param("You must pass exactly one of `amount`, `lines`, or `shipping_cost`.", "amount");
  }
  for (const auto& [name, value] : {std::pair{"credit_amount", credit_param}, std::pair{"refund_amount", refund_param},
                                    std::pair{"out_of_band_amount", out_of_band_param}}) {
    if (value && *value < 0) return invalid_param("Invalid non-negative integer", name);
  }
  json* invoice = find("invoices", invoice_id);
  if (invoice == nullptr || invoice->value("deleted", false)) return no_such("invoice", invoice_id, "invoice");
  const std::string status = (*invoice)["status"];
  if (status != "open" && status != "paid") {
    return invalid_state("Credit notes can only be created for open or paid invoices; invoice " + invoice_id + " is " +
                             status + ".",
                         "", "invoice");
  }

  // What earlier credit notes of this invoice already credited, in total and per line.
  std::int64_t credited = 0;
  std::map<std::string, std::int64_t> credited_by_line;
  std::int64_t sequence = 1;
  for (const auto& cn_id : store_.get("credit_notes").order()) {
    const json& cn = *find("credit_notes", cn_id);
    if (cn["invoice"] != invoice_id) continue;
    ++sequence;
    if (cn["status"] != "issued") continue;
    credited += amount_of(cn, "amount");
    for (const auto& line : cn["lines"]["data"]) {
      if (line["invoice_line_item"].is_string()) credited_by_line[line["invoice_line_item"]] += amount_of(line, "amount");
    }
  }

  json note = credit_note_template();
  note["id"] = new_id("cn");
  json cn_lines = json::array();
  std::int64_t amount = 0;
  if (lines) {
    if (lines->empty()) return missing_param("lines");
    for (std::size_t i = 0; i < lines->size(); ++i) {
      Params lp(lines->at(i),
                {"type", "invoice_line_item", "quantity", "amount", "unit_amount", "unit_amount_decimal", "description",
                 "metadata", "tax_rates", "tax_amounts"},
                "lines[" + std::to_string(i) + "]");
      const auto type = lp.one_of("type", {"invoice_line_item", "custom_line_item"});
      const auto line_amount = lp.integer("amount");
      const auto quantity = lp.integer("quantity");
      const auto unit_amount = lp.integer("unit_amount");
      const auto description = lp.text("description");
      const auto line_metadata = lp.metadata();
      const auto invoice_line = lp.text("invoice_line_item");
      if (lp.failed()) return lp.error();
      if (!type) return missing_param(lp.param_name("type"));
      json cn_line = credit_note_line_item_template();
      cn_line["id"] = new_id("cnli");
      cn_line["livemode"] = context_.livemode;
      cn_line["type"] = *type;
      std::int64_t value = 0;
      if (*type == "invoice_line_item") {
        if (!invoice_line) return missing_param(lp.param_name("invoice_line_item"));
        const json* source = nullptr;
        for (const auto& line : (*invoice)["lines"]["data"]) {
          if (line["id"] == *invoice_line) source = &line;
        }
        if (source == nullptr) {
          return invalid_param("Invoice line item " + *invoice_line + " is not on invoice " + invoice_id + ".",
                               lp.param_name("invoice_line_item"));
        }
        const std::int64_t line_total = amount_of(*source, "amount");
        const std::int64_t line_quantity = std::max<std::int64_t>(amount_of(*source, "quantity"), 1);
        value = line_amount ? *line_amount : quantity ? line_total / line_quantity * *quantity : line_total;
        if (credited_by_line[*invoice_line] + value > line_total) {
          return invalid_param("The credit note amount for line item " + *invoice_line + " (" +
                                   money(value, (*invoice)["currency"]) + ") exceeds what is left to credit on it (" +
                                   money(line_total - credited_by_line[*invoice_line], (*invoice)["currency"]) + ").",
                               lp.param_name("amount"));
        }
        credited_by_line[*invoice_line] += value;
        cn_line["invoice_line_item"] = *invoice_line;
        cn_line["description"] = description ? json(*description) : (*source)["description"];
        cn_line["quantity"] = quantity.value_or(line_amount ? 1 : amount_of(*source, "quantity"));
      } else {
        if (!unit_amount) return missing_param(lp.param_name("unit_amount"));
        value = *unit_amount * quantity.value_or(1);
        cn_line["unit_amount"] = *unit_amount;
        cn_line["unit_amount_decimal"] = std::to_string(*unit_amount);
        cn_line["quantity"] = quantity.value_or(1);
        if (description) cn_line["description"] = *description;
      }
      if (value <= 0) return invalid_param("Invalid positive integer", lp.param_name("amount"));
      cn_line["amount"] = value;
      if (line_metadata) merge_metadata(cn_line["metadata"], *line_metadata);
      amount += value;
      cn_lines.push_back(std::move(cn_line));
    }
  } else {
    amount = *amount_param;
    if (amount <= 0) return invalid_param("Invalid positive integer", "amount");
  }

  // The credit first reduces what is still due (pre-payment); the rest (post-payment) is
  // split between refund, customer balance credit and out of band.
  std::int64_t pre = 0;
  if (status == "open") {
    const std::int64_t remaining = amount_of(*invoice, "amount_remaining");
    if (amount > remaining) {
      return invalid_param("The credit note amount (" + money(amount, (*invoice)["currency"]) +
                               ") cannot exceed the amount remaining on the invoice (" +
                               money(remaining, (*invoice)["currency"]) + ").",
                           "amount");
    }
    pre = amount;
  } else {
    const std::int64_t creditable = amount_of(*invoice, "total") - credited;
    if (amount > creditable) {
      return invalid_param("The credit note amount (" + money(amount, (*invoice)["currency"]) +
                               ") cannot exceed the invoice total less earlier credit notes (" +
                               money(creditable, (*invoice)["currency"]) + ").",
                           "amount");
    }
  }
  const std::int64_t post = amount - pre;
  std::int64_t credit_amount = credit_param.value_or(0);
  const std::int64_t refund_amount = refund_param.value_or(0);
  const std::int64_t out_of_band = out_of_band_param.value_or(0);
  if (!credit_param && !refund_param && !out_of_band_param) {
    credit_amount = post;  // Stripe credits the customer balance when no split is given
  } else if (credit_amount + refund_amount + out_of_band != post) {
    return invalid_param("The sum of credit amount, refund amount and out of band amount (" +
                             money(credit_amount + refund_amount + out_of_band, (*invoice)["currency"]) +
                             ") must equal the credit note's post-payment amount (" +
                             money(post, (*invoice)["currency"]) + ").",
                         "credit_amount");
  }
  json* charge = nullptr;
  if (refund_amount > 0) {
    if ((*invoice)["charge"].is_string()) charge = find("charges", (*invoice)["charge"].get<std::string>());
    if (charge == nullptr) {
      return invalid_param("Invoice " + invoice_id +
                               " was not paid with a charge, so the credit note cannot refund it; use "
                               "`credit_amount` or `out_of_band_amount`.",
                           "refund_amount");
    }
    if (refund_amount > amount_of(*charge, "amount") - amount_of(*charge, "amount_refunded")) {
      return invalid_param("The refund amount exceeds what is left to refund on charge " + (*charge)["id"].get<std::string>() + ".",
                           "refund_amount");
    }
  }

  const json invoice_before = *invoice;
  char number[96];
  std::snprintf(number, sizeof number, "%s-CN-%02lld",
                (*invoice)["number"].is_string() ? (*invoice)["number"].get<std::string>().c_str() : "DRAFT",
                static_cast<long long>(sequence));
  note["number"] = number;
  note["amount"] = note["subtotal"] = note["subtotal_excluding_tax"] = note["total"] = note["total_excluding_tax"] = amount;
  note["currency"] = (*invoice)["currency"];
  note["customer"] = (*invoice)["customer"];
  note["invoice"] = invoice_id;
  note["created"] = now();
  note["effective_at"] = effective_at.value_or(now());
  note["livemode"] = context_.livemode;
  note["memo"] = memo ? json(*memo) : json();
  note["reason"] = reason ? json(*reason) : json();
  if (metadata) merge_metadata(note["metadata"], *metadata);
  note["pre_payment_amount"] = pre;
  note["post_payment_amount"] = post;
  note["type"] = post == 0 ? "pre_payment" : pre == 0 ? "post_payment" : "mixed";
  note["out_of_band_amount"] = out_of_band_param ? json(out_of_band) : json();
  note["pdf"] = "https://pay.stripe.com/credit_notes/acct_weftsandbox/test_" + store_.new_secret(24) + "/pdf";
  note["lines"]["data"] = cn_lines;
  note["lines"]["url"] = "/v1/credit_notes/" + note["id"].get<std::string>() + "/lines";

  if (charge != nullptr) {
    json refund = new_refund(*charge, refund_amount, json(), json::object());
    note["refunds"] = json::array({{{"amount_refunded", refund_amount},
                                    {"refund", refund["id"]},
                                    {"payment_record_refund", nullptr},
                                    {"type", "refund"}}});
  }
  if (credit_amount > 0) {
    json* customer = find("customers", (*invoice)["customer"].get<std::string>());
    if (customer != nullptr) {
      json txn = new_balance_transaction(*customer, -credit_amount, (*invoice)["currency"].get<std::string>(), "credit_note");
      txn["credit_note"] = note["id"];
      txn["invoice"] = invoice_id;
      save("customer_balance_transactions", txn);
      note["customer_balance_transaction"] = txn["id"];
    }
  }
  (*invoice)["pre_payment_credit_notes_amount"] = amount_of(*invoice, "pre_payment_credit_notes_amount") + pre;
  (*invoice)["post_payment_credit_notes_amount"] = amount_of(*invoice, "post_payment_credit_notes_amount") + post;
  (*invoice)["amount_due"] = amount_of(*invoice, "amount_due") - pre;
  (*invoice)["amount_remaining"] = amount_of(*invoice, "amount_remaining") - pre;
  save("credit_notes", note);
  emit("credit_note.created", note);
  emit("invoice.updated", *invoice, changed_fields(invoice_before, *invoice));
  if (pre > 0 && amount_of(*invoice, "amount_remaining") == 0) mark_paid(*invoice, false);
  return ok(note);
}

Reply Api::update_credit_note(const std::string& id, Params& p) {
  json* note = find("credit_notes", id);
  if (note == nullptr) return no_such("credit note", id);
  json updated = *note;
  if (auto memo = p.text("memo")) updated["memo"] = memo->empty() ? json() : json(*memo);
  if (auto metadata = p.metadata()) merge_metadata(updated["metadata"], *metadata);
  if (p.failed()) return p.error();
  const json previous = changed_fields(*note, updated);
  *note = updated;
  emit("credit_note.updated", updated, previous);
  return ok(updated);
}

Reply Api::void_credit_note(const std::string& id) {
  json* note = find("credit_notes", id);
  if (note == nullptr) return no_such("credit note", id);
  if ((*note)["status"] != "issued") return invalid_state("This credit note has already been voided.");
  if (!(*note)["refunds"].empty()) {
    return invalid_state("Credit notes with refunds cannot be voided: the refunds cannot be undone.");
  }
  json* invoice = find("invoices", (*note)["invoice"].get<std::string>());
  const std::int64_t pre = amount_of(*note, "pre_payment_amount");
  const std::int64_t post = amount_of(*note, "post_payment_amount");
  if ((*note)["customer_balance_transaction"].is_string()) {
    const json* credit = find("customer_balance_transactions", (*note)["customer_balance_transaction"].get<std::string>());
    json* customer = find("customers", (*note)["customer"].get<std::string>());
    if (credit != nullptr && customer != nullptr) {
      json txn = new_balance_transaction(*customer, -amount_of(*credit, "amount"), (*note)["currency"].get<std::string>(),
                                         "credit_note");
      txn["credit_note"] = id;
      save("customer_balance_transactions", txn);
    }
  }
  if (invoice != nullptr) {
    const json before = *invoice;
    (*invoice)["pre_payment_credit_notes_amount"] = amount_of(*invoice, "pre_payment_credit_notes_amount") - pre;
    (*invoice)["post_payment_credit_notes_amount"] = amount_of(*invoice, "post_payment_credit_notes_amount") - post;
    (*invoice)["amount_due"] = amount_of(*invoice, "amount_due") + pre;
    if (pre > 0 && (*invoice)["status"] == "paid" && amount_of(*invoice, "amount_paid") == 0) {
      // Paid only by credit notes: due again.
      (*invoice)["status"] = "open";
      (*invoice)["paid"] = false;
      (*invoice)["status_transitions"]["paid_at"] = nullptr;
      (*invoice)["amount_remaining"] = amount_of(*invoice, "amount_remaining") + pre;
    } else if ((*invoice)["status"] == "open") {
      (*invoice)["amount_remaining"] = amount_of(*invoice, "amount_remaining") + pre;
    }
    emit("invoice.updated", *invoice, changed_fields(before, *invoice));
  }
  (*note)["status"] = "void";
  (*note)["voided_at"] = now();
  emit("credit_note.voided", *note);
  return ok(*note);
}

Reply Api::list_credit_note_lines(const std::string& id, Params& p) {
  const json* note = find("credit_notes", id);
  if (note == nullptr) return no_such("credit note", id);
  Collection lines;
  const auto& data = (*note)["lines"]["data"];
  for (auto it = data.rbegin(); it != data.rend(); ++it) lines.put(*it);
  return list_page(lines, p, "/v1/credit_notes/" + id + "/lines", nullptr, "credit note line item");
}

}  // namespace weft::sandbox::stripe
