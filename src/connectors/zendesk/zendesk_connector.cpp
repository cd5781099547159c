#include "connectors/zendesk/zendesk_connector.hpp"

#include <algorithm>
#include <array>
#include <string_view>
#include <utility>

#include "core/suggestion.hpp"
#include "core/text.hpp"
#include "core/url_encoding.hpp"
#include "crypto/hmac.hpp"

namespace weft::connectors::zendesk {

namespace {

using delivery::Failure;
using delivery::FailureClass;
using delivery::OutboundRequest;
using nlohmann::json;

enum class Effect { read, write };

struct Action {
  std::string_view name;
  Effect effect;
  std::string_view envelope;  // the key a successful answer holds, e.g. {"ticket": {…}}
};

constexpr std::array<Action, 12> kActions{{
    {"get_ticket", Effect::read, "ticket"},
    {"create_ticket", Effect::write, "ticket"},
    {"update_ticket", Effect::write, "ticket"},
    {"add_private_comment", Effect::write, "ticket"},
    {"list_ticket_comments", Effect::read, "comments"},
    {"get_organization", Effect::read, "organization"},
    {"search_organizations", Effect::read, "organizations"},
    {"upsert_organization", Effect::write, "organization"},
    {"upsert_user", Effect::write, "user"},
    {"incremental_tickets", Effect::read, "tickets"},
    {"incremental_ticket_events", Effect::read, "ticket_events"},
    {"list_tickets", Effect::read, "tickets"},
}};

// Zendesk stores an Idempotency-Key of at most 255 characters.
constexpr std::size_t kMaxIdempotencyKey = 255;
// add_private_comment looks for its marker in this many pages of the newest comments (100
// each), leaving the last request of the attempt for adding the comment.
constexpr int kMaxSearchPages = kMaxExchanges - 1;
constexpr int kCommentPageSize = 100;

const Action* find_action(std::string_view name) {
  const auto it = std::find_if(kActions.begin(), kActions.end(),
                               [name](const Action& a) { return a.name == name; });
  return it == kActions.end() ? nullptr : &*it;
}

// The input without the keys that went into the path.
json without(const json& input, std::initializer_list<std::string_view> keys) {
  json rest = input;
  for (std::string_view k : keys) rest.erase(std::string(k));
  return rest;
}

// Zendesk ids are positive integers; webhooks send them as strings ("35436").
Result<std::string, Failure> numeric_id(const json& input, const char* field,
                                        const std::string& what) {
  const auto it = input.find(field);
  if (it == input.end() || it->is_null()) {
    return fail(bad_input(what + ": " + field + " is required (a Zendesk id such as 35436)"));
  }
  if (it->is_number_integer() && it->get<std::int64_t>() > 0) {
    return std::to_string(it->get<std::int64_t>());
  }
  if (it->is_string()) {
    const auto& s = it->get_ref<const std::string&>();
    if (!s.empty() && s.size() <= 20 &&
        std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return s;
    }
  }
  return fail(bad_input(what + ": " + field + " must be a positive integer (got " +
                        it->dump(-1, ' ', false, json::error_handler_t::replace) + ")"));
}

// An external id or a search value: a non-empty string, or an integer taken as its digits.
std::optional<std::string> text_value(const json& value) {
  if (value.is_string() && !value.get_ref<const std::string&>().empty()) {
    return value.get<std::string>();
  }
  if (value.is_number_integer()) return value.dump();
  return std::nullopt;
}

// A query parameter's value: scalars as text, arrays of scalars comma-separated
// (include=users,groups).
std::optional<std::string> query_value(const json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number() || value.is_boolean()) return value.dump();
  if (value.is_array()) {
    std::string out;
    for (const auto& v : value) {
      const auto text = v.is_array() ? std::nullopt : query_value(v);
      if (!text) return std::nullopt;
      if (!out.empty()) out += ',';
      out += *text;
    }
    return out;
  }
  return std::nullopt;
}

// The platform's own query parameters, passed through.
Result<void, Failure> add_query(const json& params, url::Pairs& pairs, const std::string& what) {
  for (const auto& [key, value] : params.items()) {
    const auto text = query_value(value);
    if (!text) {
      return fail(bad_input(what + ": " + key +
                            " must be a string, number, boolean or a list of them (it is sent "
                            "as a query parameter)"));
    }
    pairs.emplace_back(key, *text);
  }
  return {};
}

std::string with_query(std::string path, const url::Pairs& pairs) {
  if (!pairs.empty()) path += "?" + url::join_pairs(pairs);
  return path;
}

// What prepare decided, before the connector's headers are added.
struct Call {
  std::string method = "GET";
  std::string path;  // below /api/v2, query included
  std::optional<json> body;
  bool idempotency_key = false;
};

Result<json, Failure> object_input(const engine::ActionRequest& request, const std::string& what) {
  if (!request.input.is_object()) {
    return fail(bad_input(what + ": input must be an object"));
  }
  return request.input;
}

std::string comments_path(const std::string& ticket, const std::string& cursor) {
  url::Pairs pairs{{"sort_order", "desc"}, {"page[size]", std::to_string(kCommentPageSize)}};
  if (!cursor.empty()) pairs.emplace_back("page[after]", cursor);
  return with_query("/tickets/" + ticket + "/comments.json", pairs);
}

Result<Call, Failure> build_call(const Action& action, const engine::ActionRequest& request,
                                 const std::string& what) {
  auto parsed = object_input(request, what);
  if (!parsed) return fail(std::move(parsed).error());
  const json& input = *parsed;
  const std::string_view name = action.name;
  Call call;

  if (name == "get_ticket" || name == "get_organization") {
    auto id = numeric_id(input, "id", what);
    if (!id) return fail(std::move(id).error());
    url::Pairs query;
    if (auto q = add_query(without(input, {"id"}), query, what); !q) return fail(q.error());
    call.path =
        with_query((name == "get_ticket" ? "/tickets/" : "/organizations/") + *id + ".json", query);
    return call;
  }

  if (name == "create_ticket") {
    if (input.contains("id")) {
      return fail(bad_input(what + ": a new ticket has no id (use update_ticket to change one)"));
    }
    if (input.empty()) {
      return fail(bad_input(what + ": input holds the ticket's fields (at least a comment)"));
    }
    call.method = "POST";
    call.path = "/tickets.json";
    call.body = json{{"ticket", input}};
    call.idempotency_key = true;
    return call;
  }

  if (name == "update_ticket") {
    auto id = numeric_id(input, "id", what);
    if (!id) return fail(std::move(id).error());
    if (input.contains("comment")) {
      return fail(bad_input(what + ": update_ticket takes no comment (a retried update would add "
                                   "it twice); use add_private_comment"));
    }
    json fields = without(input, {"id"});
    if (fields.empty()) {
      return fail(bad_input(what + ": nothing to update (give status, priority, tags, "
                                   "custom_fields, …)"));
    }
    call.method = "PUT";
    call.path = "/tickets/" + *id + ".json";
    call.body = json{{"ticket", std::move(fields)}};
    return call;
  }

  if (name == "add_private_comment") {
    auto id = numeric_id(input, "id", what);
    if (!id) return fail(std::move(id).error());
    for (const auto& [key, value] : input.items()) {
      if (key != "id" && key != "body" && key != "author_id") {
        return fail(bad_input(what + ": unknown input key '" + key + "'" +
                              did_you_mean(key, {"id", "body", "author_id"}) +
                              " (known: id, body, author_id)"));
      }
    }
    const auto body = input.find("body");
    if (body == input.end() || !body->is_string() || body->get_ref<const std::string&>().empty()) {
      return fail(bad_input(what + ": body is required (the comment's text, a non-empty string)"));
    }
    if (input.contains("author_id")) {
      if (auto author = numeric_id(input, "author_id", what); !author) {
        return fail(std::move(author).error());
      }
    }
    // The first request looks for the comment; read_exchange adds it if it is not there.
    call.path = comments_path(*id, "");
    return call;
  }

  if (name == "list_ticket_comments") {
    auto id = numeric_id(input, "id", what);
    if (!id) return fail(std::move(id).error());
    int size = kCommentPageSize;
    if (const auto it = input.find("page_size"); it != input.end()) {
      if (!it->is_number_integer() || it->get<std::int64_t>() < 1 ||
          it->get<std::int64_t>() > kCommentPageSize) {
        return fail(bad_input(what + ": page_size must be an integer from 1 to 100"));
      }
      size = it->get<int>();
    }
    url::Pairs query{{"page[size]", std::to_string(size)}};
    if (const auto it = input.find("cursor"); it != input.end() && !it->is_null()) {
      if (!it->is_string() || it->get_ref<const std::string&>().empty()) {
        return fail(bad_input(what + ": cursor must be a non-empty string (meta.after_cursor)"));
      }
      query.emplace_back("page[after]", it->get<std::string>());
    }
    if (auto q = add_query(without(input, {"id", "page_size", "cursor"}), query, what); !q) {
      return fail(q.error());
    }
    call.path = with_query("/tickets/" + *id + "/comments.json", query);
    return call;
  }

  if (name == "list_tickets") {
    // Zendesk's ticket list; with external_id, the tickets that carry it (how a workflow finds
    // the ticket it made for a record elsewhere, since tickets have no create_or_update).
    url::Pairs query;
    if (auto q = add_query(input, query, what); !q) return fail(q.error());
    call.path = with_query("/tickets.json", query);
    return call;
  }

  if (name == "search_organizations") {
    const auto it = input.find("external_id");
    const auto external = it == input.end() ? std::nullopt : text_value(*it);
    if (!external) {
      return fail(bad_input(what + ": external_id is required (a non-empty string)"));
    }
    url::Pairs query{{"external_id", *external}};
    if (auto q = add_query(without(input, {"external_id"}), query, what); !q) {
      return fail(q.error());
    }
    call.path = with_query("/organizations/search.json", query);
    return call;
  }

  if (name == "upsert_organization" || name == "upsert_user") {
    const bool user = name == "upsert_user";
    const auto external = input.find("external_id");
    const auto email = input.find("email");
    const bool has_external = external != input.end() && text_value(*external);
    const bool has_email = user && email != input.end() && email->is_string() &&
                           !email->get_ref<const std::string&>().empty();
    if (!has_external && !has_email) {
      return fail(bad_input(what + (user ? ": external_id or email is required (the user is "
                                           "matched on them)"
                                         : ": external_id is required (the organization is "
                                           "matched on it)")));
    }
    call.method = "POST";
    call.path = user ? "/users/create_or_update.json" : "/organizations/create_or_update.json";
    call.body = json{{user ? "user" : "organization", input}};
    return call;
  }

  if (name == "incremental_ticket_events") {
    // Time-based only (Zendesk offers no cursor for ticket events); the answer's end_time is
    // the next start_time. The tickets the page names are fetched by read_exchange.
    const auto start = input.find("start_time");
    if (start == input.end() || !start->is_number_integer() || start->get<std::int64_t>() < 0) {
      return fail(bad_input(what + ": start_time is required (unix seconds, an integer)"));
    }
    url::Pairs query{{"start_time", start->dump()}};
    if (auto q = add_query(without(input, {"start_time"}), query, what); !q) return fail(q.error());
    call.path = with_query("/incremental/ticket_events.json", query);
    return call;
  }

  // incremental_tickets
  const auto start = input.find("start_time");
  const auto cursor = input.find("cursor");
  const bool has_start = start != input.end() && !start->is_null();
  const bool has_cursor = cursor != input.end() && !cursor->is_null();
  if (has_start == has_cursor) {
    return fail(bad_input(what + ": give either start_time (unix seconds) or cursor (the "
                                 "after_cursor of the previous page), not both"));
  }
  url::Pairs query;
  if (has_start) {
    if (!start->is_number_integer() || start->get<std::int64_t>() < 0) {
      return fail(bad_input(what + ": start_time must be unix seconds (an integer)"));
    }
    query.emplace_back("start_time", start->dump());
  } else {
    if (!cursor->is_string() || cursor->get_ref<const std::string&>().empty()) {
      return fail(bad_input(what + ": cursor must be a non-empty string"));
    }
    query.emplace_back("cursor", cursor->get<std::string>());
  }
  if (auto q = add_query(without(input, {"start_time", "cursor"}), query, what); !q) {
    return fail(q.error());
  }
  call.path = with_query("/incremental/tickets/cursor.json", query);
  return call;
}

// A 2xx that cannot be read: the write may have happened (unknown outcome); a read can simply
// be made again (transient).
Failure unreadable(const std::string& what, const http::Response& response, Effect effect,
                   std::string_view expected) {
  Failure f;
  f.cls = effect == Effect::write ? FailureClass::unknown_outcome : FailureClass::transient;
  f.http_status = response.status;
  f.message = what + ": Zendesk answered " + std::to_string(response.status) +
              " without a complete JSON object holding '" + std::string(expected) + "'";
  if (effect == Effect::write) f.message += " (the change may have been made)";
  return f;
}

std::optional<json> parse_envelope(const http::Response& response, std::string_view key) {
  json body = json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (!body.is_object()) return std::nullopt;
  if (!body.contains(std::string(key))) return std::nullopt;
  return body;
}

bool carries_marker(const json& comment, const std::string& marker) {
  if (!comment.is_object()) return false;
  for (const char* field : {"body", "plain_body", "html_body"}) {
    const auto it = comment.find(field);
    if (it != comment.end() && it->is_string() &&
        it->get_ref<const std::string&>().find(marker) != std::string::npos) {
      return true;
    }
  }
  return false;
}

// The cursor of the page after this one, or "" on the last page.
std::string after_cursor(const json& page) {
  const auto meta = page.find("meta");
  if (meta == page.end() || !meta->is_object()) return {};
  const auto more = meta->find("has_more");
  const auto cursor = meta->find("after_cursor");
  if (more == meta->end() || !more->is_boolean() || !more->get<bool>()) return {};
  if (cursor == meta->end() || !cursor->is_string()) return {};
  return cursor->get<std::string>();
}

std::string describe(const engine::ActionRequest& request, const std::string& connector) {
  return "action " + request.action + " of connector " + connector;
}

}  // namespace

