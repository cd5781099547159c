#include "connectors/salesforce/salesforce_connector.hpp"

#include <algorithm>
#include <array>
#include <string_view>
#include <utility>

#include "core/suggestion.hpp"
#include "core/text.hpp"
#include "core/url_encoding.hpp"

namespace weft::connectors::salesforce {

namespace {

using delivery::Failure;
using delivery::FailureClass;
using delivery::OutboundRequest;
using nlohmann::json;

enum class Kind { get, upsert, update, query };

struct Action {
  std::string_view name;
  Kind kind;
  std::string_view sobject;  // set for the aliases (get_account → Account); "" takes `sobject`
};

constexpr std::array<Action, 10> kActions{{
    {"get_record", Kind::get, ""},
    {"get_account", Kind::get, "Account"},
    {"get_opportunity", Kind::get, "Opportunity"},
    {"get_contract", Kind::get, "Contract"},
    {"upsert_record", Kind::upsert, ""},
    {"upsert_account", Kind::upsert, "Account"},
    {"upsert_opportunity", Kind::upsert, "Opportunity"},
    {"upsert_contract", Kind::upsert, "Contract"},
    {"update_record", Kind::update, ""},
    {"query", Kind::query, ""},
}};

constexpr std::size_t kMaxNameLength = 80;

const Action* find_action(std::string_view name) {
  const auto it = std::find_if(kActions.begin(), kActions.end(),
                               [name](const Action& a) { return a.name == name; });
  return it == kActions.end() ? nullptr : &*it;
}

bool is_write(Kind kind) { return kind == Kind::upsert || kind == Kind::update; }

// "v61.0" from "61.0" or "v61.0" (the config checked the shape).
std::string normalized_version(const std::string& configured) {
  if (configured.empty()) return kDefaultApiVersion;
  return configured.front() == 'v' ? configured : "v" + configured;
}

// API names of objects and fields: Account, External_Id__c, ns__Thing__c.
bool is_api_name(std::string_view s) {
  if (s.empty() || s.size() > kMaxNameLength) return false;
  if (!((s.front() >= 'a' && s.front() <= 'z') || (s.front() >= 'A' && s.front() <= 'Z'))) {
    return false;
  }
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

// Record ids: 15 (case-sensitive) or 18 (case-insensitive) letters and digits.
bool is_record_id(std::string_view s) {
  return (s.size() == 15 || s.size() == 18) && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
         });
}

bool iequals_ascii(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; };
           return lower(x) == lower(y);
         });
}

class Input {
 public:
  Input(const json& input, std::string what) : input_(input), what_(std::move(what)) {}

  Result<void, Failure> only(const std::vector<std::string_view>& known) const {
    for (const auto& [key, value] : input_.items()) {
      if (std::find(known.begin(), known.end(), key) == known.end()) {
        return fail(bad_input(what_ + ": unknown input key '" + key + "'" +
                              did_you_mean(key, known) + " (known: " + join_words(known) + ")"));
      }
    }
    return {};
  }

  const json* find(const char* key) const {
    const auto it = input_.find(key);
    return it == input_.end() || it->is_null() ? nullptr : &*it;
  }

  Result<std::string, Failure> api_name(const char* key, const char* example) const {
    const json* v = find(key);
    if (v == nullptr) {
      return fail(
          bad_input(what_ + ": " + key + " is required (an API name such as " + example + ")"));
    }
    if (!v->is_string() || !is_api_name(v->get_ref<const std::string&>())) {
      return fail(bad_input(what_ + ": " + key + " must be an API name such as " + example +
                            " (letters, digits and '_', starting with a letter)"));
    }
    return v->get<std::string>();
  }

  Result<std::string, Failure> record_id(const char* key) const {
    const json* v = find(key);
    if (v == nullptr) {
      return fail(bad_input(what_ + ": " + key +
                            " is required (a record id such as "
                            "0015g00000XyZabAAB)"));
    }
    if (!v->is_string() || !is_record_id(v->get_ref<const std::string&>())) {
      return fail(bad_input(what_ + ": " + key +
                            " must be a Salesforce record id (15 or 18 letters and digits)"));
    }
    return v->get<std::string>();
  }

  // The `fields` to read: ["Name","Amount"] or "Name,Amount"; "" when not given.
  Result<std::string, Failure> field_list() const {
    const json* v = find("fields");
    if (v == nullptr) return std::string();
    std::vector<std::string> names;
    if (v->is_string()) {
      std::string_view rest = v->get_ref<const std::string&>();
      while (!rest.empty()) {
        const std::size_t comma = rest.find(',');
        names.emplace_back(rest.substr(0, comma));
        rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
      }
    } else if (v->is_array()) {
      for (const auto& f : *v) names.push_back(f.is_string() ? f.get<std::string>() : "");
    }
    if (names.empty() || !std::all_of(names.begin(), names.end(),
                                      [](const std::string& n) { return is_api_name(n); })) {
      return fail(bad_input(what_ + ": fields must be a list of field API names (or one string "
                                    "\"Name,Amount\")"));
    }
    std::string out;
    for (const auto& n : names) out += (out.empty() ? "" : ",") + n;
    return out;
  }

