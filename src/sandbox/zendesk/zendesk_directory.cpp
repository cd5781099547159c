// Organizations and users: show, search by external_id (users also by query), create and
// create_or_update (organizations match id or external_id, users external_id or email).

#include <algorithm>
#include <cctype>

#include "sandbox/zendesk/zendesk_http.hpp"

namespace weft::sandbox::zendesk {

namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// external_id as Zendesk keeps it: a string (numbers are accepted and kept as text) or null.
std::optional<Json> external_id_value(const Json& value) {
  if (value.is_null() || value.is_string()) return value;
  if (value.is_number_integer()) return Json(std::to_string(value.get<std::int64_t>()));
  return std::nullopt;
}

bool string_list(const Json& value) {
  return value.is_array() &&
         std::all_of(value.begin(), value.end(), [](const Json& v) { return v.is_string(); });
}

Json list_response(const char* key, const std::vector<const Json*>& records) {
  Json out;
  out[key] = Json::array();
  for (const Json* record : records) out[key].push_back(*record);
  out["next_page"] = nullptr;
  out["previous_page"] = nullptr;
  out["count"] = records.size();
  return out;
}

struct FieldChange {
  std::string field;
  Json previous, current;
};

// Copies the writable fields of `input` that `spec` names, type-checked; the 422 otherwise.
// `fields_key` ("organization_fields"/"user_fields") is merged key by key instead of replaced.
Result<std::vector<FieldChange>, http::Response> apply(
    Json& record, const Json& input, const std::vector<std::pair<std::string, std::string>>& spec,
    const std::string& fields_key) {
  std::vector<FieldChange> changes;
  const auto set = [&](const std::string& field, Json value) {
    Json previous = record.value(field, Json(nullptr));
    if (previous == value) return;
    record[field] = value;
    changes.push_back({field, std::move(previous), std::move(value)});
  };
  for (const auto& [field, kind] : spec) {
    const auto it = input.find(field);
    if (it == input.end()) continue;
    const Json& v = *it;
    bool ok = false;
    if (kind == "string") ok = v.is_string();
    else if (kind == "string?") ok = v.is_string() || v.is_null();
    else if (kind == "bool") ok = v.is_boolean();
    else if (kind == "id?") ok = v.is_null() || json_id(v).has_value();
    else if (kind == "strings") ok = string_list(v);
    else if (kind == "external_id") ok = external_id_value(v).has_value();
    if (!ok) return fail(record_invalid(field, field + ": is invalid"));
    if (kind == "external_id") set(field, *external_id_value(v));
    else if (kind == "id?") set(field, v.is_null() ? Json(nullptr) : Json(*json_id(v)));
    else if (kind == "strings") {
      Json lowered = Json::array();  // tags are lower case on Zendesk; domain names too
      for (const auto& s : v) lowered.push_back(lower(s.get<std::string>()));
      set(field, lowered);
    } else set(field, v);
  }
  if (const auto it = input.find(fields_key); it != input.end()) {
    if (!it->is_object()) return fail(record_invalid(fields_key, fields_key + ": must be an object"));
    Json& fields = record[fields_key];
    if (!fields.is_object()) fields = Json::object();
    for (const auto& [key, value] : it->items()) {
      Json previous = fields.value(key, Json(nullptr));
      if (previous == value) continue;
      fields[key] = value;
      changes.push_back({fields_key + "." + key, std::move(previous), value});
    }
  }
  return changes;
}

const std::vector<std::pair<std::string, std::string>> kOrganizationFields = {
    {"name", "string"},           {"external_id", "external_id"}, {"domain_names", "strings"},
    {"details", "string?"},       {"notes", "string?"},           {"group_id", "id?"},
    {"shared_tickets", "bool"},   {"shared_comments", "bool"},    {"tags", "strings"}};

const std::vector<std::pair<std::string, std::string>> kUserFields = {
    {"name", "string"},    {"email", "string"},       {"external_id", "external_id"},
    {"phone", "string?"},  {"organization_id", "id?"}, {"role", "string"},
    {"details", "string?"}, {"notes", "string?"},     {"verified", "bool"},
    {"tags", "strings"},   {"time_zone", "string"},    {"locale", "string"}};

}  // namespace