ZendeskConnector::ZendeskConnector(const config::ConnectorConfig& config, ClockPtr clock)
    : name_(config.name),
      api_(config.base_url + "/api/v2"),
      authorization_(config.oauth_token.empty()
                         ? "Basic " + crypto::base64_encode(config.email +
                                                            "/token:" + config.api_token.reveal())
                         : "Bearer " + config.oauth_token.reveal()),
      timeout_(std::chrono::seconds(config.timeout_seconds)),
      classifier_(std::move(clock)) {}

const std::vector<std::string>& ZendeskConnector::action_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const Action& a : kActions) out.emplace_back(a.name);
    return out;
  }();
  return names;
}

std::string ZendeskConnector::comment_marker(std::string_view idempotency_key) {
  return "weft-ref: " + crypto::to_hex(crypto::sha256(idempotency_key)).substr(0, 16);
}

OutboundRequest ZendeskConnector::request_to(std::string method, std::string path) const {
  OutboundRequest out;
  out.method = std::move(method);
  out.url = api_ + path;
  out.timeout = timeout_;
  out.headers.add("Accept", "application/json");
  out.headers.add("Authorization", authorization_.reveal());
  return out;
}

Result<OutboundRequest, Failure> ZendeskConnector::prepare(
    const engine::ActionRequest& request) const {
  const std::string what = describe(request, name_);
  const Action* action = find_action(request.action);
  if (action == nullptr) {
    std::vector<std::string_view> known;
    for (const Action& a : kActions) known.push_back(a.name);
    return fail(bad_input("connector " + name_ + " (zendesk) has no action '" + request.action +
                          "'" + did_you_mean(request.action, known) +
                          "; its actions: " + join_words(action_names())));
  }
  const bool keyed = action->name == "create_ticket" || action->name == "add_private_comment";
  if (keyed && request.idempotency_key.empty()) {
    return fail(bad_input(what + ": needs the step's idempotency key (it keeps a retry from "
                                 "adding a second one)"));
  }
  auto call = build_call(*action, request, what);
  if (!call) return fail(std::move(call).error());

  OutboundRequest out = request_to(call->method, call->path);
  if (call->body) {
    // Strings from jq are valid UTF-8; replacing beats an exception if one is not.
    out.body = call->body->dump(-1, ' ', false, json::error_handler_t::replace);
    out.headers.add("Content-Type", "application/json");
  }
  if (call->idempotency_key) {
    // A key Zendesk would not keep whole, or that is not plain header text, goes as its hash.
    const std::string& key = request.idempotency_key;
    const bool plain =
        key.size() <= kMaxIdempotencyKey &&
        std::all_of(key.begin(), key.end(), [](char c) { return c > 0x20 && c < 0x7f; });
    out.headers.add("Idempotency-Key", plain ? key : crypto::to_hex(crypto::sha256(key)));
  }
  return out;
}

