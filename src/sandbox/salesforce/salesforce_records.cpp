// sObject create/read/update/delete/upsert, SOQL queries with nextRecordsUrl paging, and the
// webhooks Weft's Apex trigger would post for each change.

#include <algorithm>
#include <cctype>
#include <charconv>

#include "connectors/relayed_webhook.hpp"
#include "connectors/weft_signature.hpp"
#include "core/time_format.hpp"
#include "crypto/hmac.hpp"
#include "sandbox/salesforce/salesforce_http.hpp"
#include "sandbox/salesforce/salesforce_query.hpp"

namespace weft::sandbox::salesforce {

namespace {

constexpr const char* kUserId = "005Wf000000SBOXAAA";
constexpr const char* kWebhookApiVersion = "60.0";  // the version the trigger's records show

bool system_field(std::string_view name) {
  return name == "Id" || name == "IsDeleted" || name == "CreatedDate" || name == "CreatedById" ||
         name == "LastModifiedDate" || name == "LastModifiedById" || name == "SystemModstamp";
}

std::string text_of(const Json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number_float()) {
    const double d = value.get<double>();
    if (d == static_cast<double>(static_cast<std::int64_t>(d))) return std::to_string(static_cast<std::int64_t>(d));
  }
  return value.dump();
}

bool is_reference(const FieldSpec& field) { return field.kind == FieldKind::reference; }

// The sObject a reference field points at (AccountId → Account); null for OwnerId and the
// like, which point at users this emulator does not keep.
const SObjectSpec* reference_target(const FieldSpec& field) {
  if (field.name == "AccountId" || field.name == "ParentId") return find_sobject("Account");
  if (field.name == "ContactId") return find_sobject("Contact");
  return nullptr;
}

}  // namespace

Result<Json, http::Response> SalesforceEmulator::writable_fields(Call& call, const SObjectSpec& object,
                                                                 bool creating) {
  Json body;
  try {
    body = Json::parse(call.request.body);
  } catch (const Json::parse_error& e) {
    return fail(error_response(400, "JSON_PARSER_ERROR", std::string("The request body is not valid JSON: ") + e.what()));
  }
  if (!body.is_object()) {
    return fail(error_response(400, "JSON_PARSER_ERROR",
                               "Cannot deserialize instance of " + object.name + " from " +
                                   (body.is_array() ? "START_ARRAY" : "VALUE") + " value"));
  }
  Json fields = Json::object();
  std::vector<std::string> read_only;
  for (auto& [key, value] : body.items()) {
    if (key == "attributes") continue;  // {"type": "Account"}, allowed and ignored
    const FieldSpec* spec = object.field(key);
    if (!spec && !is_custom_field(key)) {
      return fail(error_response(400, "INVALID_FIELD",
                                 "No such column '" + key + "' on sobject of type " + object.name));
    }
    if (spec && !spec->writable) {
      read_only.push_back(spec->name);
      continue;
    }
    Json v = value;
    if (spec) {
      if (auto error = check_value(object, *spec, v)) {
        return fail(error_response(400, error->error_code, error->message, {spec->name}));
      }
    } else if (v.is_object() || v.is_array()) {
      return fail(error_response(400, "JSON_PARSER_ERROR",
                                 "Cannot deserialize instance of String from " +
                                     std::string(v.is_array() ? "START_ARRAY" : "START_OBJECT") +
                                     " value for field " + key));
    }
    if (spec && is_reference(*spec) && v.is_string()) {
      const SObjectSpec* target = reference_target(*spec);
      const auto short_id = id15(v.get<std::string>());
      if (target && (!short_id || !short_id->starts_with(target->key_prefix))) {
        return fail(error_response(400, "MALFORMED_ID",
                                   (spec->label.empty() ? spec->name : spec->label) +
                                       ": id value of incorrect type: " + v.get<std::string>(),
                                   {spec->name}));
      }
      if (target && !records_[target->name].contains(*short_id)) {
        return fail(error_response(400, "INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id",
                                   {spec->name}));
      }
      if (short_id) v = *id18(*short_id);  // Salesforce answers with 18-character ids
    }
    fields[spec ? spec->name : key] = v;
  }
  if (!read_only.empty()) {
    std::string names;
    for (const auto& n : read_only) names += (names.empty() ? "" : ", ") + n;
    return fail(error_response(400, "INVALID_FIELD_FOR_INSERT_UPDATE",
                               "Unable to create/update fields: " + names +
                                   ". Please check the security settings of this field and verify "
                                   "that it is read/write for your profile or permission set.",
                               read_only));
  }
  (void)creating;
  return fields;
}

