#include "sandbox/zendesk/zendesk_emulator.hpp"

#include <algorithm>
#include <exception>

#include "core/time_format.hpp"
#include "crypto/hmac.hpp"
#include "sandbox/zendesk/zendesk_http.hpp"

namespace weft::sandbox::zendesk {

namespace {

constexpr std::string_view kPrefix = "/api/v2";

bool authenticated(const http::Request& request, const Credentials& credentials) {
  const auto header = request.headers.get("Authorization");
  if (!header || header->size() < 6 || !http::iequals(header->substr(0, 6), "Basic ")) return false;
  const auto decoded = crypto::base64_decode(header->substr(6));
  if (!decoded) return false;
  const std::string expected =
      credentials.zendesk_email + "/token:" + credentials.zendesk_api_token;
  return crypto::constant_time_equals(*decoded, expected);
}

// The path after /api/v2 in decoded segments, ".json" taken off the last; nullopt when an
// escape is malformed.
std::optional<std::vector<std::string>> path_segments(std::string_view path) {
  path.remove_prefix(std::min(path.size(), kPrefix.size()));
  std::vector<std::string> segments;
  while (!path.empty()) {
    const auto slash = path.find('/');
    const std::string_view raw = path.substr(0, slash);
    path = slash == std::string_view::npos ? std::string_view() : path.substr(slash + 1);
    if (raw.empty()) continue;
    auto decoded = url::percent_decode(raw, false);
    if (!decoded) return std::nullopt;
    segments.push_back(std::move(*decoded));
  }
  if (!segments.empty() && segments.back().ends_with(".json")) {
    segments.back().resize(segments.back().size() - 5);
    if (segments.back().empty()) segments.pop_back();
  }
  return segments;
}

Result<void, std::string> require_records(const nlohmann::json& state, const char* key) {
  if (!state.contains(key)) return {};
  const auto& list = state.at(key);
  if (!list.is_array()) return fail(std::string("zendesk state: \"") + key + "\" must be an array");
  for (const auto& record : list) {
    if (!record.is_object() || !json_id(Json(record.value("id", nlohmann::json())))) {
      return fail(std::string("zendesk state: every entry of \"") + key +
                  "\" must be an object with a positive integer \"id\"");
    }
  }
  return {};
}

}  // namespace

ZendeskEmulator::ZendeskEmulator(EmulatorContext context, Options options)
    : credentials_(context.credentials),
      clock_(std::move(context.clock)),
      outbox_(context.outbox),
      options_(options) {
  std::lock_guard lock(mutex_);
  seed_agent();
}

void ZendeskEmulator::seed_agent() {
  for (const auto& [id, user] : users_) {
    if (user.value("email", "") == credentials_.zendesk_email) {
      agent_id_ = id;
      return;
    }
  }
  agent_id_ = next_object_id();
  const std::string at = iso_seconds(clock_->now());
  users_[agent_id_] = Json{{"id", agent_id_},
                           {"url", "http://127.0.0.1:7171/api/v2/users/" +
                                       std::to_string(agent_id_) + ".json"},
                           {"name", "Weft Sandbox Agent"},
                           {"email", credentials_.zendesk_email},
                           {"created_at", at},
                           {"updated_at", at},
                           {"time_zone", "UTC"},
                           {"locale", "en-US"},
                           {"organization_id", nullptr},
                           {"role", "admin"},
                           {"verified", true},
                           {"external_id", nullptr},
                           {"tags", Json::array()},
                           {"active", true},
                           {"suspended", false},
                           {"user_fields", Json::object()}};
}

http::Response ZendeskEmulator::handle(const http::Request& request) {
  if (!authenticated(request, credentials_)) {
    auto response = json_response(401, Json{{"error", "Couldn't authenticate you"}});
    response.headers.set("WWW-Authenticate", "Basic realm=\"Web Password\"");
    return response;
  }
  std::lock_guard lock(mutex_);
  const auto now = clock_->now();
  const std::int64_t minute =
      std::chrono::duration_cast<std::chrono::minutes>(now.time_since_epoch()).count();
  if (minute != minute_) {
    minute_ = minute;
    used_this_minute_ = 0;
  }
  ++used_this_minute_;

  http::Response response;
  auto segments = path_segments(request.path);
  auto query = url::parse_pairs(request.query);
  if (!segments || !query) {
    response = error_response(400, "InvalidParameter", "The URL has a malformed %-escape");
  } else {
    const auto host = request.headers.get("Host");
    Call call{request, std::move(*segments), std::move(*query),
              "http://" + std::string(host && !host->empty() ? *host : "127.0.0.1:7171") +
                  std::string(kPrefix),
              now};
    try {
      response = route(call);
    } catch (const std::exception& e) {  // a bug of ours: answer like Zendesk's 500, keep serving
      response = error_response(500, "InternalError", std::string("sandbox error: ") + e.what());
    }
  }
  response.headers.set("X-Rate-Limit", std::to_string(options_.requests_per_minute));
  response.headers.set("X-Rate-Limit-Remaining",
                       std::to_string(std::max(0, options_.requests_per_minute - used_this_minute_)));
  return response;
}

http::Response ZendeskEmulator::route(Call& call) {
  const auto& s = call.segments;
  const std::string& method = call.request.method;
  const auto is = [&](std::initializer_list<std::string_view> path, std::string_view m) {
    if (method != m || s.size() != path.size()) return false;
    return std::equal(path.begin(), path.end(), s.begin(),
                      [](std::string_view want, const std::string& got) {
                        return want == "*" || want == got;
                      });
  };
  const auto id_at = [&](std::size_t i) { return parse_id(s[i]); };

  if (is({"tickets"}, "GET")) return list_tickets(call);
  if (is({"tickets"}, "POST")) return create_ticket(call);
  if (is({"tickets", "show_many"}, "GET")) return show_many_tickets(call);
  if (is({"tickets", "*"}, "GET")) {
    const auto id = id_at(1);
    return id ? show_ticket(call, *id) : not_found();
  }
  if (is({"tickets", "*"}, "PUT")) {
    const auto id = id_at(1);
    return id ? update_ticket(call, *id) : not_found();
  }
  if (is({"tickets", "*", "comments"}, "GET")) {
    const auto id = id_at(1);
    return id ? list_comments(call, *id) : not_found();
  }
  if (is({"incremental", "tickets", "cursor"}, "GET")) return incremental_tickets(call);
  if (is({"incremental", "ticket_events"}, "GET")) return incremental_ticket_events(call);

  if (is({"organizations", "search"}, "GET")) return search_organizations(call);
  if (is({"organizations", "create_or_update"}, "POST")) return create_organization(call, true);
  if (is({"organizations"}, "POST")) return create_organization(call, false);
  if (is({"organizations", "*"}, "GET")) {
    const auto id = id_at(1);
    return id ? show_organization(call, *id) : not_found();
  }

  if (is({"users", "search"}, "GET")) return search_users(call);
  if (is({"users", "create_or_update"}, "POST")) return create_user(call, true);
  if (is({"users"}, "POST")) return create_user(call, false);
  if (is({"users", "*"}, "GET")) {
    const auto id = id_at(1);
    return id ? show_user(call, *id) : not_found();
  }
  return error_response(404, "InvalidEndpoint", "Not found");
}

http::Response ZendeskEmulator::fault_response(int status) const {
  if (status == 429) {
    http::Response response;
    response.status = 429;
    response.headers.set("Content-Type", "text/plain; charset=utf-8");
    response.body = "Number of allowed API requests per minute exceeded";
    return response;
  }
  if (status == 503) {
    return error_response(503, "ServiceUnavailable",
                          "Zendesk is temporarily unavailable. Please try again later.");
  }
  return error_response(status, "InternalError", "Internal server error");
}

RequestFacts ZendeskEmulator::describe(const http::Request& request,
                                      const http::Response& response) const {
  RequestFacts facts;
  if (const auto key = request.headers.get("Idempotency-Key")) facts.idempotency_key = std::string(*key);
  facts.replayed = response.headers.get("x-idempotency-lookup") == std::optional<std::string_view>("hit");
  return facts;
}

void ZendeskEmulator::touch(Ticket& ticket, std::chrono::system_clock::time_point now) {
  ticket.data["updated_at"] = iso_seconds(now);
  ticket.data["generated_timestamp"] =
      std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  ticket.change_seq = ++change_seq_;
}

nlohmann::json ZendeskEmulator::state() const {
  std::lock_guard lock(mutex_);
  nlohmann::json out = {{"tickets", nlohmann::json::array()},
                        {"ticket_comments", nlohmann::json::object()},
                        {"organizations", nlohmann::json::array()},
                        {"users", nlohmann::json::array()}};
  for (const auto& [id, ticket] : tickets_) {
    out["tickets"].push_back(nlohmann::json(ticket.data));
    out["ticket_comments"][std::to_string(id)] = nlohmann::json(ticket.comments);
  }
  for (const auto& [id, organization] : organizations_) {
    out["organizations"].push_back(nlohmann::json(organization));
  }
  for (const auto& [id, user] : users_) out["users"].push_back(nlohmann::json(user));
  return out;
}

Result<void, std::string> ZendeskEmulator::restore(const nlohmann::json& state) {
  if (!state.is_object()) return fail(std::string("zendesk state must be a JSON object"));
  for (const char* key : {"tickets", "organizations", "users"}) {
    if (auto ok = require_records(state, key); !ok) return ok;
  }
  const nlohmann::json comments = state.value("ticket_comments", nlohmann::json::object());
  if (!comments.is_object()) {
    return fail(std::string("zendesk state: \"ticket_comments\" must be an object of arrays"));
  }
  for (const auto& [key, list] : comments.items()) {
    if (!parse_id(key) || !list.is_array()) {
      return fail("zendesk state: \"ticket_comments\"." + key +
                  " must be an array under a ticket id");
    }
  }

  std::lock_guard lock(mutex_);
  tickets_.clear();
  organizations_.clear();
  users_.clear();
  idempotency_.clear();
  next_ticket_id_ = 1;
  std::int64_t max_object_id = 10'000'000'000;
  const auto records = [&](const char* key) {
    return state.contains(key) ? state.at(key) : nlohmann::json::array();
  };
  for (const auto& record : records("tickets")) {
    const Json data(record);
    const std::int64_t id = *json_id(data["id"]);
    Ticket ticket{data, {}, 0, {}};
    if (const auto it = comments.find(std::to_string(id)); it != comments.end()) {
      for (const auto& comment : *it) {
        ticket.comments.emplace_back(comment);
        if (const auto cid = json_id(Json(comment.value("id", nlohmann::json())))) {
          max_object_id = std::max(max_object_id, *cid);
        }
      }
    }
    tickets_[id] = std::move(ticket);
    next_ticket_id_ = std::max(next_ticket_id_, id + 1);
  }
  for (const auto& record : records("organizations")) {
    const std::int64_t id = *json_id(Json(record.at("id")));
    organizations_[id] = Json(record);
    max_object_id = std::max(max_object_id, id);
  }
  for (const auto& record : records("users")) {
    const std::int64_t id = *json_id(Json(record.at("id")));
    users_[id] = Json(record);
    max_object_id = std::max(max_object_id, id);
  }
  next_object_id_ = max_object_id + 1;

  // The incremental export's order: by updated_at, then id.
  std::vector<std::pair<std::int64_t, std::int64_t>> order;
  for (const auto& [id, ticket] : tickets_) {
    const auto updated = ticket.data.value("updated_at", "");
    order.emplace_back(parse_iso8601_ms(updated).value_or(0), id);
  }
  std::sort(order.begin(), order.end());
  change_seq_ = 0;
  for (const auto& [updated, id] : order) tickets_[id].change_seq = ++change_seq_;
  seed_agent();
  return {};
}

void ZendeskEmulator::reset() {
  std::lock_guard lock(mutex_);
  tickets_.clear();
  organizations_.clear();
  users_.clear();
  idempotency_.clear();
  next_ticket_id_ = 1;
  next_object_id_ = 10'000'000'001;
  change_seq_ = 0;
  seed_agent();
}

}  // namespace weft::sandbox::zendesk
