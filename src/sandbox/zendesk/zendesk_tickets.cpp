// Tickets: create (with Idempotency-Key), show, update (safe_update, tags, custom fields,
// comments), lists, comments and the cursor-based incremental export.

#include <algorithm>
#include <array>
#include <cctype>
#include <functional>
#include <tuple>

#include "core/time_format.hpp"
#include "sandbox/zendesk/zendesk_http.hpp"

namespace weft::sandbox::zendesk {

namespace {

constexpr std::array<std::string_view, 6> kStatuses = {"new",    "open",   "pending",
                                                       "hold",   "solved", "closed"};
constexpr std::array<std::string_view, 4> kPriorities = {"urgent", "high", "normal", "low"};
constexpr std::array<std::string_view, 4> kTypes = {"problem", "incident", "question", "task"};

template <std::size_t N>
bool one_of(const std::array<std::string_view, N>& values, std::string_view value) {
  return std::find(values.begin(), values.end(), value) != values.end();
}

std::string capitalized(std::string_view field) {
  std::string out(field);
  if (!out.empty()) out[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(out[0])));
  return out;
}

// Zendesk's custom status ids for the default status of each category (any account has them).
std::int64_t custom_status_id(std::string_view status) {
  const auto it = std::find(kStatuses.begin(), kStatuses.end(), status);
  return 1'000'000 + (it - kStatuses.begin());
}

Json via_api() {
  return Json{{"channel", "api"},
              {"source", Json{{"from", Json::object()}, {"to", Json::object()}, {"rel", nullptr}}}};
}

// Tags as Zendesk stores them: lower case, split at spaces, no duplicates.
std::optional<std::vector<std::string>> parse_tags(const Json& value) {
  if (!value.is_array()) return std::nullopt;
  std::vector<std::string> tags;
  for (const auto& item : value) {
    if (!item.is_string()) return std::nullopt;
    std::string word;
    const auto flush = [&] {
      if (!word.empty() && std::find(tags.begin(), tags.end(), word) == tags.end()) {
        tags.push_back(word);
      }
      word.clear();
    };
    for (const char c : item.get<std::string>()) {
      if (c == ' ' || c == '\t' || c == '\n' || c == ',') {
        flush();
      } else {
        word += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      }
    }
    flush();
  }
  return tags;
}

std::vector<std::string> tags_of(const Json& ticket) {
  return parse_tags(ticket.value("tags", Json::array())).value_or(std::vector<std::string>{});
}

std::string html_escape(std::string_view text) {
  std::string out;
  for (const char c : text) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      case '\n': out += "<br>"; break;
      default: out += c;
    }
  }
  return out;
}

std::string strip_html(std::string_view html) {
  std::string out;
  bool in_tag = false;
  for (const char c : html) {
    if (c == '<') in_tag = true;
    else if (c == '>') in_tag = false;
    else if (!in_tag) out += c;
  }
  return out;
}

// What one create or update changed, for the audit and the webhooks.
struct Changes {
  std::vector<std::tuple<std::string, Json, Json>> fields;  // status/priority/…: previous, current
  std::vector<std::string> tags_added, tags_removed;
  std::vector<std::tuple<std::int64_t, Json, Json>> custom_fields;  // id, previous, current
  bool any() const { return !fields.empty() || !tags_added.empty() || !tags_removed.empty() ||
                            !custom_fields.empty(); }
};

void set_field(Json& ticket, Changes& changes, const std::string& field, Json value) {
  Json previous = ticket.value(field, Json(nullptr));
  if (previous == value) return;
  ticket[field] = value;
  changes.fields.emplace_back(field, std::move(previous), std::move(value));
}

void set_tags(Json& ticket, Changes& changes, const std::vector<std::string>& tags) {
  const auto before = tags_of(ticket);
  for (const auto& tag : tags) {
    if (std::find(before.begin(), before.end(), tag) == before.end()) changes.tags_added.push_back(tag);
  }
  for (const auto& tag : before) {
    if (std::find(tags.begin(), tags.end(), tag) == tags.end()) changes.tags_removed.push_back(tag);
  }
  ticket["tags"] = tags;
}

// A string or null for an enumerated field; the 422 otherwise.
template <std::size_t N>
Result<Json, http::Response> enum_value(const Json& value, std::string_view field,
                                        const std::array<std::string_view, N>& allowed,
                                        bool nullable) {
  if (value.is_null() && nullable) return Json(nullptr);
  if (value.is_string() && one_of(allowed, value.get<std::string>())) return Json(value);
  return fail(record_invalid(field, capitalized(field) + ": is not valid"));
}