http::Response ZendeskEmulator::show_organization(Call& /*call*/, std::int64_t id) {
  const auto it = organizations_.find(id);
  if (it == organizations_.end()) return not_found();
  return json_response(200, Json{{"organization", it->second}});
}

http::Response ZendeskEmulator::search_organizations(Call& call) {
  const auto external_id = call.param("external_id");
  const auto name = call.param("name");
  if (!external_id && !name) {
    return error_response(400, "InvalidParameter", "external_id or name is required");
  }
  std::vector<const Json*> found;
  for (const auto& [id, organization] : organizations_) {
    if (external_id && organization.value("external_id", Json(nullptr)) == Json(*external_id)) {
      found.push_back(&organization);
    } else if (!external_id && lower(organization.value("name", "")) == lower(*name)) {
      found.push_back(&organization);
    }
  }
  return json_response(200, list_response("organizations", found));
}

http::Response ZendeskEmulator::create_organization(Call& call, bool or_update) {
  auto body = parse_wrapped_body(call.request, "organization");
  if (!body) return std::move(body).error();
  const Json& input = *body;

  std::int64_t match = 0;
  if (or_update) {
    if (const auto id = json_id(input.value("id", Json(nullptr))); id && organizations_.contains(*id)) {
      match = *id;
    } else if (const auto ext = external_id_value(input.value("external_id", Json(nullptr)));
               ext && !ext->is_null()) {
      for (const auto& [id2, organization] : organizations_) {
        if (organization.value("external_id", Json(nullptr)) == *ext) match = id2;
      }
    }
  }
  if (const auto it = input.find("name"); it != input.end() && it->is_string()) {
    for (const auto& [id, organization] : organizations_) {
      if (id != match && lower(organization.value("name", "")) == lower(it->get<std::string>())) {
        return record_invalid("name", "Name: has already been taken", "DuplicateValue");
      }
    }
  }

  const std::string at = iso_seconds(call.now);
  if (match != 0) {
    Json updated = organizations_[match];
    auto changes = apply(updated, input, kOrganizationFields, "organization_fields");
    if (!changes) return std::move(changes).error();
    if (!changes->empty()) {
      updated["updated_at"] = at;
      organizations_[match] = updated;
      const std::string subject = "zen:organization:" + std::to_string(match);
      Json tags_added = Json::array(), tags_removed = Json::array();
      for (const auto& change : *changes) {
        if (change.field == "name" || change.field == "external_id") {
          send_event("organization." + change.field + "_changed", subject,
                     organization_detail(updated),
                     Json{{"current", change.current}, {"previous", change.previous}});
        } else if (change.field == "tags") {
          for (const auto& tag : change.current) {
            if (!change.previous.is_array() ||
                std::find(change.previous.begin(), change.previous.end(), tag) == change.previous.end()) {
              tags_added.push_back(tag);
            }
          }
          if (change.previous.is_array()) {
            for (const auto& tag : change.previous) {
              if (std::find(change.current.begin(), change.current.end(), tag) == change.current.end()) {
                tags_removed.push_back(tag);
              }
            }
          }
          send_event("organization.tags_changed", subject, organization_detail(updated),
                     Json{{"tags_added", tags_added}, {"tags_removed", tags_removed}});
        } else if (change.field.starts_with("organization_fields.")) {  // one event per field
          send_event("organization.custom_field_changed", subject, organization_detail(updated),
                     Json{{"current", change.current},
                          {"previous", change.previous},
                          {"field", Json{{"key", change.field.substr(20)}}}});
        }
      }
    }
    return json_response(200, Json{{"organization", organizations_[match]}});
  }

  const auto name = input.find("name");
  if (name == input.end() || !name->is_string() || name->get<std::string>().empty()) {
    return record_invalid("name", "Name: cannot be blank", "BlankValue");
  }
  const std::int64_t id = next_object_id_;
  Json organization{{"id", id},
                    {"url", call.base + "/organizations/" + std::to_string(id) + ".json"},
                    {"name", ""},
                    {"shared_tickets", false},
                    {"shared_comments", false},
                    {"external_id", nullptr},
                    {"created_at", at},
                    {"updated_at", at},
                    {"domain_names", Json::array()},
                    {"details", ""},
                    {"notes", ""},
                    {"group_id", nullptr},
                    {"tags", Json::array()},
                    {"organization_fields", Json::object()}};
  auto changes = apply(organization, input, kOrganizationFields, "organization_fields");
  if (!changes) return std::move(changes).error();
  next_object_id();
  organizations_[id] = organization;
  send_event("organization.created", "zen:organization:" + std::to_string(id),
             organization_detail(organization), Json::object());
  auto response = json_response(201, Json{{"organization", organization}});
  response.headers.set("Location", call.base + "/organizations/" + std::to_string(id) + ".json");
  return response;
}