Result<nlohmann::json, Failure> ZendeskConnector::read_success(
    const engine::ActionRequest& request, const http::Response& response) const {
  const Action* action = find_action(request.action);
  if (action == nullptr) return fail(bad_input(describe(request, name_) + ": unknown action"));
  auto body = parse_envelope(response, action->envelope);
  if (!body)
    return fail(unreadable(describe(request, name_), response, action->effect, action->envelope));
  if (action->name != "add_private_comment") return std::move(*body);

  // The answer to the comment's PUT: {"ticket": …, "audit": {"events": [{"type":"Comment",…}]}}.
  json comment = nullptr;
  if (const auto audit = body->find("audit"); audit != body->end() && audit->is_object()) {
    if (const auto events = audit->find("events"); events != audit->end() && events->is_array()) {
      for (const auto& e : *events) {
        if (e.is_object() && e.value("type", "") == "Comment") {
          comment = e;
          break;
        }
      }
    }
  }
  return json{{"deduplicated", false}, {"ticket", (*body)["ticket"]}, {"comment", comment}};
}

Result<Reading, Failure> ZendeskConnector::read_exchange(
    const engine::ActionRequest& request, const std::vector<http::Response>& answers) const {
  if (request.action == "add_private_comment") return read_comment_exchange(request, answers);
  if (request.action == "incremental_ticket_events") return read_ticket_events_exchange(request, answers);
  return OutboundConnector::read_exchange(request, answers);
}