// The writable ticket fields of `input` applied to `ticket`. References to users and
// organizations are checked by the caller.
Result<Changes, http::Response> apply_fields(Json& ticket, const Json& input, bool creating) {
  Changes changes;
  if (const auto it = input.find("subject"); it != input.end()) {
    if (!it->is_string() && !it->is_null()) return fail(record_invalid("subject", "Subject: is invalid"));
    set_field(ticket, changes, "subject", *it);
    ticket["raw_subject"] = *it;
  }
  if (const auto it = input.find("status"); it != input.end()) {
    auto status = enum_value(*it, "status", kStatuses, false);
    if (!status) return fail(std::move(status).error());
    if (!creating && *status == "new" && ticket.value("status", "") != "new") {
      return fail(record_invalid("status", "Status: cannot be set to New"));
    }
    set_field(ticket, changes, "status", *status);
  }
  if (const auto it = input.find("priority"); it != input.end()) {
    auto priority = enum_value(*it, "priority", kPriorities, true);
    if (!priority) return fail(std::move(priority).error());
    set_field(ticket, changes, "priority", *priority);
  }
  if (const auto it = input.find("type"); it != input.end()) {
    auto type = enum_value(*it, "type", kTypes, true);
    if (!type) return fail(std::move(type).error());
    set_field(ticket, changes, "type", *type);
  }
  for (const char* field : {"assignee_id", "group_id", "organization_id", "requester_id"}) {
    const auto it = input.find(field);
    if (it == input.end()) continue;
    if (!it->is_null() && !json_id(*it)) {
      return fail(record_invalid(field, capitalized(field) + ": is invalid"));
    }
    set_field(ticket, changes, field, it->is_null() ? Json(nullptr) : Json(*json_id(*it)));
  }
  if (const auto it = input.find("external_id"); it != input.end()) {
    if (it->is_number_integer()) set_field(ticket, changes, "external_id", std::to_string(it->get<std::int64_t>()));
    else if (it->is_string() || it->is_null()) set_field(ticket, changes, "external_id", *it);
    else return fail(record_invalid("external_id", "External id: is invalid"));
  }
  if (const auto it = input.find("due_at"); it != input.end()) {
    if (!it->is_null() && !(it->is_string() && parse_iso8601_ms(it->get<std::string>()))) {
      return fail(record_invalid("due_at", "Due at: is not a valid ISO-8601 time"));
    }
    set_field(ticket, changes, "due_at", *it);
  }

  // Tags: `tags` replaces the list; additional_tags and remove_tags edit it.
  std::optional<std::vector<std::string>> tags;
  if (const auto it = input.find("tags"); it != input.end()) {
    if (!(tags = parse_tags(*it))) return fail(record_invalid("tags", "Tags: must be a list of strings"));
  }
  if (input.contains("additional_tags") || input.contains("remove_tags")) {
    if (!tags) tags = tags_of(ticket);
    if (const auto it = input.find("additional_tags"); it != input.end()) {
      const auto add = parse_tags(*it);
      if (!add) return fail(record_invalid("additional_tags", "Additional tags: must be a list of strings"));
      for (const auto& tag : *add) {
        if (std::find(tags->begin(), tags->end(), tag) == tags->end()) tags->push_back(tag);
      }
    }
    if (const auto it = input.find("remove_tags"); it != input.end()) {
      const auto remove = parse_tags(*it);
      if (!remove) return fail(record_invalid("remove_tags", "Remove tags: must be a list of strings"));
      std::erase_if(*tags, [&](const std::string& tag) {
        return std::find(remove->begin(), remove->end(), tag) != remove->end();
      });
    }
  }
  if (tags) set_tags(ticket, changes, *tags);

  // Custom fields: merged by id; `fields` is the same list under another name.
  for (const char* key : {"custom_fields", "fields"}) {
    const auto it = input.find(key);
    if (it == input.end()) continue;
    if (!it->is_array()) return fail(record_invalid(key, "Custom fields: must be a list of {id, value}"));
    for (const auto& entry : *it) {
      const auto id = entry.is_object() ? json_id(entry.value("id", Json(nullptr))) : std::nullopt;
      if (!id || !entry.contains("value")) {
        return fail(record_invalid(key, "Custom fields: every entry needs an integer id and a value"));
      }
      const Json& value = entry.at("value");
      Json& list = ticket["custom_fields"];
      auto existing = std::find_if(list.begin(), list.end(),
                                   [&](const Json& f) { return f.value("id", Json(0)) == *id; });
      if (existing == list.end()) {
        list.push_back(Json{{"id", *id}, {"value", value}});
        changes.custom_fields.emplace_back(*id, Json(nullptr), value);
      } else if ((*existing)["value"] != value) {
        changes.custom_fields.emplace_back(*id, (*existing)["value"], value);
        (*existing)["value"] = value;
      }
    }
    ticket["fields"] = ticket["custom_fields"];
  }
  return changes;
}