http::Response ZendeskEmulator::show_user(Call& /*call*/, std::int64_t id) {
  const auto it = users_.find(id);
  if (it == users_.end()) return not_found();
  return json_response(200, Json{{"user", it->second}});
}

http::Response ZendeskEmulator::search_users(Call& call) {
  const auto external_id = call.param("external_id");
  const auto query = call.param("query");
  if (!external_id && !query) return error_response(400, "InvalidParameter", "external_id or query is required");
  // query: "email:x@y", "name:Jo", "external_id:abc" or words matched against name and email.
  std::string field, needle;
  if (query) {
    const auto colon = query->find(':');
    if (colon != std::string::npos) {
      field = lower(query->substr(0, colon));
      needle = lower(query->substr(colon + 1));
    } else {
      needle = lower(*query);
    }
  }
  std::vector<const Json*> found;
  for (const auto& [id, user] : users_) {
    const Json ext = user.value("external_id", Json(nullptr));
    if (external_id) {
      if (ext == Json(*external_id)) found.push_back(&user);
      continue;
    }
    const std::string email = lower(user.value("email", Json("")).is_string() ? user.value("email", "") : "");
    const std::string name = lower(user.value("name", ""));
    const std::string ext_text = ext.is_string() ? lower(ext.get<std::string>()) : "";
    const bool hit = field == "email"         ? email == needle
                     : field == "name"        ? name.find(needle) != std::string::npos
                     : field == "external_id" ? ext_text == needle
                     : field.empty() ? (email == needle || name.find(needle) != std::string::npos)
                                     : false;
    if (hit) found.push_back(&user);
  }
  return json_response(200, list_response("users", found));
}