// answers: pages of the ticket's comments, newest first, then (when none carried this step's
// marker) the answer to the PUT that added the comment. The same answers always lead to the
// same next request, so the sequence is replayed from the start on each call.
Result<Reading, Failure> ZendeskConnector::read_comment_exchange(
    const engine::ActionRequest& request, const std::vector<http::Response>& answers) const {
  const std::string what = describe(request, name_);
  auto ticket = numeric_id(request.input, "id", what);
  if (!ticket) return fail(std::move(ticket).error());
  const std::string marker = comment_marker(request.idempotency_key);

  for (std::size_t i = 0; i < answers.size(); ++i) {
    const auto page = parse_envelope(answers[i], "comments");
    if (!page || !(*page)["comments"].is_array()) {
      return fail(unreadable(what, answers[i], Effect::read, "comments"));
    }
    for (const json& comment : (*page)["comments"]) {
      if (carries_marker(comment, marker)) {
        return Reading(json{{"deduplicated", true}, {"comment", comment}});
      }
    }
    const std::string cursor = after_cursor(*page);
    const bool search_over = cursor.empty() || static_cast<int>(i) + 1 >= kMaxSearchPages;
    if (search_over) {
      if (i + 1 < answers.size()) {
        auto added = read_success(request, answers.back());
        if (!added) return fail(std::move(added).error());
        return Reading(std::move(added).value());
      }
      json comment{{"body", request.input["body"].get<std::string>() + "\n\n" + marker},
                   {"public", false}};
      if (const auto author = request.input.find("author_id"); author != request.input.end()) {
        comment["author_id"] = *author;
      }
      OutboundRequest put = request_to("PUT", "/tickets/" + *ticket + ".json");
      put.body = json{{"ticket", {{"comment", std::move(comment)}}}}.dump(
          -1, ' ', false, json::error_handler_t::replace);
      put.headers.add("Content-Type", "application/json");
      return Reading(FollowUp{std::move(put)});
    }
    if (i + 1 == answers.size()) {
      return Reading(FollowUp{request_to("GET", comments_path(*ticket, cursor))});
    }
  }
  return fail(bad_input(what + ": no answer to read"));
}