std::vector<std::string> SalesforceEmulator::write(const SObjectSpec& object, Json& record,
                                                   const Json& fields, bool creating,
                                                   std::chrono::system_clock::time_point now) {
  if (!record.is_object()) record = Json::object();
  const Json before = record;
  last_stamp_ms_ = std::max<std::int64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count(), last_stamp_ms_ + 1);
  const std::string stamp = salesforce_datetime(last_stamp_ms_);
  if (creating) {
    for (const auto& f : object.fields) record[f.name] = nullptr;
    const std::string id = make_id(object.key_prefix, next_counter_++);
    record["Id"] = id;
    record["IsDeleted"] = false;
    record["OwnerId"] = kUserId;
    record["CreatedDate"] = stamp;
    record["CreatedById"] = kUserId;
    if (object.name == "Contract") {
      record["ContractNumber"] = std::string(8 - std::min<std::size_t>(8, std::to_string(contract_number_).size()), '0') +
                                 std::to_string(contract_number_);
      ++contract_number_;
    }
  }
  for (const auto& [key, value] : fields.items()) record[key] = value;
  if (object.name == "Opportunity" && !fields.contains("Probability") &&
      (creating || before.value("StageName", Json(nullptr)) != record.value("StageName", Json(nullptr))) &&
      record["StageName"].is_string()) {
    record["Probability"] = static_cast<double>(stage_probability(record["StageName"].get<std::string>()));
  }
  if (object.name == "Contract" && record.value("Status", Json("")) == "Activated" &&
      before.value("Status", Json("")) != "Activated") {
    record["ActivatedDate"] = stamp;
  }
  derive_fields(object, record);
  record["LastModifiedDate"] = stamp;
  record["LastModifiedById"] = kUserId;
  record["SystemModstamp"] = stamp;

  std::vector<std::string> changed;
  for (const auto& [key, value] : record.items()) {
    if (system_field(key)) continue;
    if (before.value(key, Json(nullptr)) != value && !(creating && value.is_null())) changed.push_back(key);
  }
  return changed;
}

Json SalesforceEmulator::render(const Call& call, const SObjectSpec& object, const Json& record,
                                const std::vector<std::string>* only) const {
  const std::string id = record.value("Id", "");
  Json out{{"attributes", Json{{"type", object.name}, {"url", call.base() + "/sobjects/" + object.name + "/" + id}}}};
  if (only) {
    for (const auto& name : *only) out[name] = record.value(name, Json(nullptr));
    if (!out.contains("Id")) out["Id"] = id;
    return out;
  }
  for (const auto& [key, value] : record.items()) out[key] = value;
  return out;
}