http::Response ZendeskEmulator::create_user(Call& call, bool or_update) {
  auto body = parse_wrapped_body(call.request, "user");
  if (!body) return std::move(body).error();
  const Json& input = *body;

  const auto ext = external_id_value(input.value("external_id", Json(nullptr)));
  const Json email = input.value("email", Json(nullptr));
  std::int64_t match = 0;
  if (or_update) {
    for (const auto& [id, user] : users_) {
      if (ext && !ext->is_null() && user.value("external_id", Json(nullptr)) == *ext) match = id;
    }
    if (match == 0 && email.is_string()) {
      for (const auto& [id, user] : users_) {
        const Json mine = user.value("email", Json(nullptr));
        if (mine.is_string() && lower(mine.get<std::string>()) == lower(email.get<std::string>())) match = id;
      }
    }
  }
  if (const auto role = input.find("role"); role != input.end()) {
    if (!role->is_string() || (*role != "end-user" && *role != "agent" && *role != "admin")) {
      return record_invalid("role", "Role: is not valid");
    }
  }
  for (const auto& [id, user] : users_) {
    if (id == match) continue;
    const Json mine = user.value("email", Json(nullptr));
    if (email.is_string() && mine.is_string() &&
        lower(mine.get<std::string>()) == lower(email.get<std::string>())) {
      return record_invalid("email", "Email: " + email.get<std::string>() +
                                         " is already being used by another user",
                            "DuplicateValue");
    }
    if (ext && !ext->is_null() && user.value("external_id", Json(nullptr)) == *ext) {
      return record_invalid("external_id",
                            "External: " + ext->get<std::string>() + " has already been taken",
                            "DuplicateValue");
    }
  }
  if (const auto org = json_id(input.value("organization_id", Json(nullptr)));
      org && !organizations_.contains(*org)) {
    return record_invalid("organization_id", "Organization: is invalid");
  }

  const std::string at = iso_seconds(call.now);
  if (match != 0) {
    Json updated = users_[match];
    auto changes = apply(updated, input, kUserFields, "user_fields");
    if (!changes) return std::move(changes).error();
    if (!changes->empty()) {
      updated["updated_at"] = at;
      users_[match] = updated;
      for (const auto& change : *changes) {
        if (change.field == "name" || change.field == "external_id") {
          send_event("user." + change.field + "_changed", "zen:user:" + std::to_string(match),
                     user_detail(updated),
                     Json{{"current", change.current}, {"previous", change.previous}});
        }
      }
    }
    return json_response(200, Json{{"user", users_[match]}});
  }

  const auto name = input.find("name");
  if (name == input.end() || !name->is_string() || name->get<std::string>().empty()) {
    return record_invalid("name", "Name: is too short (minimum one character)", "TooShort");
  }
  const std::int64_t id = next_object_id_;
  Json user{{"id", id},
            {"url", call.base + "/users/" + std::to_string(id) + ".json"},
            {"name", ""},
            {"email", nullptr},
            {"created_at", at},
            {"updated_at", at},
            {"time_zone", "UTC"},
            {"iana_time_zone", "Etc/UTC"},
            {"phone", nullptr},
            {"shared_phone_number", nullptr},
            {"photo", nullptr},
            {"locale_id", 1},
            {"locale", "en-US"},
            {"organization_id", nullptr},
            {"role", "end-user"},
            {"verified", false},
            {"external_id", nullptr},
            {"tags", Json::array()},
            {"alias", nullptr},
            {"active", true},
            {"shared", false},
            {"shared_agent", false},
            {"last_login_at", nullptr},
            {"two_factor_auth_enabled", false},
            {"signature", nullptr},
            {"details", ""},
            {"notes", ""},
            {"role_type", nullptr},
            {"custom_role_id", nullptr},
            {"moderator", false},
            {"ticket_restriction", "requested"},
            {"only_private_comments", false},
            {"restricted_agent", true},
            {"suspended", false},
            {"default_group_id", nullptr},
            {"report_csv", false},
            {"user_fields", Json::object()}};
  auto changes = apply(user, input, kUserFields, "user_fields");
  if (!changes) return std::move(changes).error();
  next_object_id();
  users_[id] = user;
  send_event("user.created", "zen:user:" + std::to_string(id), user_detail(user), Json::object());
  auto response = json_response(201, Json{{"user", user}});
  response.headers.set("Location", call.base + "/users/" + std::to_string(id) + ".json");
  return response;
}

Result<std::int64_t, http::Response> ZendeskEmulator::find_or_create_requester(Call& call,
                                                                              const Json& requester) {
  if (!requester.is_object() || !requester.value("email", Json(nullptr)).is_string()) {
    return fail(record_invalid("requester", "Requester: needs an email"));
  }
  const std::string email = requester.at("email").get<std::string>();
  for (const auto& [id, user] : users_) {
    const Json mine = user.value("email", Json(nullptr));
    if (mine.is_string() && lower(mine.get<std::string>()) == lower(email)) return id;
  }
  std::string name = email.substr(0, email.find('@'));
  if (const auto it = requester.find("name"); it != requester.end() && it->is_string() &&
                                               !it->get<std::string>().empty()) {
    name = it->get<std::string>();
  }
  const std::int64_t id = next_object_id();
  const std::string at = iso_seconds(call.now);
  users_[id] = Json{{"id", id},
                    {"url", call.base + "/users/" + std::to_string(id) + ".json"},
                    {"name", name},
                    {"email", email},
                    {"created_at", at},
                    {"updated_at", at},
                    {"time_zone", "UTC"},
                    {"locale", "en-US"},
                    {"organization_id", nullptr},
                    {"role", "end-user"},
                    {"verified", false},
                    {"external_id", nullptr},
                    {"tags", Json::array()},
                    {"active", true},
                    {"suspended", false},
                    {"user_fields", Json::object()}};
  send_event("user.created", "zen:user:" + std::to_string(id), user_detail(users_[id]), Json::object());
  return id;
}

}  // namespace weft::sandbox::zendesk