  // The `fields` to write: an object of field values, without Id or the `key_field`.
  Result<json, Failure> field_values(std::string_view key_field, bool may_be_empty) const {
    const json* v = find("fields");
    if (v == nullptr || !v->is_object()) {
      return fail(bad_input(what_ + ": fields is required (an object of field API names and "
                                    "values)"));
    }
    if (v->empty() && !may_be_empty) return fail(bad_input(what_ + ": fields is empty"));
    for (const auto& [key, value] : v->items()) {
      if (iequals_ascii(key, "Id") || (!key_field.empty() && iequals_ascii(key, key_field))) {
        return fail(bad_input(what_ + ": fields must not hold " + key +
                              " (it identifies the record and goes in the URL)"));
      }
      if (!is_api_name(key)) {
        return fail(bad_input(what_ + ": fields: '" + key + "' is not a field API name"));
      }
    }
    return *v;
  }

  const std::string& what() const { return what_; }

 private:
  const json& input_;
  std::string what_;
};

// An external id value in the URL: a non-empty string, or an integer as its digits.
std::optional<std::string> external_value(const json* v) {
  if (v == nullptr) return std::nullopt;
  if (v->is_string() && !v->get_ref<const std::string&>().empty()) return v->get<std::string>();
  if (v->is_number_integer()) return v->dump();
  return std::nullopt;
}

// nextRecordsUrl as Salesforce gives it: /services/data/v61.0/query/01gD0000002HU6KIAW-2000.
bool is_next_records_url(std::string_view s) {
  if (!s.starts_with("/services/data/") || s.find("..") != std::string_view::npos) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '/' ||
           c == '.' || c == '-' || c == '_';
  });
}

Failure unreadable(const std::string& what, const http::Response& response, bool write) {
  Failure f;
  f.cls = write ? FailureClass::unknown_outcome : FailureClass::transient;
  f.http_status = response.status;
  f.message = what + ": Salesforce answered " + std::to_string(response.status) +
              " without the complete JSON object expected";
  if (write) f.message += " (the change may have been made)";
  return f;
}

std::string describe(const engine::ActionRequest& request, const std::string& connector) {
  return "action " + request.action + " of connector " + connector;
}

}  // namespace

SalesforceConnector::SalesforceConnector(const config::ConnectorConfig& config, ClockPtr clock)
    : name_(config.name),
      base_url_(config.base_url),
      data_(config.base_url + "/services/data/" + normalized_version(config.api_version)),
      timeout_(std::chrono::seconds(config.timeout_seconds)),
      tokens_(config),
      classifier_(std::move(clock)) {}

const std::vector<std::string>& SalesforceConnector::action_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const Action& a : kActions) out.emplace_back(a.name);
    return out;
  }();
  return names;
}

