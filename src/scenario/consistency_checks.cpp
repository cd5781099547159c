#include "scenario/consistency_checks.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <functional>
#include <map>
#include <optional>

#include "sandbox/netsuite/netsuite_currencies.hpp"
#include "scenario/scenario_plan.hpp"

namespace weft::scenario {

using nlohmann::json;

namespace {

constexpr std::size_t kMaxExamples = 5;

const json& records(const json& state, const char* platform, const char* type) {
  static const json kNone = json::array();
  if (!state.is_object()) return kNone;
  const auto of_platform = state.find(platform);
  if (of_platform == state.end() || !of_platform->is_object()) return kNone;
  const auto list = of_platform->find(type);
  return list != of_platform->end() && list->is_array() ? *list : kNone;
}

std::string text(const json& record, const char* field) {
  const auto it = record.find(field);
  return it != record.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::int64_t integer(const json& record, const char* field) {
  const auto it = record.find(field);
  return it != record.end() && it->is_number() ? it->get<std::int64_t>() : 0;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

void add_example(Check& check, json example) {
  if (check.examples.size() < kMaxExamples) check.examples.push_back(std::move(example));
}

// Keys counted more than once: none expected. Examples are {key_label: key, count_label: n}.
Check repeated(std::string name, const std::map<std::string, int>& counts, const char* key_label,
               const char* count_label) {
  Check check{std::move(name), true, 0, 0, json::array()};
  int over = 0;
  for (const auto& [key, n] : counts) {
    if (n < 2) continue;
    ++over;
    add_example(check, {{key_label, key}, {count_label, n}});
  }
  check.actual = over;
  check.ok = over == 0;
  return check;
}

// Records sharing a non-empty key: the keys that occur more than once.
Check unique_by(std::string name, const std::vector<const json*>& list,
                const std::function<std::string(const json&)>& key_of) {
  std::map<std::string, int> seen;
  for (const json* record : list) {
    if (const std::string key = key_of(*record); !key.empty()) ++seen[key];
  }
  return repeated(std::move(name), seen, "key", "records");
}

std::vector<const json*> all_of(const json& list) {
  std::vector<const json*> out;
  for (const json& record : list) out.push_back(&record);
  return out;
}

// Every record type of a platform, keyed "<type>:<external id>".
Check unique_external_ids(std::string name, const json& state, const char* platform, const char* field) {
  std::vector<const json*> list;
  std::vector<json> keyed;
  if (state.contains(platform) && state[platform].is_object()) {
    for (const auto& [type, items] : state[platform].items()) {
      if (!items.is_array()) continue;
      for (const json& record : items) {
        const std::string id = text(record, field);
        if (!id.empty()) keyed.push_back(json{{"key", type + ":" + id}});
      }
    }
  }
  for (const json& k : keyed) list.push_back(&k);
  return unique_by(std::move(name), list, [](const json& k) { return k["key"].get<std::string>(); });
}

// Minor units of a major amount in `currency` (ISO 4217 exponents of the common currencies).
std::int64_t minor_units(double major, const std::string& currency) {
  static const std::set<std::string> kZero{"bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga",
                                           "pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf"};
  static const std::set<std::string> kThree{"bhd", "jod", "kwd", "omr", "tnd"};
  const double factor = kZero.count(currency) ? 1 : kThree.count(currency) ? 1000 : 100;
  return static_cast<std::int64_t>(std::llround(major * factor));
}

// A NetSuite currency as a lower-case code: "USD", {"refName": "USD"} or {"id": "usd"}.
// A NetSuite record's currency as an ISO code: a reference names the currency by internal id,
// which the sandbox account's currency table turns into its code.
std::string netsuite_currency(const json& record) {
  const auto it = record.find("currency");
  if (it == record.end()) return "";
  std::string id;
  if (it->is_string()) id = it->get<std::string>();
  if (it->is_object()) id = text(*it, "id");
  if (const auto code = sandbox::netsuite::sandbox_currency_code(id); !code.empty()) return std::string(code);
  return lower(id);
}

double netsuite_total(const json& record) {
  const auto it = record.find("total");
  return it != record.end() && it->is_number() ? it->get<double>() : std::nan("");
}

// Stripe objects (invoices, credit notes) posted to NetSuite under their own id as externalId,
// once, with the same amount and currency.
Check posted_once(std::string name, const std::vector<const json*>& billing, const json& erp,
                  const char* amount_field) {
  std::map<std::string, std::vector<const json*>> by_external;
  for (const json& record : erp) by_external[text(record, "externalId")].push_back(&record);
  Check check{std::move(name), true, static_cast<std::int64_t>(billing.size()), 0, json::array()};
  std::int64_t matching = 0;
  for (const json* object : billing) {
    const std::string id = text(*object, "id");
    const auto found = by_external.find(id);
    const std::size_t copies = found == by_external.end() ? 0 : found->second.size();
    if (copies != 1) {
      add_example(check, {{"stripe", id}, {"netsuite_records", copies}});
      continue;
    }
    const json& posted = *found->second.front();
    const std::string currency = text(*object, "currency");
    const std::int64_t amount = integer(*object, amount_field);
    const double total = netsuite_total(posted);
    const bool same_amount = !std::isnan(total) && minor_units(total, currency) == amount;
    const bool same_currency = netsuite_currency(posted) == currency;
    if (same_amount && same_currency) {
      ++matching;
    } else {
      add_example(check, {{"stripe", id},
                          {"amount", amount},
                          {"currency", currency},
                          {"netsuite_id", posted.value("id", json())},
                          {"netsuite_total", std::isnan(total) ? json() : json(total)},
                          {"netsuite_currency", netsuite_currency(posted)}});
    }
  }
  check.actual = matching;
  check.ok = matching == static_cast<std::int64_t>(billing.size());
  return check;
}

// Every NetSuite customer on hold (creditHoldOverride ON) is marked held on its Stripe customer
// (metadata.credit_hold "on"), and every one explicitly off (OFF) is not; AUTO is NetSuite's
// own computation and is left out.
Check holds_reached_billing(const json& state) {
  std::map<std::string, const json*> stripe_by_id;
  for (const json& customer : records(state, "stripe", "customers")) stripe_by_id[text(customer, "id")] = &customer;
  Check check{"credit-hold.holds_reached_billing", true, 0, 0, json::array()};
  std::int64_t expected = 0, matching = 0;
  for (const json& customer : records(state, "netsuite", "customer")) {
    const json override_value = customer.value("creditHoldOverride", json());
    std::string mode = override_value.is_object() ? text(override_value, "id")
                       : override_value.is_string() ? override_value.get<std::string>()
                                                    : std::string();
    for (auto& c : mode) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (mode != "ON" && mode != "OFF") continue;
    ++expected;
    const auto stripe = stripe_by_id.find(text(customer, "externalId"));
    const std::string held = stripe == stripe_by_id.end()
                                 ? std::string("(no Stripe customer)")
                                 : text(stripe->second->value("metadata", json::object()), "credit_hold");
    if ((mode == "ON" && held == "on") || (mode == "OFF" && (held == "off" || held.empty()))) {
      ++matching;
    } else {
      add_example(check, {{"netsuite_id", customer.value("id", json())}, {"creditHoldOverride", mode},
                          {"stripe", text(customer, "externalId")}, {"stripe_credit_hold", held}});
    }
  }
  check.expected = expected;
  check.actual = matching;
  check.ok = matching == expected;
  return check;
}

// The ticket outcome of every service credit: each non-void Stripe credit note names its
// ticket (metadata.zendesk_ticket_id), and that ticket carries the issued tag and the credit
// note's id in its field; and no ticket says a credit was issued that no credit note backs.
// So credit notes = credit memos (credit_notes_posted_once) = ticket outcomes.
Check credit_outcomes_on_tickets(const json& state) {
  std::map<std::string, const json*> tickets;
  for (const json& ticket : records(state, "zendesk", "tickets")) {
    tickets[ticket.value("id", json()).dump()] = &ticket;
  }
  auto field = [](const json& ticket, std::int64_t id) {
    for (const json& f : ticket.value("custom_fields", json::array())) {
      if (f.value("id", json()) == id && f.value("value", json()).is_string()) return f["value"].get<std::string>();
    }
    return std::string();
  };
  auto tagged = [](const json& ticket) {
    const json tags = ticket.value("tags", json::array());
    return std::find(tags.begin(), tags.end(), kCreditIssuedTag) != tags.end();
  };
  Check check{"service-credit.ticket_outcomes_match_credit_notes", true, 0, 0, json::array()};
  std::int64_t expected = 0, matching = 0;
  std::set<std::string> backed;  // tickets a live credit note names
  for (const json& note : records(state, "stripe", "credit_notes")) {
    if (text(note, "status") == "void") continue;
    ++expected;
    const std::string ticket_id = text(note.value("metadata", json::object()), "zendesk_ticket_id");
    const auto ticket = tickets.find(ticket_id.empty() ? std::string("?") : ticket_id);
    const bool ok = ticket != tickets.end() && tagged(*ticket->second) &&
                    field(*ticket->second, kCreditNoteFieldId) == text(note, "id");
    if (ok) {
      ++matching;
      backed.insert(ticket_id);
    } else {
      add_example(check, {{"credit_note", note.value("id", json())}, {"zendesk_ticket_id", ticket_id},
                          {"ticket", ticket == tickets.end() ? json() : *ticket->second}});
    }
  }
  for (const auto& [id, ticket] : tickets) {
    if (!tagged(*ticket) || backed.count(id)) continue;
    ++expected;  // an outcome with no credit note behind it
    add_example(check, {{"ticket", id}, {"issue", "tagged as issued, no credit note names it"}});
  }
  check.expected = expected;
  check.actual = matching;
  check.ok = matching == expected;
  return check;
}

// Per parent (an invoice, a charge): the sum of its children's amounts never above its own.
Check within_parent(std::string name, const json& parents, const char* parent_amount, const json& children,
                    const char* parent_field, const char* child_amount,
                    const std::function<bool(const json&)>& counts) {
  std::map<std::string, std::int64_t> taken;
  for (const json& child : children) {
    if (counts(child)) taken[text(child, parent_field)] += integer(child, child_amount);
  }
  Check check{std::move(name), true, 0, 0, json::array()};
  int over = 0;
  for (const json& parent : parents) {
    const auto it = taken.find(text(parent, "id"));
    if (it == taken.end() || it->second <= integer(parent, parent_amount)) continue;
    ++over;
    add_example(check, {{"id", parent.value("id", json())}, {parent_amount, integer(parent, parent_amount)},
                        {"taken", it->second}});
  }
  check.actual = over;
  check.ok = over == 0;
  return check;
}

// The records of NetSuite, Zendesk and Salesforce linked to a Stripe customer by the demo's
// convention (their external id is the Stripe id), per Stripe id and platform. Records linked
// by another convention (an external id that is not cus_…) are left out.
struct StripeLinks {
  std::map<std::string, std::map<std::string, std::vector<const json*>>> records;
  int count(const std::string& stripe_id, const std::string& platform) const {
    const auto customer = records.find(stripe_id);
    if (customer == records.end()) return 0;
    const auto on = customer->second.find(platform);
    return on == customer->second.end() ? 0 : static_cast<int>(on->second.size());
  }
  int total(const std::string& stripe_id) const {
    int n = 0;
    for (const char* platform : kLinkedPlatforms) n += count(stripe_id, platform);
    return n;
  }
  static constexpr std::array<const char*, 3> kLinkedPlatforms{"netsuite", "zendesk", "salesforce"};
};

StripeLinks stripe_links(const json& state) {
  StripeLinks out;
  const std::vector<std::tuple<const char*, const char*, const char*>> links{
      {"netsuite", "customer", "externalId"},
      {"zendesk", "organizations", "external_id"},
      {"salesforce", "Account", kSalesforceExternalIdField}};
  for (const auto& [platform, type, field] : links) {
    for (const json& record : records(state, platform, type)) {
      const std::string id = text(record, field);
      if (id.rfind("cus_", 0) != 0) continue;  // linked by another convention
      out.records[id][platform].push_back(&record);
    }
  }
  return out;
}

void generic_checks(const ConsistencyInput& in, Consistency& out) {
  const json& state = in.state;
  const json& customers = records(state, "stripe", "customers");
  std::set<std::string> stripe_ids;
  std::vector<const json*> live_customers;
  int scenario_customers = 0;
  for (const json& c : customers) {
    if (c.value("deleted", false)) continue;
    live_customers.push_back(&c);
    stripe_ids.insert(text(c, "id"));
    if (c.contains("metadata") && c["metadata"].is_object() && c["metadata"].contains("scenario_customer")) {
      ++scenario_customers;
    }
  }

  // Without a scenario every other check would pass on nothing.
  out.checks.push_back({"sandbox.scenario_present", scenario_customers > 0, ">= 1 scenario customer in Stripe",
                        scenario_customers, json::array()});

  out.checks.push_back(unique_by("stripe.customers_unique_by_email", live_customers,
                                 [](const json& c) { return lower(text(c, "email")); }));
  out.checks.push_back(unique_by("netsuite.customers_unique_by_external_id",
                                 all_of(records(state, "netsuite", "customer")),
                                 [](const json& c) { return text(c, "externalId"); }));
  out.checks.push_back(unique_by("zendesk.organizations_unique_by_external_id",
                                 all_of(records(state, "zendesk", "organizations")),
                                 [](const json& o) { return text(o, "external_id"); }));
  out.checks.push_back(unique_by("salesforce.accounts_unique_by_external_id",
                                 all_of(records(state, "salesforce", "Account")),
                                 [](const json& a) { return text(a, kSalesforceExternalIdField); }));

  // Every link names a Stripe customer that exists; every scenario customer is on all three.
  Check dangling{"links.resolve_to_stripe_customers", true, 0, 0, json::array()};
  const StripeLinks links = stripe_links(state);
  int dangling_links = 0;
  for (const auto& [id, by_platform] : links.records) {
    if (stripe_ids.count(id)) continue;
    for (const auto& [platform, linked_records] : by_platform) {
      for (const json* record : linked_records) {
        ++dangling_links;
        add_example(dangling, {{"platform", platform}, {"record", record->value("id", json())}, {"stripe_customer", id}});
      }
    }
  }
  dangling.actual = dangling_links;
  dangling.ok = dangling_links == 0;
  out.checks.push_back(std::move(dangling));

  Check complete{"links.scenario_customers_on_every_platform", true, 0, 0, json::array()};
  int missing = 0;
  for (const json* c : live_customers) {
    if (!c->contains("metadata") || !(*c)["metadata"].is_object() || !(*c)["metadata"].contains("scenario_customer")) {
      continue;
    }
    const int found = links.total(text(*c, "id"));
    if (found < 3) {
      ++missing;
      add_example(complete, {{"stripe_customer", text(*c, "id")}, {"linked_platforms", found}});
    }
  }
  complete.actual = missing;
  complete.ok = missing == 0;
  out.checks.push_back(std::move(complete));

  // One applied write per idempotency key: Stripe and Zendesk take the key in a header and
  // answer a repeat from the saved response (replayed). NetSuite and Salesforce log the
  // external id of an upsert as the key, where a second write is an update of the same
  // record: their doubled effects show as two records with one external id (below).
  const json requests = in.requests.value("requests", json::array());
  std::map<std::string, int> applied;
  for (const json& r : requests) {
    const std::string platform = text(r, "platform");
    const std::string key = text(r, "idempotency_key");
    const int status = r.value("status", 0);
    if (key.empty() || r.value("replayed", false) || status < 200 || status > 299) continue;
    if (platform != "stripe" && platform != "zendesk") continue;
    ++applied[platform + " " + text(r, "method") + " " + text(r, "path") + " " + key];
  }
  out.checks.push_back(repeated("effects.applied_once_per_idempotency_key", applied, "request", "applied"));
  const std::int64_t dropped = in.requests.value("dropped", 0);
  out.checks.push_back({"sandbox.request_log_complete", dropped == 0, 0, dropped, json::array()});

  out.checks.push_back(unique_external_ids("effects.netsuite_one_record_per_external_id", state, "netsuite", "externalId"));
  out.checks.push_back(unique_external_ids("effects.salesforce_one_record_per_external_id", state, "salesforce",
                                           kSalesforceExternalIdField));
  out.checks.push_back(unique_by("effects.zendesk_one_ticket_per_external_id",
                                 all_of(records(state, "zendesk", "tickets")),
                                 [](const json& t) { return text(t, "external_id"); }));
  out.checks.push_back(within_parent("effects.stripe_credit_notes_within_invoice_total",
                                     records(state, "stripe", "invoices"), "total",
                                     records(state, "stripe", "credit_notes"), "invoice", "total",
                                     [](const json& n) { return text(n, "status") != "void"; }));
  out.checks.push_back(within_parent("effects.stripe_refunds_within_charge", records(state, "stripe", "charges"),
                                     "amount", records(state, "stripe", "refunds"), "charge", "amount",
                                     [](const json& r) {
                                       const std::string s = text(r, "status");
                                       return s != "failed" && s != "canceled";
                                     }));

  const json counts = in.webhooks.value("counts", json::object());
  if (in.webhooks.value("hub_url", json()).is_null()) {
    out.skipped.push_back({"sandbox.webhooks_delivered", "the sandbox runs without --hub: webhooks are recorded, not sent"});
  } else {
    const json actual = {{"failed", counts.value("failed", 0)}, {"pending", counts.value("pending", 0)}};
    out.checks.push_back({"sandbox.webhooks_delivered", actual["failed"] == 0 && actual["pending"] == 0,
                          json{{"failed", 0}, {"pending", 0}}, actual, json::array()});
  }
}

// invoice-dispute: every chargeback (a Stripe dispute of a charge that paid an invoice) and
// every support dispute (a Zendesk ticket tagged invoice_dispute, not a chargeback's, naming an
// invoice) is linked on all three platforms with its state, and a resolved one has its outcome
// on all three — as workflows/invoice-dispute.yaml writes them: the Stripe invoice's metadata
// <kind>_zendesk_ticket / _status / _resolution, the NetSuite invoice's
// custbody_weft_<kind>_ticket / _status / _resolution (kind chargeback or dispute), the ticket's
// tags invoice_dispute_linked and, resolved, invoice_dispute_resolved. Several support tickets
// disputing one invoice share its fields: those name one of them, with that one's state.
Check disputes_linked_and_resolved(const json& state) {
  std::map<std::string, const json*> invoices, erp_invoices, charges, tickets_by_external;
  for (const json& i : records(state, "stripe", "invoices")) invoices[text(i, "id")] = &i;
  for (const json& i : records(state, "netsuite", "invoice")) erp_invoices[text(i, "externalId")] = &i;
  for (const json& c : records(state, "stripe", "charges")) charges[text(c, "id")] = &c;
  for (const json& t : records(state, "zendesk", "tickets")) tickets_by_external[text(t, "external_id")] = &t;
  const auto tagged = [](const json& ticket, const char* tag) {
    const json tags = ticket.value("tags", json::array());
    return std::find(tags.begin(), tags.end(), json(tag)) != tags.end();
  };
  const auto id_text = [](const json& ticket) { return ticket.value("id", json()).dump(); };
  // What is wrong with one dispute: the invoice's fields of `kind` must name `ticket` (one of
  // `named_any`, for support disputes) with `status`, and carry a resolution when `resolved`.
  const auto problems = [&](const std::string& kind, const std::string& invoice, const json& ticket,
                            const std::set<std::string>& tickets_of_invoice, const std::string& status,
                            bool resolved) {
    json wrong = json::array();
    if (!tagged(ticket, "invoice_dispute_linked")) wrong.push_back("ticket not tagged invoice_dispute_linked");
    if (resolved && !tagged(ticket, "invoice_dispute_resolved")) wrong.push_back("ticket not tagged invoice_dispute_resolved");
    const auto in = invoices.find(invoice);
    const auto erp = erp_invoices.find(invoice);
    if (in == invoices.end() || erp == erp_invoices.end()) {
      wrong.push_back(in == invoices.end() ? "no Stripe invoice" : "no NetSuite invoice");
      return wrong;
    }
    const json metadata = in->second->value("metadata", json::object());
    const std::string named = text(metadata, (kind + "_zendesk_ticket").c_str());
    if (!tickets_of_invoice.count(named)) wrong.push_back("Stripe invoice metadata names ticket '" + named + "'");
    if (text(*erp->second, ("custbody_weft_" + kind + "_ticket").c_str()) != named) {
      wrong.push_back("NetSuite invoice names another ticket than Stripe");
    }
    if (named != id_text(ticket) && kind == "dispute") return wrong;  // another ticket's state is checked with it
    if (text(metadata, (kind + "_status").c_str()) != status) wrong.push_back("Stripe status is not " + status);
    if (text(*erp->second, ("custbody_weft_" + kind + "_status").c_str()) != status) {
      wrong.push_back("NetSuite status is not " + status);
    }
    const bool billed = !text(metadata, (kind + "_resolution").c_str()).empty();
    const bool posted = !text(*erp->second, ("custbody_weft_" + kind + "_resolution").c_str()).empty();
    if (billed != resolved || posted != resolved) {
      wrong.push_back(resolved ? "resolution missing in Stripe or NetSuite" : "a resolution while still open");
    }
    return wrong;
  };

  Check check{"invoice-dispute.linked_and_resolved_everywhere", true, 0, 0, json::array()};
  std::int64_t expected = 0, matching = 0;
  const auto judge = [&](json example, const json& wrong) {
    ++expected;
    if (wrong.empty()) {
      ++matching;
    } else {
      example["problems"] = wrong;
      add_example(check, std::move(example));
    }
  };

  for (const json& dispute : records(state, "stripe", "disputes")) {
    const auto charge = charges.find(text(dispute, "charge"));
    const std::string invoice = charge == charges.end() ? "" : text(*charge->second, "invoice");
    if (invoice.empty()) continue;  // a charge that paid no invoice: nothing to link
    const std::string status = text(dispute, "status");
    const bool resolved = status == "won" || status == "lost" || status == "warning_closed" || status == "charge_refunded";
    const auto ticket = tickets_by_external.find(text(dispute, "id"));
    json example = {{"dispute", text(dispute, "id")}, {"invoice", invoice}};
    if (ticket == tickets_by_external.end()) {
      judge(std::move(example), json::array({"no ticket with the dispute as external_id"}));
      continue;
    }
    judge(std::move(example), problems("chargeback", invoice, *ticket->second, {id_text(*ticket->second)}, status, resolved));
  }

  std::map<std::string, std::vector<const json*>> support_by_invoice;
  for (const json& t : records(state, "zendesk", "tickets")) {
    if (!tagged(t, kInvoiceDisputeTag) || tagged(t, "chargeback")) continue;
    for (const json& field : t.value("custom_fields", json::array())) {
      if (field.value("id", json()) == json(kInvoiceFieldId) && field.value("value", json()).is_string()) {
        support_by_invoice[field["value"].get<std::string>()].push_back(&t);
      }
    }
  }
  for (const auto& [invoice, tickets] : support_by_invoice) {
    std::set<std::string> ids;
    for (const json* t : tickets) ids.insert(id_text(*t));
    for (const json* t : tickets) {
      const std::string status = text(*t, "status");
      const bool resolved = status == "solved" || status == "closed";
      judge({{"ticket", t->value("id", json())}, {"invoice", invoice}},
            problems("dispute", invoice, *t, ids, resolved ? "resolved" : "open", resolved));
    }
  }
  check.expected = expected;
  check.actual = matching;
  check.ok = matching == expected;
  return check;
}

// Every Stripe refund that took money back (not failed or canceled) is in NetSuite once as a
// customer refund with the refund id as externalId, for the same amount and currency.
Check refunds_posted_once(const json& state) {
  std::vector<const json*> made;
  for (const json& refund : records(state, "stripe", "refunds")) {
    const std::string status = text(refund, "status");
    if (status != "failed" && status != "canceled") made.push_back(&refund);
  }
  return posted_once("refund.refunds_posted_once", made, records(state, "netsuite", "customerRefund"), "amount");
}

// Every Salesforce opportunity closed won is billed once — one live Stripe subscription that
// names it (metadata.salesforce_opportunity_id), written back on the opportunity, and one
// NetSuite sales order under the subscription's id — or its run failed for good: the workflow's
// compensation marks the opportunity's billing status `exception` (an open exception), and then
// no live subscription is left. And no sales order of such a subscription has open lines
// while the subscription is not live: the ERP is never posted ahead of billing. The field
// names are workflows/quote-to-cash.yaml's vars.
Check closed_won_billed_once(const json& state) {
  static const std::set<std::string> kLive{"active", "trialing", "past_due"};
  std::map<std::string, std::vector<const json*>> subscriptions_of;  // opportunity id → subscriptions
  for (const json& sub : records(state, "stripe", "subscriptions")) {
    const std::string opportunity = text(sub.value("metadata", json::object()), "salesforce_opportunity_id");
    if (!opportunity.empty()) subscriptions_of[opportunity].push_back(&sub);
  }
  std::map<std::string, std::vector<const json*>> orders_of;  // externalId → sales orders
  for (const json& order : records(state, "netsuite", "salesOrder")) {
    orders_of[text(order, "externalId")].push_back(&order);
  }
  auto open_lines = [](const json& order) {
    const json lines = order.value("item", json::object()).value("items", json::array());
    return std::any_of(lines.begin(), lines.end(), [](const json& line) { return !line.value("isClosed", false); });
  };

  Check check{"quote-to-cash.closed_won_billed_once", true, 0, 0, json::array()};
  std::int64_t won = 0, billed = 0;
  for (const json& opportunity : records(state, "salesforce", "Opportunity")) {
    if (!opportunity.value("IsWon", false)) continue;
    ++won;
    const std::string id = text(opportunity, "Id");
    std::vector<const json*> live;
    for (const json* sub : subscriptions_of[id]) {
      if (kLive.count(text(*sub, "status"))) live.push_back(sub);
    }
    const std::string status = text(opportunity, "Weft_Billing_Status__c");
    bool ok = false;
    if (status == "exception") {
      ok = live.empty();
    } else if (live.size() == 1) {
      const std::string sub = text(*live[0], "id");
      ok = text(opportunity, "Stripe_Subscription_Id__c") == sub && orders_of[sub].size() == 1;
    }
    if (ok) {
      ++billed;
    } else {
      json subs = json::array();
      for (const json* sub : subscriptions_of[id]) {
        subs.push_back({{"id", text(*sub, "id")}, {"status", text(*sub, "status")}});
      }
      add_example(check, {{"opportunity", id}, {"billing_status", status}, {"subscriptions", std::move(subs)},
                          {"written_back", text(opportunity, "Stripe_Subscription_Id__c")}});
    }
  }
  std::int64_t posted_ahead = 0;
  for (const auto& [opportunity, subs] : subscriptions_of) {
    for (const json* sub : subs) {
      if (kLive.count(text(*sub, "status"))) continue;
      for (const json* order : orders_of[text(*sub, "id")]) {
        if (!open_lines(*order)) continue;
        ++posted_ahead;
        add_example(check, {{"opportunity", opportunity},
                            {"subscription", text(*sub, "id")},
                            {"subscription_status", text(*sub, "status")},
                            {"open_sales_order", order->value("id", json())}});
      }
    }
  }
  check.expected = won;
  check.actual = billed;
  check.ok = billed == won && posted_ahead == 0;
  return check;
}

// Every Zendesk ticket tagged replacement_request has exactly one outcome: ordered (the tag
// replacement_ordered and exactly one NetSuite sales order with externalId
// zd-<ticket id>-replacement) or refused (the tag replacement_refused and no such order). The
// tags and the external id are workflows/replacement-order.yaml's.
Check replacements_have_one_outcome(const json& state) {
  std::map<std::string, int> orders;
  for (const json& order : records(state, "netsuite", "salesOrder")) ++orders[text(order, "externalId")];
  Check check{"replacement-order.one_outcome_per_ticket", true, 0, 0, json::array()};
  std::int64_t expected = 0, matching = 0;
  for (const json& ticket : records(state, "zendesk", "tickets")) {
    const json tags = ticket.value("tags", json::array());
    const auto tagged = [&](const char* tag) { return tags.is_array() && std::count(tags.begin(), tags.end(), tag) > 0; };
    if (!tagged(kReplacementRequestTag)) continue;
    ++expected;
    const json raw_id = ticket.value("id", json());
    const std::string id = raw_id.is_string() ? raw_id.get<std::string>() : raw_id.dump();
    const auto found = orders.find("zd-" + id + "-replacement");
    const int copies = found == orders.end() ? 0 : found->second;
    const bool ordered = tagged("replacement_ordered"), refused = tagged("replacement_refused");
    if ((ordered && !refused && copies == 1) || (refused && !ordered && copies == 0)) {
      ++matching;
    } else {
      add_example(check, {{"ticket", ticket.value("id", json())}, {"ordered_tag", ordered}, {"refused_tag", refused},
                          {"netsuite_sales_orders", copies}});
    }
  }
  check.expected = expected;
  check.actual = matching;
  check.ok = matching == expected;
  return check;
}

// customer-sync: every live Stripe customer has exactly one NetSuite customer, one Zendesk
// organization and one Salesforce Account linked to it (none missing, none doubled).
Check customers_on_every_platform(const json& state) {
  const StripeLinks links = stripe_links(state);
  Check check{"customer-sync.customers_on_every_platform", true, 0, 0, json::array()};
  std::int64_t expected = 0, complete = 0;
  for (const json& customer : records(state, "stripe", "customers")) {
    if (customer.value("deleted", false)) continue;
    ++expected;
    const std::string id = text(customer, "id");
    json counts = json::object();
    bool once_each = true;
    for (const char* platform : StripeLinks::kLinkedPlatforms) {
      counts[platform] = links.count(id, platform);
      once_each = once_each && links.count(id, platform) == 1;
    }
    if (once_each) {
      ++complete;
    } else {
      add_example(check, {{"stripe_customer", id}, {"linked_records", std::move(counts)}});
    }
  }
  check.expected = expected;
  check.actual = complete;
  check.ok = complete == expected;
  return check;
}

void workflow_checks(const ConsistencyInput& in, Consistency& out) {
  auto when_loaded = [&](const std::string& workflow, const std::string& name, const std::function<Check()>& make) {
    if (in.workflows.count(workflow)) {
      out.checks.push_back(make());
    } else {
      out.skipped.push_back({name, "workflow " + workflow + " is not loaded in the hub"});
    }
  };
  when_loaded("invoice-posting", "invoice-posting.stripe_invoices_posted_once", [&] {
    std::vector<const json*> finalized;
    for (const json& invoice : records(in.state, "stripe", "invoices")) {
      const std::string status = text(invoice, "status");
      if (status == "open" || status == "paid" || status == "uncollectible") finalized.push_back(&invoice);
    }
    return posted_once("invoice-posting.stripe_invoices_posted_once", finalized,
                       records(in.state, "netsuite", "invoice"), "total");
  });
  when_loaded("credit-hold", "credit-hold.holds_reached_billing", [&] { return holds_reached_billing(in.state); });
  when_loaded("service-credit", "service-credit.credit_notes_posted_once", [&] {
    std::vector<const json*> notes;
    for (const json& note : records(in.state, "stripe", "credit_notes")) {
      if (text(note, "status") != "void") notes.push_back(&note);
    }
    return posted_once("service-credit.credit_notes_posted_once", notes, records(in.state, "netsuite", "creditMemo"),
                       "total");
  });
  when_loaded("service-credit", "service-credit.ticket_outcomes_match_credit_notes",
              [&] { return credit_outcomes_on_tickets(in.state); });
  when_loaded("invoice-dispute", "invoice-dispute.linked_and_resolved_everywhere",
              [&] { return disputes_linked_and_resolved(in.state); });
  when_loaded("refund", "refund.refunds_posted_once", [&] { return refunds_posted_once(in.state); });
  when_loaded("quote-to-cash", "quote-to-cash.closed_won_billed_once",
              [&] { return closed_won_billed_once(in.state); });
  when_loaded("replacement-order", "replacement-order.one_outcome_per_ticket",
              [&] { return replacements_have_one_outcome(in.state); });
  when_loaded("customer-sync", "customer-sync.customers_on_every_platform",
              [&] { return customers_on_every_platform(in.state); });
}

}  // namespace

bool Consistency::ok() const {
  return std::all_of(checks.begin(), checks.end(), [](const Check& c) { return c.ok; });
}

Consistency check_consistency(const ConsistencyInput& input) {
  Consistency out;
  generic_checks(input, out);
  workflow_checks(input, out);
  return out;
}

json to_json(const Consistency& consistency) {
  json checks = json::array();
  for (const Check& c : consistency.checks) {
    json entry = {{"name", c.name}, {"ok", c.ok}, {"expected", c.expected}, {"actual", c.actual}};
    if (!c.examples.empty()) entry["examples"] = c.examples;
    checks.push_back(std::move(entry));
  }
  json skipped = json::array();
  for (const SkippedCheck& s : consistency.skipped) skipped.push_back({{"name", s.name}, {"reason", s.reason}});
  return {{"ok", consistency.ok()}, {"checks", std::move(checks)}, {"skipped", std::move(skipped)}};
}

}  // namespace weft::scenario