std::optional<nlohmann::json> ZendeskConnector::next_page(const engine::ActionRequest& request,
                                                          const nlohmann::json& output) const {
  if (!output.is_object() || !request.input.is_object()) return std::nullopt;
  if (request.action == "list_ticket_comments") {
    const std::string cursor = after_cursor(output);
    if (cursor.empty()) return std::nullopt;
    json next = request.input;
    next["cursor"] = cursor;
    return next;
  }
  if (request.action == "incremental_ticket_events") {
    const auto end = output.find("end_of_stream");
    if (end != output.end() && end->is_boolean() && end->get<bool>()) return std::nullopt;
    const auto end_time = output.find("end_time");
    if (end_time == output.end() || !end_time->is_number_integer()) return std::nullopt;
    // A page that ends where it started (a full page of one second's events) would be asked
    // for again forever: there is no later page to give.
    const auto start_time = request.input.find("start_time");
    if (start_time != request.input.end() &&
        (*start_time == *end_time ||
         (start_time->is_string() && start_time->get<std::string>() == std::to_string(end_time->get<std::int64_t>())))) {
      return std::nullopt;
    }
    json next = request.input;
    next["start_time"] = *end_time;
    return next;
  }
  if (request.action == "incremental_tickets") {
    const auto end = output.find("end_of_stream");
    if (end != output.end() && end->is_boolean() && end->get<bool>()) return std::nullopt;
    const auto cursor = output.find("after_cursor");
    if (cursor == output.end() || !cursor->is_string() ||
        cursor->get_ref<const std::string&>().empty()) {
      return std::nullopt;
    }
    json next = without(request.input, {"start_time"});
    next["cursor"] = *cursor;
    return next;
  }
  return std::nullopt;
}

}  // namespace weft::connectors::zendesk
