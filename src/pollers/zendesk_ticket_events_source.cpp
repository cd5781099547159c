#include "pollers/zendesk_ticket_events_source.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <map>
#include <string_view>

#include "connectors/zendesk/zendesk_event_id.hpp"
#include "core/time_format.hpp"

namespace weft::pollers {

namespace {

using nlohmann::json;

// Zendesk refuses a start_time within the last minute.
constexpr std::int64_t kNewestStartAgeS = 60;
constexpr const char* kTicketEventVersion = "2022-11-06";

// How a ticket field is written in a webhook's detail: ids as strings, status, priority and
// type in capitals, some under other names.
enum class Form { same, upper, id };
struct DetailField {
  std::string_view api;
  const char* detail;
  Form form;
};
constexpr std::array<DetailField, 19> kDetailFields{{
    {"assignee_id", "assignee_id", Form::id},     {"brand_id", "brand_id", Form::id},
    {"created_at", "created_at", Form::same},     {"custom_status_id", "custom_status", Form::id},
    {"description", "description", Form::same},   {"external_id", "external_id", Form::same},
    {"ticket_form_id", "form_id", Form::id},      {"group_id", "group_id", Form::id},
    {"id", "id", Form::id},                       {"is_public", "is_public", Form::same},
    {"organization_id", "organization_id", Form::id}, {"priority", "priority", Form::upper},
    {"requester_id", "requester_id", Form::id},   {"status", "status", Form::upper},
    {"subject", "subject", Form::same},           {"submitter_id", "submitter_id", Form::id},
    {"tags", "tags", Form::same},                 {"type", "type", Form::upper},
    {"updated_at", "updated_at", Form::same},
}};

json upper(const json& value) {
  if (!value.is_string()) return value;
  std::string text = value.get<std::string>();
  for (auto& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

json in_form(Form form, const json& value) {
  switch (form) {
    case Form::upper: return upper(value);
    case Form::id:
      return value.is_number_integer() ? json(std::to_string(value.get<std::int64_t>())) : value;
    case Form::same: break;
  }
  return value;
}

const DetailField* detail_field(std::string_view api_name) {
  const auto it = std::find_if(kDetailFields.begin(), kDetailFields.end(),
                               [&](const DetailField& f) { return f.api == api_name; });
  return it == kDetailFields.end() ? nullptr : &*it;
}

// The API names a ticket's channel ("api", "web", "email"); webhooks name the via type.
std::string webhook_channel(const std::string& channel) {
  if (channel == "api") return "web_service";
  if (channel == "web") return "web_form";
  if (channel == "email") return "mail";
  return channel;
}

// A ticket of the Tickets API as a webhook's detail shows it.
json detail_of(const json& ticket) {
  json detail = json::object();
  for (const DetailField& f : kDetailFields) {
    detail[f.detail] = in_form(f.form, ticket.value(std::string(f.api), json(nullptr)));
  }
  if (!detail["tags"].is_array()) detail["tags"] = json::array();
  std::string channel;
  if (const auto via = ticket.find("via"); via != ticket.end() && via->is_object()) {
    channel = via->value("channel", "");
  }
  detail["via"] = {{"channel", webhook_channel(channel)}};
  return detail;
}

// The field a child event is about: its one key that is not bookkeeping.
std::string changed_field(const json& child) {
  static constexpr std::array<std::string_view, 9> kBookkeeping{
      "id",           "via",          "via_reference_id", "previous_value", "event_type",
      "added_tags",   "removed_tags", "comment_present",  "comment_public"};
  for (const auto& [key, value] : child.items()) {
    if (std::find(kBookkeeping.begin(), kBookkeeping.end(), key) == kBookkeeping.end()) return key;
  }
  return {};
}

std::vector<std::string> strings(const json& value) {
  std::vector<std::string> out;
  if (!value.is_array()) return out;
  for (const auto& item : value) {
    if (item.is_string()) out.push_back(item.get<std::string>());
  }
  return out;
}

// `detail` as it was right after `child`'s change.
void apply_after(json& detail, const json& child) {
  const std::string field = changed_field(child);
  if (const DetailField* f = detail_field(field)) detail[f->detail] = in_form(f->form, child[field]);
}

// `detail` as it was before `child`'s change.
void undo(json& detail, const json& child) {
  const std::string field = changed_field(child);
  if (field == "tags") {
    auto tags = strings(detail["tags"]);
    const auto added = strings(child.value("added_tags", json::array()));
    std::erase_if(tags, [&](const std::string& t) {
      return std::find(added.begin(), added.end(), t) != added.end();
    });
    for (auto& t : strings(child.value("removed_tags", json::array()))) tags.push_back(std::move(t));
    detail["tags"] = tags;
  } else if (const DetailField* f = detail_field(field)) {
    detail[f->detail] = in_form(f->form, child.value("previous_value", json(nullptr)));
  }
}

const json& children_of(const json& audit) {
  static const json kNone = json::array();
  const auto it = audit.find("child_events");
  return it != audit.end() && it->is_array() ? *it : kNone;
}

bool is_creation(const json& audit) {
  const json& children = children_of(audit);
  return std::any_of(children.begin(), children.end(),
                     [](const json& c) { return c.value("event_type", "") == "Create"; });
}

// The webhook envelopes one update caused, in the order Zendesk sends them.
void add_envelopes(const json& audit, const json& detail, std::vector<std::string>& bodies) {
  const std::string ticket = std::to_string(audit["ticket_id"].get<std::int64_t>());
  const std::string subject = "zen:ticket:" + ticket;
  const std::string at = audit["created_at"].get<std::string>();
  const auto emit = [&](const std::string& type, json event) {
    connectors::zendesk::EventFacts facts;
    facts.type = type;
    facts.subject = subject;
    facts.updated_at = at;
    if (const auto c = event.find("current"); c != event.end() && c->is_string()) {
      facts.current = c->get<std::string>();
    }
    if (event.contains("custom_field")) facts.field_id = event["custom_field"]["id"].get<std::string>();
    if (type == "ticket.tags_changed") {
      const auto strings = [&](const char* key) {
        std::vector<std::string> out;
        for (const json& tag : event.value(key, json::array())) {
          if (tag.is_string()) out.push_back(tag.get<std::string>());
        }
        return std::optional<std::vector<std::string>>(std::move(out));
      };
      connectors::zendesk::set_tag_change(facts, strings("tags_added"), strings("tags_removed"), std::nullopt,
                                          std::nullopt);
    }
    const json envelope{{"type", "zen:event-type:" + type},
                        {"id", connectors::zendesk::derived_event_id(facts).value_or("")},
                        {"time", at},
                        {"zendesk_event_version", kTicketEventVersion},
                        {"subject", subject},
                        {"detail", detail},
                        {"event", std::move(event)}};
    bodies.push_back(envelope.dump(-1, ' ', false, json::error_handler_t::replace));
  };

  if (is_creation(audit)) {
    emit("ticket.created", json::object());
    return;
  }
  for (const json& child : children_of(audit)) {
    if (child.value("event_type", "") != "Change") continue;
    const std::string field = changed_field(child);
    const json previous = child.value("previous_value", json(nullptr));
    if (field == "status" || field == "priority") {
      emit("ticket." + field + "_changed",
           {{"current", upper(child[field])}, {"previous", upper(previous)}});
    } else if (field == "tags") {
      emit("ticket.tags_changed", {{"tags_added", child.value("added_tags", json::array())},
                                   {"tags_removed", child.value("removed_tags", json::array())}});
    } else if (field == "custom_ticket_fields" && child[field].is_object()) {
      for (const auto& [id, value] : child[field].items()) {
        emit("ticket.custom_field_changed",
             {{"current", value}, {"previous", previous}, {"custom_field", {{"id", id}}}});
      }
    }
  }
}

std::optional<std::string> check_audit(const json& audit) {
  if (!audit.is_object()) return "an item of ticket_events is not an object";
  const auto ticket = audit.find("ticket_id");
  if (ticket == audit.end() || !ticket->is_number_integer()) return "a ticket event has no integer ticket_id";
  const auto at = audit.find("created_at");
  if (at == audit.end() || !at->is_string() || !parse_iso8601_ms(at->get<std::string>())) {
    return "ticket event " + audit.value("id", json(nullptr)).dump() +
           " has no ISO-8601 created_at";
  }
  for (const json& child : children_of(audit)) {
    if (!child.is_object()) return "a child event of ticket event " + audit.value("id", json(nullptr)).dump() + " is not an object";
  }
  return std::nullopt;
}

}  // namespace

ZendeskTicketEventsSource::ZendeskTicketEventsSource(std::string connector,
                                                     std::int64_t first_look_back_s)
    : PollSource(std::move(connector), "incremental_ticket_events", "ticket_events", first_look_back_s) {}

json ZendeskTicketEventsSource::first_input(const std::optional<std::string>& cursor,
                                            std::int64_t now_s) const {
  std::int64_t since = now_s - first_look_back_s();
  if (cursor) {
    // A cursor this source did not write (hand-edited, or another source's) restarts from
    // the look-back.
    if (const auto saved = parse_unix_seconds(*cursor)) since = *saved;
  }
  return {{"start_time", std::max<std::int64_t>(0, std::min(since, now_s - kNewestStartAgeS))}};
}

Result<PageRead, std::string> ZendeskTicketEventsSource::read(const json& input, const json& output,
                                                              json& /*round*/) const {
  if (!output.is_object() || !output.contains("ticket_events") || !output["ticket_events"].is_array()) {
    return fail(std::string("incremental_ticket_events answered without a ticket_events list"));
  }
  const auto end_time = output.find("end_time");
  const auto end_of_stream = output.find("end_of_stream");
  if (end_time == output.end() || !end_time->is_number_integer() || end_time->get<std::int64_t>() < 0 ||
      end_of_stream == output.end() || !end_of_stream->is_boolean()) {
    return fail(std::string("incremental_ticket_events answered without end_time (unix seconds) "
                            "and end_of_stream"));
  }
  const json& audits = output["ticket_events"];
  std::map<std::int64_t, std::vector<std::size_t>> by_ticket;  // page positions, oldest first
  for (std::size_t i = 0; i < audits.size(); ++i) {
    if (auto problem = check_audit(audits[i])) return fail(std::move(*problem));
    by_ticket[audits[i]["ticket_id"].get<std::int64_t>()].push_back(i);
  }
  std::map<std::int64_t, json> now;  // the tickets as show_many gave them
  if (const auto tickets = output.find("tickets"); tickets != output.end() && tickets->is_array()) {
    for (const json& ticket : *tickets) {
      if (ticket.is_object() && ticket.contains("id") && ticket["id"].is_number_integer()) {
        now[ticket["id"].get<std::int64_t>()] = detail_of(ticket);
      }
    }
  }

  // Each update's detail: from the ticket now, back through its later updates of the page.
  std::vector<json> details(audits.size());
  for (const auto& [ticket, positions] : by_ticket) {
    const auto found = now.find(ticket);
    json state = found != now.end() ? found->second
                                    : json{{"id", std::to_string(ticket)}, {"tags", json::array()}};
    for (auto it = positions.rbegin(); it != positions.rend(); ++it) {
      const json& audit = audits[*it];
      for (const json& child : children_of(audit)) apply_after(state, child);
      details[*it] = state;
      details[*it]["updated_at"] = audit["created_at"];
      if (const auto updater = audit.find("updater_id"); updater != audit.end()) {
        details[*it]["actor_id"] = in_form(Form::id, *updater);
      }
      for (const json& child : children_of(audit)) {
        if (child.value("event_type", "") == "Change") undo(state, child);
      }
    }
  }

  PageRead page;
  for (std::size_t i = 0; i < audits.size(); ++i) add_envelopes(audits[i], details[i], page.bodies);
  const std::int64_t end = end_time->get<std::int64_t>();
  page.cursor = std::to_string(end);
  if (!end_of_stream->get<bool>()) {
    const std::int64_t start = input.value("start_time", std::int64_t{0});
    if (end <= start) {
      return fail("incremental_ticket_events did not advance past start_time " +
                  std::to_string(start) + " (more events in one second than a page holds)");
    }
    page.next_input = input;
    (*page.next_input)["start_time"] = end;
  }
  return page;
}

}  // namespace weft::pollers