// A comment from {"body"|"html_body", "public", "author_id"}; the 422 when it is unusable.
Result<Json, http::Response> build_comment(const Json& input, std::int64_t id, std::int64_t audit_id,
                                           std::int64_t default_author, const std::string& at) {
  if (!input.is_object()) return fail(record_invalid("comment", "Comment: must be an object"));
  std::string body, html_body;
  if (const auto it = input.find("html_body"); it != input.end() && !it->is_null()) {
    if (!it->is_string()) return fail(record_invalid("comment", "Comment: html_body must be a string"));
    html_body = it->get<std::string>();
    body = strip_html(html_body);
  } else if (const auto b = input.find("body"); b != input.end() && !b->is_null()) {
    if (!b->is_string()) return fail(record_invalid("comment", "Comment: body must be a string"));
    body = b->get<std::string>();
    html_body = "<div class=\"zd-comment\" dir=\"auto\">" + html_escape(body) + "</div>";
  }
  if (body.find_first_not_of(" \t\r\n") == std::string::npos) {
    return fail(record_invalid("comment", "Comment: cannot be blank", "BlankValue"));
  }
  bool is_public = true;
  if (const auto it = input.find("public"); it != input.end()) {
    if (!it->is_boolean()) return fail(record_invalid("comment", "Comment: public must be true or false"));
    is_public = it->get<bool>();
  }
  std::int64_t author = default_author;
  if (const auto it = input.find("author_id"); it != input.end() && !it->is_null()) {
    const auto parsed = json_id(*it);
    if (!parsed) return fail(record_invalid("comment", "Comment: author_id is invalid"));
    author = *parsed;
  }
  return Json{{"id", id},
              {"type", "Comment"},
              {"author_id", author},
              {"body", body},
              {"html_body", html_body},
              {"plain_body", body},
              {"public", is_public},
              {"attachments", Json::array()},
              {"audit_id", audit_id},
              {"via", via_api()},
              {"created_at", at},
              {"metadata", Json{{"system", Json::object()}, {"custom", Json::object()}}}};
}

Json audit_events(const Changes& changes, const Json* comment, bool creating,
                  const std::function<std::int64_t()>& next_id) {
  Json events = Json::array();
  if (comment) {
    Json event = *comment;
    event.erase("audit_id");
    event.erase("created_at");
    event.erase("via");
    event.erase("metadata");
    event["id"] = next_id();
    events.push_back(event);
  }
  for (const auto& [field, previous, current] : changes.fields) {
    Json event{{"id", next_id()}, {"type", creating ? "Create" : "Change"}, {"value", current},
               {"field_name", field}};
    if (!creating) event["previous_value"] = previous;
    events.push_back(event);
  }
  return events;
}