void SalesforceEmulator::send_webhook(const SObjectSpec& object, const std::string& action,
                                      const Json& record, std::vector<std::string> changed_fields) {
  Json external_id = nullptr;
  for (const auto& [key, value] : record.items()) {
    std::string lowered = key;
    for (auto& c : lowered) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (is_custom_field(key) && lowered.find("external_id") != std::string::npos && !value.is_null()) {
      external_id = text_of(value);
      break;
    }
  }
  Json shown{{"attributes", Json{{"type", object.name},
                                 {"url", std::string("/services/data/v") + kWebhookApiVersion +
                                             "/sobjects/" + object.name + "/" + record.value("Id", "")}}}};
  for (const auto& [key, value] : record.items()) shown[key] = value;
  // The id Weft's relay sends: the record version (connectors/relayed_webhook.hpp).
  const std::string id = connectors::relayed_event_id(object.name, record.value("Id", ""), action,
                                                      record.value("SystemModstamp", ""))
                             .value_or("evt_sf_" + crypto::random_hex(12));
  const Json body{{"id", id},
                  {"type", object.name + "." + action},
                  {"occurred_at", format_iso8601_ms(clock_->unix_millis())},
                  {"record_type", object.name},
                  {"record_id", record.value("Id", "")},
                  {"external_id", external_id},
                  {"changed_fields", std::move(changed_fields)},
                  {"record", std::move(shown)}};
  Webhook webhook;
  webhook.platform = platform_;
  webhook.event_id = id;
  webhook.body = body.dump();
  webhook.headers = [secret = credentials_.salesforce_webhook_secret,
                     payload = webhook.body](std::chrono::system_clock::time_point now) {
    http::Headers headers;
    headers.add("Content-Type", "application/json");
    headers.add("User-Agent", "SFDC-Callout/60.0");
    const auto t = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
    // Weft's trigger signs with X-Weft-Signature (connectors/weft_signature.hpp).
    headers.add(std::string(connectors::kWeftSignatureHeader),
                connectors::TimestampedSignatureVerifier::sign(secret, t, payload));
    return headers;
  };
  outbox_.post(std::move(webhook));
}

http::Response SalesforceEmulator::create(Call& call, const SObjectSpec& object) {
  auto fields = writable_fields(call, object, true);
  if (!fields) return std::move(fields).error();
  std::vector<std::string> missing;
  for (const auto& f : object.fields) {
    if (f.required && fields->value(f.name, Json(nullptr)).is_null()) missing.push_back(f.name);
  }
  if (!missing.empty()) {
    std::string names;
    for (const auto& n : missing) names += (names.empty() ? "" : ", ") + n;
    return error_response(400, "REQUIRED_FIELD_MISSING", "Required fields are missing: [" + names + "]", missing);
  }
  Json record;
  auto changed = write(object, record, *fields, true, call.now);
  const std::string id = record["Id"];
  records_[object.name][*id15(id)] = record;
  send_webhook(object, "created", record, std::move(changed));
  return json_response(201, Json{{"id", id}, {"success", true}, {"errors", Json::array()}});
}

http::Response SalesforceEmulator::read(Call& call, const SObjectSpec& object, const std::string& id) {
  const auto short_id = id15(id);
  if (!short_id || !short_id->starts_with(object.key_prefix)) return not_found();
  if (deleted_.contains(*short_id)) return error_response(404, "ENTITY_IS_DELETED", "entity is deleted");
  const auto& table = records_[object.name];
  const auto it = table.find(*short_id);
  if (it == table.end()) return not_found();
  if (const auto wanted = call.param("fields")) {
    std::vector<std::string> only;
    std::string_view rest = *wanted;
    while (!rest.empty()) {
      const auto comma = rest.find(',');
      std::string name(rest.substr(0, comma));
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
      name.erase(0, name.find_first_not_of(' '));
      name.erase(name.find_last_not_of(' ') + 1);
      if (name.empty()) continue;
      const FieldSpec* spec = object.field(name);
      if (!spec && !is_custom_field(name)) {
        return error_response(400, "INVALID_FIELD", "No such column '" + name + "' on entity '" +
                                                        object.name + "'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.");
      }
      only.push_back(spec ? spec->name : name);
    }
    return json_response(200, render(call, object, it->second, &only));
  }
  return json_response(200, render(call, object, it->second));
}

http::Response SalesforceEmulator::update(Call& call, const SObjectSpec& object, const std::string& id) {
  const auto short_id = id15(id);
  if (!short_id || !short_id->starts_with(object.key_prefix)) return not_found();
  if (deleted_.contains(*short_id)) return error_response(404, "ENTITY_IS_DELETED", "entity is deleted");
  auto& table = records_[object.name];
  const auto it = table.find(*short_id);
  if (it == table.end()) return not_found();
  auto fields = writable_fields(call, object, false);
  if (!fields) return std::move(fields).error();
  for (const auto& f : object.fields) {
    if (f.required && fields->contains(f.name) && (*fields)[f.name].is_null()) {
      return error_response(400, "REQUIRED_FIELD_MISSING", "Required fields are missing: [" + f.name + "]", {f.name});
    }
  }
  auto changed = write(object, it->second, *fields, false, call.now);
  if (!changed.empty()) send_webhook(object, "updated", it->second, std::move(changed));
  http::Response response;
  response.status = 204;
  return response;
}

