// Record create/read/update/upsert/delete and lists, SuiteQL, and the webhooks Weft's
// SuiteScript relay would post for each change.

#include <algorithm>
#include <cctype>
#include <cmath>
#include <set>

#include "connectors/netsuite/netsuite_webhook.hpp"
#include "connectors/relayed_webhook.hpp"
#include "connectors/weft_signature.hpp"
#include "core/time_format.hpp"
#include "crypto/hmac.hpp"
#include "sandbox/netsuite/netsuite_http.hpp"
#include "sandbox/netsuite/netsuite_suiteql.hpp"

namespace weft::sandbox::netsuite {

namespace {

const std::set<std::string> kReadOnly = {"id", "links", "lastModifiedDate", "dateCreated", "total"};

bool valid_external_id(std::string_view id) {
  return !id.empty() && id.size() <= 255 && std::all_of(id.begin(), id.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
  });
}

bool is_sublist(const Json& value) { return value.is_object() && value.contains("items"); }
bool is_reference(const Json& value) {
  return value.is_object() && !value.contains("items") && (value.contains("id") || value.contains("externalId"));
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

const char* tran_prefix(std::string_view type) {
  if (type == "invoice") return "INV";
  if (type == "creditMemo") return "CM";
  if (type == "salesOrder") return "SO";
  if (type == "customerPayment") return "PYMT";
  if (type == "customerRefund") return "RFND";
  if (type == "journalEntry") return "JE";
  return "";
}

const char* suiteql_type(std::string_view type) {
  if (type == "invoice") return "CustInvc";
  if (type == "creditMemo") return "CustCred";
  if (type == "salesOrder") return "SalesOrd";
  if (type == "customerPayment") return "CustPymt";
  if (type == "customerRefund") return "CustRfnd";
  if (type == "journalEntry") return "Journal";
  return "";
}

std::optional<double> number_of(const Json& v) {
  if (v.is_number()) return v.get<double>();
  return std::nullopt;
}

std::string money(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

// The field the relay reports as changed: every top-level key whose value differs.
std::vector<std::string> changed_keys(const Json& before, const Json& after) {
  std::vector<std::string> out;
  for (const auto& [key, value] : after.items()) {
    if (key == "lastModifiedDate" || key == "dateCreated") continue;
    if (before.value(key, Json(nullptr)) != value) out.push_back(key);
  }
  return out;
}

}  // namespace

Json* NetSuiteEmulator::find(const std::string& type, const std::string& key) {
  auto& table = records_[type];
  if (key.starts_with("eid:")) {
    const std::string eid = key.substr(4);
    for (auto& [id, record] : table) {
      if (record.value("externalId", Json(nullptr)) == Json(eid)) return &record;
    }
    return nullptr;
  }
  const auto id = parse_unix_seconds(key);
  if (!id) return nullptr;
  const auto it = table.find(*id);
  return it == table.end() ? nullptr : &it->second;
}

Result<std::vector<std::string>, http::Response> NetSuiteEmulator::write(
    Call& call, const std::string& type, Json& record, const Json& body, bool creating) {
  const auto invalid = [](std::string detail, std::string path) {
    return fail(error_response(400, "INVALID_CONTENT", "Error while accessing resource: " + detail, path));
  };
  const auto user_error = [](std::string detail) {
    return fail(error_response(400, "USER_ERROR", "Error while accessing resource: " + detail));
  };
  if (!record.is_object()) record = Json::object();
  const Json before = record;
  Json updated = record;
  const auto replace = call.param("replace").value_or("");
  const auto replaced = [&](const std::string& name) {
    std::string_view rest = replace;
    while (!rest.empty()) {
      const auto comma = rest.find(',');
      if (rest.substr(0, comma) == name) return true;
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    }
    return false;
  };
  // A reference to a customer: {"id": "14"} or {"externalId": "CID001"}, which must exist.
  const auto customer_ref = [&](const Json& ref, const std::string& field) -> Result<Json, http::Response> {
    Json* found = nullptr;
    std::string shown;
    if (ref.contains("id")) {
      shown = ref["id"].is_string() ? ref["id"].get<std::string>() : ref["id"].dump();
      found = find("customer", shown);
    } else if (ref.contains("externalId") && ref["externalId"].is_string()) {
      shown = ref["externalId"].get<std::string>();
      found = find("customer", "eid:" + shown);
    }
    if (!found) {
      return fail(error_response(400, "INVALID_CONTENT",
                                 "Error while accessing resource: You have entered an Invalid Field Value " +
                                     shown + " for the following field: " + field, field));
    }
    return Json{{"id", (*found)["id"]}};
  };

  for (const auto& [key, value] : body.items()) {
    if (kReadOnly.contains(key)) {
      if (key == "id" && creating) continue;  // tolerated on create, as NetSuite ignores it
      return invalid("the field " + key + " is read-only.", key);
    }
    if (key == "externalId") {
      if (!value.is_string() || !valid_external_id(value.get<std::string>())) {
        return invalid("externalId may hold only letters, digits, '_' and '-'.", key);
      }
      for (const auto& [id, other] : records_[type]) {
        if (other.value("externalId", Json(nullptr)) == value && other.value("id", "") != record.value("id", "")) {
          return user_error("A " + type + " with the external ID " + value.get<std::string>() + " already exists.");
        }
      }
      updated[key] = value;
    } else if (is_sublist(value)) {
      if (!value["items"].is_array()) return invalid(key + ".items must be an array.", key + ".items");
      Json lines = creating || replaced(key) || !updated.contains(key) ? Json::array() : updated[key]["items"];
      for (const auto& line : value["items"]) {
        if (!line.is_object()) return invalid("every line of " + key + " must be an object.", key + ".items");
        Json copy = line;
        for (const char* number : {"quantity", "rate", "amount", "debit", "credit"}) {
          if (copy.contains(number) && !copy[number].is_number() && !copy[number].is_null()) {
            return invalid("You have entered an Invalid Field Value " + copy[number].dump() +
                               " for the following field: " + number,
                           key + ".items[" + std::to_string(lines.size()) + "]." + number);
          }
        }
        if (key == "item" && !copy.contains("amount") && copy.contains("quantity") && copy.contains("rate")) {
          copy["amount"] = copy["quantity"].get<double>() * copy["rate"].get<double>();
        }
        lines.push_back(copy);
      }
      updated[key] = Json{{"items", lines}};
    } else if (is_reference(value)) {
      if ((key == "entity" && type != "journalEntry") ||
          (key == "customer" && (type == "customerPayment" || type == "customerRefund"))) {
        auto ref = customer_ref(value, key);
        if (!ref) return fail(std::move(ref).error());
        updated[key] = *ref;
      } else {
        Json ref = value;
        if (ref.contains("id") && ref["id"].is_number_integer()) ref["id"] = std::to_string(ref["id"].get<std::int64_t>());
        updated[key] = ref;
      }
    } else if (value.is_object() || value.is_array()) {
      return invalid("the field " + key + " must be a value, a reference {\"id\": …} or a sublist {\"items\": […]}.", key);
    } else if (key == "creditHoldOverride") {
      if (!value.is_string() || (value != "AUTO" && value != "ON" && value != "OFF")) {
        return invalid("You have entered an Invalid Field Value " + value.dump() +
                           " for the following field: creditHoldOverride (AUTO, ON or OFF)", key);
      }
      updated[key] = value;
    } else if (key == "creditLimit" || key == "payment" || key == "amount") {
      if (!value.is_null() && (!value.is_number() || value.get<double>() < 0)) {
        return invalid("You have entered an Invalid Field Value " + value.dump() + " for the following field: " + key, key);
      }
      updated[key] = value;
    } else if (key == "isInactive" || key == "isPerson") {
      if (!value.is_boolean()) return invalid("the field " + key + " must be true or false.", key);
      updated[key] = value;
    } else if (key == "tranDate") {
      if (!value.is_string() || value.get<std::string>().size() != 10 ||
          !parse_iso8601_ms(value.get<std::string>() + "T00:00:00Z")) {
        return invalid("tranDate must be a date such as 2024-05-01.", key);
      }
      updated[key] = value;
    } else if (key == "email") {
      if (!value.is_null() && (!value.is_string() || value.get<std::string>().find('@') == std::string::npos)) {
        return user_error("Please enter a valid email address.");
      }
      updated[key] = value;
    } else {
      updated[key] = value;  // other standard and custom (cust…) fields: stored as given
    }
  }

  // What each record type requires, and what NetSuite fills in.
  const std::string id = creating ? std::to_string(next_id_) : updated.value("id", "");
  if (type == "customer") {
    const bool person = updated.value("isPerson", Json(false)) == Json(true);
    const auto blank = [&](const char* f) {
      const Json v = updated.value(f, Json(nullptr));
      return !v.is_string() || v.get<std::string>().empty();
    };
    if (person && (blank("firstName") || blank("lastName"))) return user_error("Please enter value(s) for: First Name, Last Name");
    if (!person && blank("companyName")) return user_error("Please enter value(s) for: Company Name");
    if (!updated.contains("entityId")) {
      updated["entityId"] = person ? updated["firstName"].get<std::string>() + " " + updated["lastName"].get<std::string>()
                                   : updated["companyName"].get<std::string>();
    }
    if (!updated.contains("creditHoldOverride")) updated["creditHoldOverride"] = "AUTO";
    if (!updated.contains("isInactive")) updated["isInactive"] = false;
    if (!updated.contains("isPerson")) updated["isPerson"] = false;
  } else {
    if ((type == "invoice" || type == "creditMemo" || type == "salesOrder") && !updated.contains("entity")) {
      return user_error("Please enter value(s) for: Customer");
    }
    if ((type == "customerPayment" || type == "customerRefund") && !updated.contains("customer")) {
      return user_error("Please enter value(s) for: Customer");
    }
    if (type == "invoice" || type == "creditMemo" || type == "salesOrder") {
      const Json items = updated.contains("item") ? updated["item"]["items"] : Json::array();
      if (items.empty()) return user_error("You must enter at least one line item for this transaction.");
      double total = 0;
      for (std::size_t i = 0; i < items.size(); ++i) {
        if (!is_reference(items[i].value("item", Json(nullptr)))) {
          return invalid("Please enter value(s) for: Item", "item.items[" + std::to_string(i) + "].item");
        }
        total += number_of(items[i].value("amount", Json(0))).value_or(0);
      }
      updated["total"] = total;
    }
    if (type == "customerRefund" && updated.contains("apply")) {
      // NetSuite computes a refund's total from the customer's credits it applies (a credit
      // memo, an unapplied payment): each applied line names one of them by `doc`.
      const Json lines = updated["apply"]["items"];
      double total = 0;
      for (std::size_t i = 0; i < lines.size(); ++i) {
        if (lines[i].value("apply", Json(true)) == Json(false)) continue;
        const std::string where = "apply.items[" + std::to_string(i) + "]";
        const Json doc = lines[i].value("doc", Json(nullptr));
        const std::string doc_id = doc.is_object() && doc.contains("id")
                                       ? (doc["id"].is_string() ? doc["id"].get<std::string>() : doc["id"].dump())
                                       : std::string();
        const Json* credit = nullptr;
        for (const char* credit_type : {"creditMemo", "customerPayment"}) {
          if (credit == nullptr && !doc_id.empty()) credit = find(credit_type, doc_id);
        }
        const char* owner = credit != nullptr && credit->contains("entity") ? "entity" : "customer";
        if (credit == nullptr || credit->value(owner, Json::object()).value("id", Json(nullptr)) !=
                                     updated["customer"].value("id", Json(nullptr))) {
          return invalid("You have entered an Invalid Field Value " + doc.dump() +
                             " for the following field: doc (a credit memo or payment of the refund's customer)",
                         where + ".doc");
        }
        total += number_of(lines[i].value("amount", Json(0))).value_or(0);
      }
      updated["total"] = total;
    }
    if (type == "customerPayment" && !updated.value("payment", Json(nullptr)).is_number()) {
      return user_error("Please enter value(s) for: Payment Amount");
    }
    if (type == "journalEntry") {
      const Json lines = updated.contains("line") ? updated["line"]["items"] : Json::array();
      if (lines.size() < 2) return user_error("You must enter at least two lines for a journal entry.");
      double debits = 0, credits = 0;
      for (std::size_t i = 0; i < lines.size(); ++i) {
        if (!is_reference(lines[i].value("account", Json(nullptr)))) {
          return invalid("Please enter value(s) for: Account", "line.items[" + std::to_string(i) + "].account");
        }
        debits += number_of(lines[i].value("debit", Json(0))).value_or(0);
        credits += number_of(lines[i].value("credit", Json(0))).value_or(0);
      }
      if (std::fabs(debits - credits) > 0.005) {
        return user_error("The transaction is not in balance: debits " + money(debits) + ", credits " + money(credits) + ".");
      }
    }
    if (!updated.contains("tranId")) updated["tranId"] = std::string(tran_prefix(type)) + id;
    if (!updated.contains("tranDate")) updated["tranDate"] = netsuite_datetime(call.now).substr(0, 10);
  }

  const std::string stamp = netsuite_datetime(call.now);
  if (creating) {
    ++next_id_;
    Json fresh{{"id", id}, {"externalId", updated.value("externalId", Json(nullptr))}, {"dateCreated", stamp},
               {"lastModifiedDate", stamp}};
    for (const auto& [key, value] : updated.items()) {
      if (!fresh.contains(key)) fresh[key] = value;
    }
    updated = std::move(fresh);
  }
  auto changed = changed_keys(before, updated);
  if (!changed.empty() || creating) updated["lastModifiedDate"] = stamp;
  record = std::move(updated);
  return changed;
}

Json NetSuiteEmulator::render(const Call& call, const std::string& type, const Json& record, bool expand) const {
  const std::string self = call.record_url(type) + "/" + record.value("id", "");
  Json out{{"links", Json::array({Json{{"rel", "self"}, {"href", self}}})}};
  for (const auto& [key, value] : record.items()) {
    if (is_sublist(value)) {
      Json sub{{"links", Json::array({Json{{"rel", "self"}, {"href", self + "/" + key}}})}};
      if (expand) {
        sub["items"] = value["items"];
        sub["totalResults"] = value["items"].size();
        sub["count"] = value["items"].size();
        sub["hasMore"] = false;
        sub["offset"] = 0;
      }
      out[key] = sub;
    } else if (is_reference(value) && (key == "entity" || key == "customer") && value.contains("id")) {
      const auto customers = records_.find("customer");
      Json ref{{"links", Json::array({Json{{"rel", "self"}, {"href", call.record_url("customer") + "/" + value["id"].get<std::string>()}}})},
               {"id", value["id"]}};
      if (customers != records_.end()) {
        const auto id = parse_unix_seconds(value["id"].get<std::string>());
        if (const auto it = id ? customers->second.find(*id) : customers->second.end(); it != customers->second.end()) {
          ref["refName"] = it->second.value("entityId", Json(nullptr));
        }
      }
      out[key] = ref;
    } else {
      out[key] = value;
    }
  }
  return out;
}

void NetSuiteEmulator::send_webhook(const std::string& type, const std::string& action, const Json& record,
                                    std::vector<std::string> changed_fields) {
  const http::Request none;
  Call call{none, {}, {}, "http://127.0.0.1:7171", clock_->now()};
  // The id Weft's relay sends: the record version (connectors/relayed_webhook.hpp).
  const nlohmann::json plain(record);  // the fingerprint reads values by name, not in order
  const std::string id = connectors::relayed_event_id(type, record.value("id", ""), action,
                                                      record.value("lastModifiedDate", ""), &plain,
                                                      connectors::netsuite::kVersionField)
                             .value_or("ns_evt_" + crypto::random_hex(12));
  const Json body{{"id", id},
                  {"type", type + "." + action},
                  {"occurred_at", format_iso8601_ms(clock_->unix_millis())},
                  {"record_type", type},
                  {"record_id", record.value("id", "")},
                  {"external_id", record.value("externalId", Json(nullptr))},
                  {"changed_fields", std::move(changed_fields)},
                  {"record", render(call, type, record, true)}};
  Webhook webhook;
  webhook.platform = platform_;
  webhook.event_id = id;
  webhook.body = body.dump();
  webhook.headers = [secret = credentials_.netsuite_webhook_secret,
                     payload = webhook.body](std::chrono::system_clock::time_point now) {
    http::Headers headers;
    headers.add("Content-Type", "application/json");
    headers.add("User-Agent", "Mozilla/5.0 (compatible; NetSuite SuiteScript)");
    const auto t = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
    // Weft's SuiteScript relay signs with X-Weft-Signature (connectors/weft_signature.hpp).
    headers.add(std::string(connectors::kWeftSignatureHeader),
                connectors::TimestampedSignatureVerifier::sign(secret, t, payload));
    return headers;
  };
  outbox_.post(std::move(webhook));
}

namespace {

Result<Json, http::Response> parse_body(const http::Request& request) {
  Json body;
  try {
    body = Json::parse(request.body);
  } catch (const Json::parse_error& e) {
    return fail(error_response(400, "INVALID_CONTENT", std::string("Invalid content in the request body: ") + e.what()));
  }
  if (!body.is_object()) {
    return fail(error_response(400, "INVALID_CONTENT", "Invalid content in the request body: a record must be a JSON object."));
  }
  return body;
}

http::Response created(const std::string& location) {
  http::Response response = no_content();
  response.headers.set("Location", location);
  return response;
}

}  // namespace

http::Response NetSuiteEmulator::create(Call& call, const std::string& type) {
  auto body = parse_body(call.request);
  if (!body) return std::move(body).error();
  Json record;
  auto changed = write(call, type, record, *body, true);
  if (!changed) return std::move(changed).error();
  const std::int64_t id = std::stoll(record["id"].get<std::string>());
  records_[type][id] = record;
  send_webhook(type, "created", record, std::move(*changed));
  return created(call.record_url(type) + "/" + std::to_string(id));
}

http::Response NetSuiteEmulator::read(Call& call, const std::string& type, const std::string& key) {
  const Json* record = find(type, key);
  if (!record) {
    return error_response(404, "RCRD_DSNT_EXIST", "Record does not exist. The record instance does not exist.");
  }
  Json out = render(call, type, *record, call.param("expandSubResources") == std::optional<std::string>("true"));
  if (const auto fields = call.param("fields")) {
    Json narrow{{"links", out["links"]}};
    std::string_view rest = *fields;
    while (!rest.empty()) {
      const auto comma = rest.find(',');
      const std::string name(rest.substr(0, comma));
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
      if (out.contains(name)) narrow[name] = out[name];
    }
    narrow["id"] = out["id"];
    out = std::move(narrow);
  }
  return json_response(200, out);
}

http::Response NetSuiteEmulator::patch(Call& call, const std::string& type, const std::string& key) {
  Json* record = find(type, key);
  if (!record) return error_response(404, "RCRD_DSNT_EXIST", "Record does not exist. The record instance does not exist.");
  auto body = parse_body(call.request);
  if (!body) return std::move(body).error();
  auto changed = write(call, type, *record, *body, false);
  if (!changed) return std::move(changed).error();
  if (!changed->empty()) send_webhook(type, "updated", *record, std::move(*changed));
  return no_content();
}

http::Response NetSuiteEmulator::upsert(Call& call, const std::string& type, const std::string& key) {
  if (!key.starts_with("eid:")) {
    return error_response(400, "INVALID_CONTENT",
                          "PUT (upsert) takes an external ID in the path (…/" + type +
                              "/eid:<externalId>); update by internal ID with PATCH.");
  }
  const std::string eid = key.substr(4);
  if (!valid_external_id(eid)) {
    return error_response(400, "INVALID_CONTENT", "externalId may hold only letters, digits, '_' and '-'.");
  }
  auto body = parse_body(call.request);
  if (!body) return std::move(body).error();
  if (body->contains("externalId") && (*body)["externalId"] != Json(eid)) {
    return error_response(400, "INVALID_CONTENT",
                          "Error while accessing resource: the body's externalId differs from the one in the path.",
                          "externalId");
  }
  (*body)["externalId"] = eid;
  if (Json* record = find(type, key)) {
    auto changed = write(call, type, *record, *body, false);
    if (!changed) return std::move(changed).error();
    if (!changed->empty()) send_webhook(type, "updated", *record, std::move(*changed));
    return created(call.record_url(type) + "/" + (*record)["id"].get<std::string>());
  }
  Json record;
  auto changed = write(call, type, record, *body, true);
  if (!changed) return std::move(changed).error();
  const std::string id = record["id"];
  records_[type][std::stoll(id)] = record;
  send_webhook(type, "created", record, std::move(*changed));
  return created(call.record_url(type) + "/" + id);
}

http::Response NetSuiteEmulator::remove(Call& /*call*/, const std::string& type, const std::string& key) {
  Json* record = find(type, key);
  if (!record) return error_response(404, "RCRD_DSNT_EXIST", "Record does not exist. The record instance does not exist.");
  const Json gone = *record;
  records_[type].erase(std::stoll(gone["id"].get<std::string>()));
  send_webhook(type, "deleted", gone, {});
  return no_content();
}

namespace {

Result<std::size_t, http::Response> paging_param(const std::optional<std::string>& text, std::size_t fallback,
                                                 std::size_t max, const char* name) {
  if (!text) return fallback;
  const auto value = parse_unix_seconds(*text);
  if (!value || static_cast<std::size_t>(*value) > max || (std::string_view(name) == "limit" && *value == 0)) {
    return fail(error_response(400, "INVALID_PARAMETER",
                               std::string("Invalid query parameter value: ") + name + " must be a whole number" +
                                   (std::string_view(name) == "limit" ? " from 1 to 1000." : " of 0 or more.")));
  }
  return static_cast<std::size_t>(*value);
}

// The envelope NetSuite puts around collections (record lists and SuiteQL).
Json collection(const std::string& self, const url::Pairs& query, Json items, std::size_t offset,
                std::size_t limit, std::size_t total) {
  const auto link = [&](std::size_t at) {
    url::Pairs pairs;
    for (const auto& p : query) {
      if (p.first != "limit" && p.first != "offset") pairs.push_back(p);
    }
    pairs.emplace_back("limit", std::to_string(limit));
    pairs.emplace_back("offset", std::to_string(at));
    return self + "?" + url::join_pairs(pairs);
  };
  const bool has_more = offset + items.size() < total;
  Json links = Json::array();
  if (offset > 0) links.push_back(Json{{"rel", "previous"}, {"href", link(offset > limit ? offset - limit : 0)}});
  links.push_back(Json{{"rel", "first"}, {"href", link(0)}});
  if (has_more) links.push_back(Json{{"rel", "next"}, {"href", link(offset + limit)}});
  links.push_back(Json{{"rel", "last"}, {"href", link(total == 0 ? 0 : (total - 1) / limit * limit)}});
  links.push_back(Json{{"rel", "self"}, {"href", link(offset)}});
  const std::size_t count = items.size();
  return Json{{"links", links}, {"count", count}, {"hasMore", has_more}, {"items", std::move(items)},
              {"offset", offset}, {"totalResults", total}};
}

// One condition of a record list's q: <field> <OPERATOR> <value>.
bool list_condition_holds(const Json& record, const std::string& field, const std::string& op, const std::string& value) {
  Json v = nullptr;
  for (const auto& [key, stored] : record.items()) {
    if (lower(key) == lower(field)) v = stored.is_object() && stored.contains("id") ? stored["id"] : stored;
  }
  if (op == "EMPTY") return v.is_null() || v == "";
  if (op == "EMPTY_NOT") return !(v.is_null() || v == "");
  if (v.is_null()) return false;
  const std::string text = v.is_string() ? v.get<std::string>() : v.dump();
  const std::string a = lower(text), b = lower(value);
  if (op == "IS") return a == b;
  if (op == "IS_NOT") return a != b;
  if (op == "CONTAIN") return a.find(b) != std::string::npos;
  if (op == "DOES_NOT_CONTAIN") return a.find(b) == std::string::npos;
  if (op == "START_WITH") return a.starts_with(b);
  if (op == "END_WITH") return a.ends_with(b);
  const auto ms = [](const std::string& s) {
    return parse_iso8601_ms(s.size() == 10 ? s + "T00:00:00Z" : s);
  };
  if (const auto x = ms(text), y = ms(value); x && y) {
    if (op == "AFTER" || op == "GREATER") return *x > *y;
    if (op == "ON_OR_AFTER" || op == "GREATER_OR_EQUAL") return *x >= *y;
    if (op == "BEFORE" || op == "LESS") return *x < *y;
    if (op == "ON_OR_BEFORE" || op == "LESS_OR_EQUAL") return *x <= *y;
    if (op == "EQUAL" || op == "ON") return *x == *y;
  }
  double x = 0, y = 0;
  if (std::sscanf(text.c_str(), "%lf", &x) == 1 && std::sscanf(value.c_str(), "%lf", &y) == 1) {
    if (op == "EQUAL") return x == y;
    if (op == "GREATER") return x > y;
    if (op == "GREATER_OR_EQUAL") return x >= y;
    if (op == "LESS") return x < y;
    if (op == "LESS_OR_EQUAL") return x <= y;
  }
  return false;
}

// What NetSuite computes on an invoice for SuiteQL: `foreignamountunpaid`, its total less
// what customer payments and credit memos apply to it (never below 0, to the cent), and
// `duedate`, the transaction date when the invoice has no due date of its own (no terms: due
// on receipt). `applied`: amounts applied by invoice internal id.
void add_invoice_standing(Json& row, const std::map<std::string, double>& applied) {
  if (!row.contains("duedate") || row["duedate"].is_null()) row["duedate"] = row.value("trandate", Json(nullptr));
  const auto total = number_of(row.value("total", Json(nullptr)));
  if (!total) return;
  const auto it = applied.find(row.value("id", ""));
  const double unpaid = *total - (it == applied.end() ? 0.0 : it->second);
  row["foreignamountunpaid"] = std::max(0.0, std::round(unpaid * 100) / 100);
}

}  // namespace

// Sums the `apply` lines (apply not false) of customer payments and credit memos by the
// internal id of the document they apply to.
std::map<std::string, double> NetSuiteEmulator::applied_to_invoices() const {
  std::map<std::string, double> out;
  for (const char* type : {"customerPayment", "creditMemo"}) {
    const auto table = records_.find(type);
    if (table == records_.end()) continue;
    for (const auto& [id, record] : table->second) {
      const Json apply = record.value("apply", Json(nullptr));
      if (!is_sublist(apply) || !apply["items"].is_array()) continue;
      for (const Json& line : apply["items"]) {
        if (!line.is_object() || line.value("apply", Json(true)) == Json(false)) continue;
        const Json doc = line.value("doc", Json(nullptr));
        const auto amount = number_of(line.value("amount", Json(nullptr)));
        if (!doc.is_object() || !doc.contains("id") || !amount) continue;
        const std::string doc_id = doc["id"].is_string() ? doc["id"].get<std::string>() : doc["id"].dump();
        out[doc_id] += *amount;
      }
    }
  }
  return out;
}

http::Response NetSuiteEmulator::list(Call& call, const std::string& type) {
  auto limit = paging_param(call.param("limit"), 1000, 1000, "limit");
  if (!limit) return std::move(limit).error();
  auto offset = paging_param(call.param("offset"), 0, 1'000'000, "offset");
  if (!offset) return std::move(offset).error();

  // q: "<field> <OPERATOR> <value> [AND …]", the value bare or in double quotes.
  struct Cond {
    std::string field, op, value;
  };
  std::vector<Cond> conditions;
  if (const auto q = call.param("q")) {
    std::string_view rest = *q;
    const auto word = [&]() -> std::optional<std::string> {
      while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
      if (rest.empty()) return std::nullopt;
      if (rest.front() == '"') {
        const auto close = rest.find('"', 1);
        if (close == std::string_view::npos) return std::nullopt;
        std::string out(rest.substr(1, close - 1));
        rest.remove_prefix(close + 1);
        return out;
      }
      const auto space = rest.find(' ');
      std::string out(rest.substr(0, space));
      rest = space == std::string_view::npos ? std::string_view() : rest.substr(space);
      return out;
    };
    static const std::set<std::string> kOps = {"IS", "IS_NOT", "CONTAIN", "DOES_NOT_CONTAIN", "START_WITH",
                                               "END_WITH", "EQUAL", "GREATER", "GREATER_OR_EQUAL", "LESS",
                                               "LESS_OR_EQUAL", "AFTER", "BEFORE", "ON", "ON_OR_AFTER",
                                               "ON_OR_BEFORE", "EMPTY", "EMPTY_NOT"};
    while (true) {
      auto field = word();
      auto op = word();
      if (!field || !op || !kOps.contains(*op)) {
        return error_response(400, "INVALID_PARAMETER",
                              "Invalid query parameter value: q must be \"<field> <OPERATOR> <value>\" joined by AND "
                              "(operators: IS, CONTAIN, START_WITH, AFTER, BEFORE, EQUAL, GREATER, LESS, EMPTY, …).");
      }
      std::string value;
      if (*op != "EMPTY" && *op != "EMPTY_NOT") {
        auto v = word();
        if (!v) return error_response(400, "INVALID_PARAMETER", "Invalid query parameter value: q is missing a value after " + *op + ".");
        value = *v;
      }
      conditions.push_back({*field, *op, value});
      auto joiner = word();
      if (!joiner) break;
      if (*joiner != "AND") {
        return error_response(400, "INVALID_PARAMETER", "Invalid query parameter value: q conditions are joined by AND only.");
      }
    }
  }

  std::vector<const Json*> matches;
  for (const auto& [id, record] : records_[type]) {
    if (std::all_of(conditions.begin(), conditions.end(), [&](const Cond& c) {
          return list_condition_holds(record, c.field, c.op, c.value);
        })) {
      matches.push_back(&record);
    }
  }
  Json items = Json::array();
  for (std::size_t i = *offset; i < matches.size() && i < *offset + *limit; ++i) {
    const std::string id = (*matches[i])["id"];
    items.push_back(Json{{"links", Json::array({Json{{"rel", "self"}, {"href", call.record_url(type) + "/" + id}}})},
                         {"id", id}});
  }
  return json_response(200, collection(call.record_url(type), call.query, std::move(items), *offset, *limit, matches.size()),
                       "collection");
}

http::Response NetSuiteEmulator::suiteql(Call& call) {
  const auto prefer = call.request.headers.get("Prefer");
  if (!prefer || lower(*prefer).find("transient") == std::string::npos) {
    return error_response(400, "INVALID_HEADER", "SuiteQL requests need the header Prefer: transient.");
  }
  auto limit = paging_param(call.param("limit"), 1000, 1000, "limit");
  if (!limit) return std::move(limit).error();
  auto offset = paging_param(call.param("offset"), 0, 100'000, "offset");
  if (!offset) return std::move(offset).error();
  auto body = parse_body(call.request);
  if (!body) return std::move(body).error();
  const Json q = body->value("q", Json(nullptr));
  if (!q.is_string()) return error_response(400, "INVALID_CONTENT", "Invalid content in the request body: {\"q\": \"SELECT …\"} is required.");
  const auto search_error = [](const std::string& message) {
    return error_response(400, "INVALID_PARAMETER",
                          "Invalid search query. Detailed unprocessed description follows. Search error occurred: " + message);
  };
  auto query = parse_suiteql(q.get<std::string>());
  if (!query) return search_error(query.error());

  // The table's rows: lower-case column names, references as their id, booleans as T/F.
  std::vector<std::string> types;
  if (query->table == "transaction") {
    for (const auto& t : record_types()) {
      if (is_transaction(t)) types.push_back(t);
    }
  } else if (const auto type = canonical_type(query->table)) {
    types.push_back(*type);
  } else {
    return search_error("Record '" + query->table + "' was not found.");
  }
  std::set<std::string> known = {"id", "externalid", "lastmodifieddate", "datecreated"};
  if (query->table == "customer") {
    for (const char* c : {"entityid", "companyname", "email", "creditholdoverride", "creditlimit", "isinactive",
                          "isperson", "firstname", "lastname", "phone", "subsidiary", "currency"}) known.insert(c);
  } else {
    for (const char* c : {"tranid", "trandate", "entity", "customer", "memo", "total", "payment", "type",
                          "recordtype", "subsidiary", "currency", "duedate", "foreignamountunpaid",
                          "foreigntotal"}) known.insert(c);
  }
  const auto applied = applied_to_invoices();
  std::vector<Json> rows;
  for (const auto& type : types) {
    for (const auto& [id, record] : records_[type]) {
      Json row = Json::object();
      for (const auto& [key, value] : record.items()) {
        if (is_sublist(value)) continue;
        const std::string column = lower(key);
        known.insert(column);
        if (is_reference(value)) row[column] = value.value("id", Json(nullptr));
        else if (value.is_boolean()) row[column] = value.get<bool>() ? "T" : "F";
        else row[column] = value;
      }
      if (is_transaction(type)) {
        row["type"] = suiteql_type(type);
        row["recordtype"] = lower(type);
        // The total in the transaction's currency: an invoice's computed total, a payment's
        // amount.
        const Json amount = row.value(type == "customerPayment" ? "payment" : "total", Json(nullptr));
        if (!amount.is_null()) row["foreigntotal"] = amount;
      }
      if (type == "invoice") add_invoice_standing(row, applied);
      rows.push_back(std::move(row));
    }
  }
  for (const auto& [alias, column] : query->formatted) {
    if (!known.contains(column)) return search_error("Field '" + column + "' for record '" + query->table + "' was not found.");
  }
  for (const auto& c : query->columns) {
    if (!known.contains(c) && !query->formatted.contains(c)) {
      return search_error("Field '" + c + "' for record '" + query->table +
                          "' was not found. Reason: NOT_EXPOSED - Not available for channel SEARCH");
    }
  }
  for (const auto& c : query->where) {
    if (!known.contains(c.column)) return search_error("Field '" + c.column + "' for record '" + query->table + "' was not found.");
  }
  const auto selected = run_suiteql(*query, rows);
  Json items = Json::array();
  for (std::size_t i = *offset; i < selected.size() && i < *offset + *limit; ++i) {
    Json item{{"links", Json::array()}};
    const Json& row = *selected[i];
    if (query->columns.empty()) {
      for (const auto& [key, value] : row.items()) {
        if (!value.is_null()) item[key] = value;  // SuiteQL leaves out empty columns
      }
    } else {
      for (const auto& c : query->columns) {
        if (const auto f = query->formatted.find(c); f != query->formatted.end()) {
          if (const auto text = to_char_datetime(row.value(f->second, Json(nullptr)))) item[c] = *text;
        } else if (row.contains(c) && !row[c].is_null()) {
          item[c] = row[c];
        }
      }
    }
    items.push_back(std::move(item));
  }
  return json_response(200, collection(call.origin + "/services/rest/query/v1/suiteql", call.query, std::move(items),
                                       *offset, *limit, selected.size()),
                       "collection");
}

}  // namespace weft::sandbox::netsuite