// One update as the incremental ticket-events export shows it: an "Audit" whose
// child_events hold each change as {"<field>": new value, "previous_value": old} (tags as
// the whole list with added_tags/removed_tags, custom fields under custom_ticket_fields),
// "Create" children on the ticket's creation, and a comment as comment_present/comment_public.
Json export_event(const Json& ticket, std::int64_t audit_id, const std::string& at,
                  std::int64_t updater_id, const Changes& changes, const Json* comment,
                  bool creating, const std::function<std::int64_t()>& next_id) {
  const char* kind = creating ? "Create" : "Change";
  Json children = Json::array();
  const auto child = [&](Json fields, const char* event_type) {
    Json event{{"id", next_id()}, {"via", "Web Service"}, {"via_reference_id", nullptr}};
    for (auto& [key, value] : fields.items()) event[key] = value;
    event["event_type"] = event_type;
    children.push_back(std::move(event));
  };
  // A creation lists the ticket's initial values, whether or not the request set them.
  std::vector<std::tuple<std::string, Json, Json>> changed = changes.fields;
  if (creating) {
    changed.clear();
    for (const char* field : {"subject", "status", "priority", "type", "requester_id",
                              "organization_id", "assignee_id", "group_id"}) {
      changed.emplace_back(field, Json(nullptr), ticket.value(field, Json(nullptr)));
    }
  }
  for (const auto& [field, previous, current] : changed) {
    Json fields{{field, current}};
    if (!creating) fields["previous_value"] = previous;
    child(std::move(fields), kind);
    if (field == "status" && current.is_string()) {  // the custom status follows the status
      Json custom{{"custom_status_id", custom_status_id(current.get<std::string>())}};
      if (!creating && previous.is_string()) {
        custom["previous_value"] = custom_status_id(previous.get<std::string>());
      }
      child(std::move(custom), kind);
    }
  }
  if (creating || !changes.tags_added.empty() || !changes.tags_removed.empty()) {
    child(Json{{"tags", ticket.value("tags", Json::array())},
               {"added_tags", changes.tags_added},
               {"removed_tags", changes.tags_removed}},
          kind);
  }
  for (const auto& [field_id, previous, current] : changes.custom_fields) {
    Json fields{{"custom_ticket_fields", Json{{std::to_string(field_id), current}}}};
    if (!creating) fields["previous_value"] = previous;
    child(std::move(fields), kind);
  }
  if (comment) {
    child(Json{{"comment_present", true}, {"comment_public", (*comment)["public"]}}, "Comment");
  }
  return Json{{"id", audit_id},
              {"ticket_id", ticket["id"]},
              {"timestamp", parse_iso8601_ms(at).value_or(0) / 1000},
              {"created_at", at},
              {"updater_id", updater_id},
              {"via", "Web Service"},
              {"system", Json::object()},
              {"metadata", Json{{"system", Json::object()}, {"custom", Json::object()}}},
              {"event_type", "Audit"},
              {"child_events", std::move(children)},
              {"merged_ticket_ids", Json::array()}};
}