http::Response SalesforceEmulator::remove(Call& /*call*/, const SObjectSpec& object, const std::string& id) {
  const auto short_id = id15(id);
  if (!short_id || !short_id->starts_with(object.key_prefix)) return not_found();
  if (deleted_.contains(*short_id)) return error_response(404, "ENTITY_IS_DELETED", "entity is deleted");
  auto& table = records_[object.name];
  const auto it = table.find(*short_id);
  if (it == table.end()) return not_found();
  Json record = std::move(it->second);
  table.erase(it);
  deleted_.insert(*short_id);
  record["IsDeleted"] = true;
  send_webhook(object, "deleted", record, {});
  http::Response response;
  response.status = 204;
  return response;
}

namespace {

// The records of `table` whose `field` holds `value` (compared as text).
std::vector<Json*> matching(std::map<std::string, Json>& table, const std::string& field,
                            const std::string& value) {
  std::vector<Json*> out;
  for (auto& [id, record] : table) {
    const Json v = record.value(field, Json(nullptr));
    if (!v.is_null() && text_of(v) == value) out.push_back(&record);
  }
  return out;
}

http::Response multiple_choices(const std::string& base, const std::string& type,
                                const std::vector<Json*>& records) {
  Json urls = Json::array();
  for (const Json* r : records) urls.push_back(base + "/sobjects/" + type + "/" + r->value("Id", ""));
  return json_response(300, urls);
}

http::Response unknown_external_field(const std::string& field) {
  return json_response(404, Json::array({Json{
                                {"errorCode", "NOT_FOUND"},
                                {"message", "Provided external ID field does not exist or is not accessible: " + field}}}));
}

}  // namespace

http::Response SalesforceEmulator::upsert(Call& call, const SObjectSpec& object, const std::string& field,
                                          const std::string& value) {
  if (!is_custom_field(field)) return unknown_external_field(field);
  auto fields = writable_fields(call, object, true);
  if (!fields) return std::move(fields).error();
  if (fields->contains(field) && text_of((*fields)[field]) != value) {
    return error_response(400, "INVALID_FIELD",
                          "The external ID field " + field + " in the body (" + text_of((*fields)[field]) +
                              ") does not match the value in the URL (" + value + "); leave it out of the body",
                          {field});
  }
  fields->erase(field);
  auto& table = records_[object.name];
  const auto found = matching(table, field, value);
  if (found.size() > 1) return multiple_choices(call.base(), object.name, found);
  if (found.size() == 1) {
    for (const auto& f : object.fields) {
      if (f.required && fields->contains(f.name) && (*fields)[f.name].is_null()) {
        return error_response(400, "REQUIRED_FIELD_MISSING", "Required fields are missing: [" + f.name + "]", {f.name});
      }
    }
    Json& record = *found.front();
    auto changed = write(object, record, *fields, false, call.now);
    if (!changed.empty()) send_webhook(object, "updated", record, std::move(changed));
    return json_response(200, Json{{"id", record["Id"]}, {"success", true}, {"errors", Json::array()}, {"created", false}});
  }
  if (call.param("updateOnly") == std::optional<std::string>("true")) return not_found();
  (*fields)[field] = value;
  std::vector<std::string> missing;
  for (const auto& f : object.fields) {
    if (f.required && fields->value(f.name, Json(nullptr)).is_null()) missing.push_back(f.name);
  }
  if (!missing.empty()) {
    std::string names;
    for (const auto& n : missing) names += (names.empty() ? "" : ", ") + n;
    return error_response(400, "REQUIRED_FIELD_MISSING", "Required fields are missing: [" + names + "]", missing);
  }
  Json record;
  auto changed = write(object, record, *fields, true, call.now);
  const std::string id = record["Id"];
  table[*id15(id)] = record;
  send_webhook(object, "created", record, std::move(changed));
  return json_response(201, Json{{"id", id}, {"success", true}, {"errors", Json::array()}, {"created", true}});
}