Result<OutboundRequest, Failure> SalesforceConnector::prepare(
    const engine::ActionRequest& request) const {
  const Action* action = find_action(request.action);
  if (action == nullptr) {
    std::vector<std::string_view> known;
    for (const Action& a : kActions) known.push_back(a.name);
    return fail(bad_input("connector " + name_ + " (salesforce) has no action '" + request.action +
                          "'" + did_you_mean(request.action, known) +
                          "; its actions: " + join_words(known)));
  }
  const std::string what = describe(request, name_);
  if (!request.input.is_object()) return fail(bad_input(what + ": input must be an object"));
  const Input in(request.input, what);
  const bool generic = action->sobject.empty();

  OutboundRequest out;
  out.method = "GET";
  out.timeout = timeout_;
  out.headers.add("Accept", "application/json");

  // The object: named by the action (get_account) or by the input (get_record).
  std::string sobject(action->sobject);
  if (generic && action->kind != Kind::query) {
    auto named = in.api_name("sobject", "Account");
    if (!named) return fail(std::move(named).error());
    sobject = std::move(named).value();
  }
  const auto keys = [generic](std::vector<std::string_view> k) {
    if (generic) k.insert(k.begin(), "sobject");
    return k;
  };

  switch (action->kind) {
    case Kind::get: {
      if (auto ok = in.only(keys({"id", "fields"})); !ok) return fail(ok.error());
      auto id = in.record_id("id");
      if (!id) return fail(std::move(id).error());
      auto fields = in.field_list();
      if (!fields) return fail(std::move(fields).error());
      out.url = data_ + "/sobjects/" + sobject + "/" + *id;
      if (!fields->empty()) out.url += "?fields=" + url::percent_encode(*fields);
      return out;
    }
    case Kind::upsert: {
      if (auto ok = in.only(keys({"external_id_field", "external_id", "fields"})); !ok) {
        return fail(ok.error());
      }
      auto field = in.api_name("external_id_field", "External_Id__c");
      if (!field) return fail(std::move(field).error());
      const auto value = external_value(in.find("external_id"));
      if (!value) {
        return fail(bad_input(what +
                              ": external_id is required (a non-empty string or an "
                              "integer: the record's value of " +
                              *field + ")"));
      }
      auto values = in.field_values(*field, /*may_be_empty=*/true);
      if (!values) return fail(std::move(values).error());
      out.method = "PATCH";
      out.url = data_ + "/sobjects/" + sobject + "/" + *field + "/" + url::percent_encode(*value);
      out.body = values->dump(-1, ' ', false, json::error_handler_t::replace);
      out.headers.add("Content-Type", "application/json");
      return out;
    }
    case Kind::update: {
      if (auto ok = in.only(keys({"id", "fields"})); !ok) return fail(ok.error());
      auto id = in.record_id("id");
      if (!id) return fail(std::move(id).error());
      auto values = in.field_values("", /*may_be_empty=*/false);
      if (!values) return fail(std::move(values).error());
      out.method = "PATCH";
      out.url = data_ + "/sobjects/" + sobject + "/" + *id;
      out.body = values->dump(-1, ' ', false, json::error_handler_t::replace);
      out.headers.add("Content-Type", "application/json");
      return out;
    }
    case Kind::query: {
      if (auto ok = in.only({"soql", "next_records_url"}); !ok) return fail(ok.error());
      const json* soql = in.find("soql");
      const json* next = in.find("next_records_url");
      if ((soql == nullptr) == (next == nullptr)) {
        return fail(bad_input(what + ": give either soql or next_records_url (the previous "
                                     "page's nextRecordsUrl), not both"));
      }
      if (soql != nullptr) {
        if (!soql->is_string() || trim_whitespace(soql->get_ref<const std::string&>()).empty()) {
          return fail(bad_input(what + ": soql must be a non-empty string (a SOQL query)"));
        }
        out.url = data_ + "/query?q=" + url::percent_encode(soql->get<std::string>());
        return out;
      }
      if (!next->is_string() || !is_next_records_url(next->get_ref<const std::string&>())) {
        return fail(bad_input(what + ": next_records_url must be a nextRecordsUrl as Salesforce "
                                     "gave it (/services/data/…/query/…)"));
      }
      out.url = base_url_ + next->get<std::string>();
      return out;
    }
  }
  return fail(bad_input(what + ": unknown action"));
}

Result<void, Failure> SalesforceConnector::authorize(OutboundRequest& outbound,
                                                     const OutboundContext& context) const {
  auto authorization = tokens_.authorization(context);
  if (!authorization) return fail(std::move(authorization).error());
  outbound.headers.set("Authorization", std::move(authorization).value());
  return {};
}

Result<nlohmann::json, Failure> SalesforceConnector::read_success(
    const engine::ActionRequest& request, const http::Response& response) const {
  const Action* action = find_action(request.action);
  const std::string what = describe(request, name_);
  if (action == nullptr) return fail(bad_input(what + ": unknown action"));
  const bool write = is_write(action->kind);

  if (action->kind == Kind::update) {
    // 204 No Content: the fields now hold the values sent.
    return json{{"id", request.input.value("id", json(nullptr))}};
  }
  if (action->kind == Kind::upsert && response.status == 204) {
    // API versions before 46.0 answer an update by upsert with 204 and no id.
    return json{{"id", nullptr}, {"created", false}};
  }
  json body = json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (!body.is_object()) return fail(unreadable(what, response, write));

  switch (action->kind) {
    case Kind::upsert: {
      const auto id = body.find("id");
      if (id == body.end() || !id->is_string()) return fail(unreadable(what, response, write));
      const auto created = body.find("created");
      const bool was_created = created != body.end() && created->is_boolean()
                                   ? created->get<bool>()
                                   : response.status == 201;
      return json{{"id", *id}, {"created", was_created}};
    }
    case Kind::query:
      if (!body.contains("records") || !body["records"].is_array()) {
        return fail(unreadable(what, response, write));
      }
      return body;
    case Kind::get:
    case Kind::update:
      break;
  }
  return body;
}

std::optional<nlohmann::json> SalesforceConnector::next_page(const engine::ActionRequest& request,
                                                             const nlohmann::json& output) const {
  if (request.action != "query" || !output.is_object()) return std::nullopt;
  const auto done = output.find("done");
  if (done != output.end() && done->is_boolean() && done->get<bool>()) return std::nullopt;
  const auto next = output.find("nextRecordsUrl");
  if (next == output.end() || !next->is_string() || next->get_ref<const std::string&>().empty()) {
    return std::nullopt;
  }
  return json{{"next_records_url", *next}};
}

void SalesforceConnector::on_failure(const engine::ActionRequest& /*request*/,
                                     const Failure& failure) const {
  // The platform no longer accepts the token: the next attempt fetches a new one.
  if (failure.platform_code == "INVALID_SESSION_ID" || failure.http_status == 401) {
    tokens_.drop();
  }
}

}  // namespace weft::connectors::salesforce