std::string upper(const Json& value) {
  if (!value.is_string()) return "";
  std::string out = value.get<std::string>();
  for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

http::Response ZendeskEmulator::create_ticket(Call& call) {
  auto body = parse_wrapped_body(call.request, "ticket");
  if (!body) return std::move(body).error();
  const auto key = call.request.headers.get("Idempotency-Key");
  if (!key || key->empty()) return create_ticket_once(call, *body);
  if (key->size() > 255) {
    return error_response(400, "IdempotentRequestError",
                          "Idempotency-Key must be at most 255 characters");
  }

  std::erase_if(idempotency_, [&](const auto& entry) { return entry.second.expires <= call.now; });
  const Json whole = Json::parse(call.request.body);  // parsed above already: cannot throw
  if (const auto it = idempotency_.find(std::string(*key)); it != idempotency_.end()) {
    if (it->second.request != whole) {
      return error_response(400, "IdempotentRequestError",
                            "Request parameters don't match the given idempotency key");
    }
    http::Response replay;
    replay.status = 201;
    replay.headers.set("Content-Type", "application/json; charset=utf-8");
    replay.headers.set("Location", it->second.location);
    replay.headers.set("x-idempotency-lookup", "hit");
    replay.body = it->second.response_body;
    return replay;
  }
  auto response = create_ticket_once(call, *body);
  if (response.status == 201) {
    idempotency_[std::string(*key)] =
        Replay{whole, response.body, std::string(response.headers.get("Location").value_or("")),
               call.now + options_.idempotency_ttl};
    response.headers.set("x-idempotency-lookup", "miss");
  }
  return response;
}

http::Response ZendeskEmulator::create_ticket_once(Call& call, const Json& input) {
  const std::string at = iso_seconds(call.now);
  const std::int64_t id = next_ticket_id_;

  // The first comment: `comment`, else `description`.
  Json comment_input;
  if (const auto it = input.find("comment"); it != input.end()) {
    comment_input = *it;
  } else if (const auto d = input.find("description"); d != input.end()) {
    comment_input = Json{{"body", *d}};
  } else {
    return record_invalid("description", "Description: cannot be blank", "BlankValue");
  }

  Json ticket{{"id", id},
              {"url", call.base + "/tickets/" + std::to_string(id) + ".json"},
              {"external_id", nullptr},
              {"via", via_api()},
              {"created_at", at},
              {"updated_at", at},
              {"generated_timestamp", 0},
              {"type", nullptr},
              {"subject", nullptr},
              {"raw_subject", nullptr},
              {"description", ""},
              {"priority", nullptr},
              {"status", "new"},
              {"recipient", nullptr},
              {"requester_id", agent_id_},
              {"submitter_id", agent_id_},
              {"assignee_id", nullptr},
              {"organization_id", nullptr},
              {"group_id", nullptr},
              {"collaborator_ids", Json::array()},
              {"follower_ids", Json::array()},
              {"email_cc_ids", Json::array()},
              {"forum_topic_id", nullptr},
              {"problem_id", nullptr},
              {"has_incidents", false},
              {"is_public", true},
              {"due_at", nullptr},
              {"tags", Json::array()},
              {"custom_fields", Json::array()},
              {"satisfaction_rating", nullptr},
              {"sharing_agreement_ids", Json::array()},
              {"custom_status_id", custom_status_id("new")},
              {"fields", Json::array()},
              {"followup_ids", Json::array()},
              {"ticket_form_id", 360000000001},
              {"brand_id", 360000000002},
              {"allow_channelback", false},
              {"allow_attachments", true},
              {"from_messaging_channel", false}};

  auto changes = apply_fields(ticket, input, true);
  if (!changes) return std::move(changes).error();
  if (input.contains("assignee_id") && !input.contains("status") && !ticket["assignee_id"].is_null()) {
    ticket["status"] = "open";  // Zendesk opens a ticket created with an assignee
  }
  ticket["custom_status_id"] = custom_status_id(ticket["status"].get<std::string>());

  // References must exist; a `requester` object finds or creates the user by email.
  if (const auto it = input.find("requester"); it != input.end() && !input.contains("requester_id")) {
    auto requester = find_or_create_requester(call, *it);
    if (!requester) return std::move(requester).error();
    ticket["requester_id"] = *requester;
  }
  if (ticket["requester_id"].is_null()) return record_invalid("requester", "Requester: is invalid");
  const auto requester = users_.find(ticket["requester_id"].get<std::int64_t>());
  if (requester == users_.end()) return record_invalid("requester", "Requester: is invalid");
  if (ticket["organization_id"].is_null()) {
    ticket["organization_id"] = requester->second.value("organization_id", Json(nullptr));
  } else if (!organizations_.contains(ticket["organization_id"].get<std::int64_t>())) {
    return record_invalid("organization_id", "Organization: is invalid");
  }

  const std::int64_t audit_id = next_object_id();
  auto comment = build_comment(comment_input, next_object_id(), audit_id, agent_id_, at);
  if (!comment) return std::move(comment).error();
  if (!comment_input.contains("author_id")) (*comment)["author_id"] = ticket["requester_id"];
  ticket["description"] = (*comment)["body"];
  ticket["is_public"] = (*comment)["public"];

  ++next_ticket_id_;
  Ticket& stored = tickets_[id];
  stored.data = ticket;
  stored.comments.push_back(*comment);
  touch(stored, call.now);

  Json audit{{"id", audit_id},
             {"ticket_id", id},
             {"created_at", at},
             {"author_id", agent_id_},
             {"metadata", Json{{"system", Json::object()}, {"custom", Json::object()}}},
             {"via", via_api()},
             {"events", audit_events(*changes, &*comment, true, [this] { return next_object_id(); })}};

  stored.audits.push_back(export_event(stored.data, audit_id, at, agent_id_, *changes, &*comment,
                                      true, [this] { return next_object_id(); }));

  send_event("ticket.created", "zen:ticket:" + std::to_string(id), ticket_detail(stored.data),
             Json{{"meta", Json{{"sequence", Json{{"id", new_uuid()}, {"position", 1}}}}}});

  auto response = json_response(201, Json{{"ticket", stored.data}, {"audit", audit}});
  response.headers.set("Location", call.base + "/tickets/" + std::to_string(id) + ".json");
  return response;
}

http::Response ZendeskEmulator::show_ticket(Call& /*call*/, std::int64_t id) {
  const auto it = tickets_.find(id);
  if (it == tickets_.end()) return not_found();
  return json_response(200, Json{{"ticket", it->second.data}});
}

http::Response ZendeskEmulator::update_ticket(Call& call, std::int64_t id) {
  const auto found = tickets_.find(id);
  if (found == tickets_.end()) return not_found();
  auto body = parse_wrapped_body(call.request, "ticket");
  if (!body) return std::move(body).error();
  const Json& input = *body;
  Ticket& ticket = found->second;

  if (ticket.data.value("status", "") == "closed") {
    return record_invalid("status", "Status: closed prevents ticket update", "ClosedTicket");
  }
  if (input.value("safe_update", Json(false)) == Json(true)) {
    const Json stamp = input.value("updated_stamp", Json(nullptr));
    const auto stamp_ms = stamp.is_string() ? parse_iso8601_ms(stamp.get<std::string>()) : std::nullopt;
    if (!stamp_ms) {
      return record_invalid("updated_stamp",
                            "Updated stamp: safe_update needs updated_stamp, the ticket's updated_at");
    }
    if (*stamp_ms != parse_iso8601_ms(ticket.data.value("updated_at", "")).value_or(-1)) {
      return error_response(409, "UpdateConflict",
                            "Safe Update prevented the update due to outdated ticket data. Please "
                            "fetch the latest ticket data and try again.");
    }
  }

  Json updated = ticket.data;
  auto changes = apply_fields(updated, input, false);
  if (!changes) return std::move(changes).error();
  if (updated["requester_id"].is_null() ||
      !users_.contains(updated["requester_id"].get<std::int64_t>())) {
    return record_invalid("requester", "Requester: is invalid");
  }
  if (!updated["organization_id"].is_null() &&
      !organizations_.contains(updated["organization_id"].get<std::int64_t>())) {
    return record_invalid("organization_id", "Organization: is invalid");
  }

  const std::string at = iso_seconds(call.now);
  const std::int64_t audit_id = next_object_id();
  std::optional<Json> comment;
  if (const auto it = input.find("comment"); it != input.end() && !it->is_null()) {
    auto built = build_comment(*it, next_object_id(), audit_id, agent_id_, at);
    if (!built) return std::move(built).error();
    comment = std::move(*built);
  }

  if (changes->any() || comment) {
    updated["custom_status_id"] = custom_status_id(updated["status"].get<std::string>());
    ticket.data = std::move(updated);
    if (comment) ticket.comments.push_back(*comment);
    touch(ticket, call.now);
    ticket.audits.push_back(export_event(ticket.data, audit_id, at, agent_id_, *changes,
                                         comment ? &*comment : nullptr, false,
                                         [this] { return next_object_id(); }));

    // One webhook per kind of change, one sequence for the whole update.
    const std::string sequence = new_uuid();
    int position = 0;
    const std::string subject = "zen:ticket:" + std::to_string(id);
    const auto meta = [&] {
      return Json{{"sequence", Json{{"id", sequence}, {"position", ++position}}}};
    };
    for (const auto& [field, previous, current] : changes->fields) {
      if (field != "status" && field != "priority") continue;
      send_event("ticket." + field + "_changed", subject, ticket_detail(ticket.data),
                 Json{{"current", current.is_null() ? Json(nullptr) : Json(upper(current))},
                      {"previous", previous.is_null() ? Json(nullptr) : Json(upper(previous))},
                      {"meta", meta()}});
    }
    if (!changes->tags_added.empty() || !changes->tags_removed.empty()) {
      send_event("ticket.tags_changed", subject, ticket_detail(ticket.data),
                 Json{{"tags_added", changes->tags_added},
                      {"tags_removed", changes->tags_removed},
                      {"meta", meta()}});
    }
    for (const auto& [field_id, previous, current] : changes->custom_fields) {
      send_event("ticket.custom_field_changed", subject, ticket_detail(ticket.data),
                 Json{{"current", current},
                      {"previous", previous},
                      {"custom_field", Json{{"id", std::to_string(field_id)},
                                            {"title", "Custom field " + std::to_string(field_id)},
                                            {"type", "text"}}},
                      {"meta", meta()}});
    }
    if (comment) {
      const auto author_it = users_.find((*comment)["author_id"].get<std::int64_t>());
      const Json author_name =
          author_it == users_.end() ? Json(nullptr) : author_it->second.value("name", Json(nullptr));
      const bool staff = author_it != users_.end() && author_it->second.value("role", "") != "end-user";
      send_event("ticket.comment_added", subject, ticket_detail(ticket.data),
                 Json{{"comment", Json{{"id", std::to_string((*comment)["id"].get<std::int64_t>())},
                                       {"body", (*comment)["body"]},
                                       {"is_public", (*comment)["public"]},
                                       {"author", Json{{"id", std::to_string((*comment)["author_id"].get<std::int64_t>())},
                                                       {"is_staff", staff},
                                                       {"name", author_name}}}}},
                      {"meta", meta()}});
    }
  }

  Json audit{{"id", audit_id},
             {"ticket_id", id},
             {"created_at", at},
             {"author_id", agent_id_},
             {"metadata", Json{{"system", Json::object()}, {"custom", Json::object()}}},
             {"via", via_api()},
             {"events", audit_events(*changes, comment ? &*comment : nullptr, false,
                                     [this] { return next_object_id(); })}};
  return json_response(200, Json{{"ticket", ticket.data}, {"audit", audit}});
}

http::Response ZendeskEmulator::list_tickets(Call& call) {
  const auto external_id = call.param("external_id");
  std::vector<const Json*> records;
  std::vector<std::int64_t> keys;
  for (const auto& [id, ticket] : tickets_) {
    if (external_id && ticket.data.value("external_id", Json(nullptr)) != Json(*external_id)) continue;
    records.push_back(&ticket.data);
    keys.push_back(id);
  }
  return paged_list(call, "tickets", records, keys);
}

http::Response ZendeskEmulator::list_comments(Call& call, std::int64_t id) {
  const auto it = tickets_.find(id);
  if (it == tickets_.end()) return not_found();
  const bool descending = call.param("sort_order") == std::optional<std::string>("desc");
  std::vector<const Json*> records;
  std::vector<std::int64_t> keys;
  for (const auto& comment : it->second.comments) {
    records.push_back(&comment);
    keys.push_back(comment.value("id", std::int64_t{0}));
  }
  if (descending) {
    std::reverse(records.begin(), records.end());
    std::reverse(keys.begin(), keys.end());
    for (auto& key : keys) key = -key;  // cursor positions must increase in the order served
  }
  return paged_list(call, "comments", records, keys);
}

http::Response ZendeskEmulator::incremental_tickets(Call& call) {
  std::size_t per_page = 1000;
  if (const auto text = call.param("per_page")) {
    const auto value = parse_id(*text);
    if (!value || *value > 1000) {
      return error_response(400, "InvalidPaginationParameter", "per_page must be a number from 1 to 1000");
    }
    per_page = static_cast<std::size_t>(*value);
  }

  // Tickets in the order they last changed; the cursor is a position in that order.
  std::vector<const Ticket*> order;
  for (const auto& [id, ticket] : tickets_) order.push_back(&ticket);
  std::sort(order.begin(), order.end(),
            [](const Ticket* a, const Ticket* b) { return a->change_seq < b->change_seq; });

  std::int64_t position = change_seq_;
  std::vector<const Ticket*> candidates;
  if (const auto cursor = call.param("cursor")) {
    const auto decoded = decode_cursor(*cursor);
    if (!decoded) return error_response(400, "InvalidValue", "cursor is not a cursor this API returned");
    position = *decoded;
    for (const Ticket* t : order) {
      if (t->change_seq > position) candidates.push_back(t);
    }
  } else if (const auto start = call.param("start_time")) {
    const auto seconds = call.export_start_time(*start);
    if (!seconds) return seconds.error();
    for (const Ticket* t : order) {
      if (parse_iso8601_ms(t->data.value("updated_at", "")).value_or(0) >= *seconds * 1000) {
        candidates.push_back(t);
      }
    }
  } else {
    return error_response(400, "InvalidValue", "start_time or cursor is required");
  }

  Json out;
  out["tickets"] = Json::array();
  const std::size_t count = std::min(per_page, candidates.size());
  for (std::size_t i = 0; i < count; ++i) out["tickets"].push_back(candidates[i]->data);
  if (count > 0) position = candidates[count - 1]->change_seq;
  const std::string after = encode_cursor(position);
  url::Pairs query{{"cursor", after}};
  if (call.param("per_page")) query.emplace_back("per_page", std::to_string(per_page));
  out["after_url"] = with_query(call.base + "/incremental/tickets/cursor.json", query);
  out["after_cursor"] = after;
  out["before_url"] = nullptr;
  out["before_cursor"] = nullptr;
  out["end_of_stream"] = count == candidates.size();
  return json_response(200, out);
}

}  // namespace weft::sandbox::zendesk