http::Response SalesforceEmulator::read_by_external_id(Call& call, const SObjectSpec& object,
                                                       const std::string& field, const std::string& value) {
  if (!is_custom_field(field)) return unknown_external_field(field);
  const auto found = matching(records_[object.name], field, value);
  if (found.empty()) return not_found();
  if (found.size() > 1) return multiple_choices(call.base(), object.name, found);
  return json_response(200, render(call, object, *found.front()));
}

http::Response SalesforceEmulator::query(Call& call) {
  const auto q = call.param("q");
  if (!q || q->empty()) return error_response(400, "MALFORMED_QUERY", "A query string has to be specified");
  auto parsed = parse_soql(*q);
  if (!parsed) return error_response(400, parsed.error().error_code, parsed.error().message);

  std::vector<const Json*> records;
  for (const auto& [id, record] : records_[parsed->object->name]) records.push_back(&record);
  const auto selected = run_soql(*parsed, records);
  if (parsed->count_only) {
    return json_response(200, Json{{"totalSize", selected.size()}, {"done", true}, {"records", Json::array()}});
  }

  QueryCursor cursor;
  cursor.total = static_cast<std::int64_t>(selected.size());
  for (const Json* record : selected) cursor.rows.push_back(render(call, *parsed->object, *record, &parsed->fields));
  // `render` with a field list adds Id; a query shows only what it selected.
  const bool selected_id = std::find(parsed->fields.begin(), parsed->fields.end(), "Id") != parsed->fields.end();
  if (!selected_id) {
    for (auto& row : cursor.rows) row.erase("Id");
  }
  const std::string locator = "01gWf00000" + std::string(7 - std::min<std::size_t>(7, std::to_string(next_locator_).size()), '0') +
                              std::to_string(next_locator_) + "AAA";
  ++next_locator_;
  cursors_[locator] = std::move(cursor);
  while (cursors_.size() > 64) cursors_.erase(cursors_.begin());  // old locators expire
  return query_page(call, locator, 0);
}

http::Response SalesforceEmulator::query_more(Call& call, const std::string& locator_and_offset) {
  const auto dash = locator_and_offset.rfind('-');
  std::size_t offset = 0;
  bool ok = dash != std::string::npos && dash + 1 < locator_and_offset.size();
  if (ok) {
    const std::string digits = locator_and_offset.substr(dash + 1);
    ok = std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }) && digits.size() < 10;
    if (ok) offset = static_cast<std::size_t>(std::stoul(digits));
  }
  const std::string locator = ok ? locator_and_offset.substr(0, dash) : "";
  if (!ok || !cursors_.contains(locator)) {
    return error_response(400, "INVALID_QUERY_LOCATOR", "invalid query locator");
  }
  return query_page(call, locator, offset);
}

http::Response SalesforceEmulator::query_page(Call& call, const std::string& locator, std::size_t offset) {
  std::size_t batch = options_.query_batch_size;
  if (const auto header = call.request.headers.get("Sforce-Query-Options")) {
    const auto at = header->find("batchSize=");
    if (at != std::string_view::npos) {
      std::size_t n = 0;
      const auto digits = header->substr(at + 10);
      std::from_chars(digits.data(), digits.data() + digits.size(), n);
      if (n > 0) batch = std::min(batch, std::clamp<std::size_t>(n, 200, 2000));
    }
  }
  const QueryCursor& cursor = cursors_.at(locator);
  const std::size_t begin = std::min(offset, cursor.rows.size());
  const std::size_t end = std::min(cursor.rows.size(), begin + std::max<std::size_t>(1, batch));
  Json out;
  out["totalSize"] = cursor.total;
  out["done"] = end >= cursor.rows.size();
  if (end < cursor.rows.size()) out["nextRecordsUrl"] = call.base() + "/query/" + locator + "-" + std::to_string(end);
  out["records"] = Json::array();
  for (std::size_t i = begin; i < end; ++i) out["records"].push_back(cursor.rows[i]);
  return json_response(200, out);
}

}  // namespace weft::sandbox::salesforce
