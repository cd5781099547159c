#include "sandbox/salesforce/salesforce_emulator.hpp"

#include <algorithm>
#include <charconv>
#include <exception>

#include "crypto/hmac.hpp"
#include "sandbox/salesforce/salesforce_http.hpp"

namespace weft::sandbox::salesforce {

namespace {

constexpr std::string_view kDataPrefix = "/services/data";
constexpr const char* kOrgId = "00DWf000000SBOXEAA";
constexpr const char* kUserId = "005Wf000000SBOXAAA";

// "v60.0" → "60.0" when it is v50.0 or later.
std::optional<std::string> api_version(std::string_view segment) {
  if (segment.size() < 5 || segment[0] != 'v') return std::nullopt;
  const auto dot = segment.find('.');
  if (dot == std::string_view::npos) return std::nullopt;
  int major = 0, minor = 0;
  const auto a = std::from_chars(segment.data() + 1, segment.data() + dot, major);
  const auto b = std::from_chars(segment.data() + dot + 1, segment.data() + segment.size(), minor);
  if (a.ec != std::errc() || a.ptr != segment.data() + dot || b.ec != std::errc() ||
      b.ptr != segment.data() + segment.size() || major < 50) {
    return std::nullopt;
  }
  return std::string(segment.substr(1));
}

std::optional<std::vector<std::string>> split_path(std::string_view path) {
  std::vector<std::string> out;
  while (!path.empty()) {
    const auto slash = path.find('/');
    const std::string_view raw = path.substr(0, slash);
    path = slash == std::string_view::npos ? std::string_view() : path.substr(slash + 1);
    if (raw.empty()) continue;
    auto decoded = url::percent_decode(raw, false);
    if (!decoded) return std::nullopt;
    out.push_back(std::move(*decoded));
  }
  return out;
}

http::Response oauth_error(int status, std::string_view error, std::string_view description) {
  return json_response(status, Json{{"error", error}, {"error_description", description}});
}

http::Response method_not_allowed(std::string_view method, std::string_view allowed) {
  return error_response(405, "METHOD_NOT_ALLOWED",
                        "HTTP Method '" + std::string(method) + "' not allowed. Allowed are " +
                            std::string(allowed));
}

}  // namespace

std::optional<std::string> SalesforceEmulator::Call::param(std::string_view name) const {
  for (const auto& [key, value] : query) {
    if (key == name) return value;
  }
  return std::nullopt;
}

http::Response json_response(int status, const Json& body) {
  http::Response response;
  response.status = status;
  response.headers.set("Content-Type", "application/json;charset=UTF-8");
  response.body = body.dump();
  return response;
}

http::Response error_response(int status, std::string_view error_code, std::string_view message,
                              const std::vector<std::string>& fields) {
  return json_response(status, Json::array({Json{{"message", message},
                                                 {"errorCode", error_code},
                                                 {"fields", fields}}}));
}

http::Response not_found() {
  return json_response(404, Json::array({Json{{"errorCode", "NOT_FOUND"},
                                              {"message", "The requested resource does not exist"}}}));
}

SalesforceEmulator::SalesforceEmulator(EmulatorContext context, Options options)
    : credentials_(context.credentials),
      clock_(std::move(context.clock)),
      outbox_(context.outbox),
      options_(options) {}

http::Response SalesforceEmulator::handle(const http::Request& request) {
  std::lock_guard lock(mutex_);
  try {
    if (request.path == "/services/oauth2/token") return token(request);
    if (!request.path.starts_with(kDataPrefix)) return not_found();
    auto segments = split_path(std::string_view(request.path).substr(kDataPrefix.size()));
    auto query = url::parse_pairs(request.query);
    if (!segments || !query) {
      return error_response(400, "MALFORMED_URL", "The URL has a malformed %-escape");
    }
    if (segments->empty()) {  // the versions list, which needs no session
      Json versions = Json::array();
      for (const auto& [version, label] : std::vector<std::pair<const char*, const char*>>{
               {"59.0", "Winter '24"}, {"60.0", "Spring '24"}, {"61.0", "Summer '24"},
               {"62.0", "Winter '25"}}) {
        versions.push_back(Json{{"label", label},
                                {"url", std::string("/services/data/v") + version},
                                {"version", version}});
      }
      return json_response(200, versions);
    }
    const auto version = api_version(segments->front());
    if (!version) return not_found();

    // A Bearer token we issued that has not expired.
    const auto auth = request.headers.get("Authorization");
    const auto now = clock_->now();
    bool valid = false;
    if (auth && auth->size() > 7 && http::iequals(auth->substr(0, 7), "Bearer ")) {
      const auto it = tokens_.find(std::string(auth->substr(7)));
      valid = it != tokens_.end() && it->second > now;
    }
    if (!valid) {
      auto response = json_response(401, Json::array({Json{{"message", "Session expired or invalid"},
                                                           {"errorCode", "INVALID_SESSION_ID"}}}));
      response.headers.set("WWW-Authenticate", "Token");
      return response;
    }

    const std::int64_t day =
        std::chrono::duration_cast<std::chrono::hours>(now.time_since_epoch()).count() / 24;
    if (day != api_day_) {
      api_day_ = day;
      api_calls_today_ = 0;
    }
    ++api_calls_today_;
    segments->erase(segments->begin());
    Call call{request, *version, std::move(*segments), std::move(*query), now};
    auto response = route(call);
    response.headers.set("Sforce-Limit-Info", "api-usage=" + std::to_string(api_calls_today_) + "/" +
                                                  std::to_string(options_.daily_api_limit));
    return response;
  } catch (const std::exception& e) {  // a bug of ours: answer like Salesforce's 500, keep serving
    return error_response(500, "UNKNOWN_EXCEPTION", std::string("sandbox error: ") + e.what());
  }
}

http::Response SalesforceEmulator::token(const http::Request& request) {
  if (request.method != "POST") return oauth_error(400, "invalid_request", "must use HTTP POST");
  const auto form = url::parse_pairs(request.body);
  if (!form) return oauth_error(400, "invalid_request", "the form body has a malformed %-escape");
  const auto get = [&](std::string_view name) -> std::string {
    for (const auto& [key, value] : *form) {
      if (key == name) return value;
    }
    return "";
  };
  const std::string grant = get("grant_type");
  if (grant == "urn:ietf:params:oauth:grant-type:jwt-bearer") {
    return oauth_error(400, "unsupported_grant_type",
                       "the sandbox issues tokens for grant_type=client_credentials only (JWT "
                       "bearer assertions are not checked)");
  }
  if (grant != "client_credentials") return oauth_error(400, "unsupported_grant_type", "grant type not supported");

  std::string client_id = get("client_id");
  std::string client_secret = get("client_secret");
  if (const auto basic = request.headers.get("Authorization");  // RFC 6749 §2.3.1 also allows Basic
      client_id.empty() && basic && basic->size() > 6 && http::iequals(basic->substr(0, 6), "Basic ")) {
    if (const auto decoded = crypto::base64_decode(basic->substr(6))) {
      const auto colon = decoded->find(':');
      if (colon != std::string::npos) {
        client_id = url::percent_decode(decoded->substr(0, colon)).value_or("");
        client_secret = url::percent_decode(decoded->substr(colon + 1)).value_or("");
      }
    }
  }
  const bool ok = crypto::constant_time_equals(client_id, credentials_.salesforce_client_id) &
                  crypto::constant_time_equals(client_secret, credentials_.salesforce_client_secret);
  if (!ok) return oauth_error(400, "invalid_client", "invalid client credentials");

  const auto now = clock_->now();
  std::erase_if(tokens_, [&](const auto& entry) { return entry.second <= now; });
  const std::string access_token = std::string(kOrgId).substr(0, 15) + "!" + crypto::random_hex(40);
  tokens_[access_token] = now + options_.token_ttl;
  const auto host = request.headers.get("Host");
  const std::string instance = "http://" + std::string(host && !host->empty() ? *host : "127.0.0.1:7171");
  const std::string id = instance + "/id/" + kOrgId + "/" + kUserId;
  const std::string issued_at = std::to_string(clock_->unix_millis());
  // Salesforce signs id + issued_at with the client secret, so a client can check the answer.
  const std::string signature =
      crypto::base64_encode(crypto::hmac_sha256(credentials_.salesforce_client_secret, id + issued_at));
  return json_response(200, Json{{"access_token", access_token},
                                 {"signature", signature},
                                 {"scope", "api"},
                                 {"instance_url", instance},
                                 {"id", id},
                                 {"token_type", "Bearer"},
                                 {"issued_at", issued_at}});
}

http::Response SalesforceEmulator::route(Call& call) {
  const auto& s = call.segments;
  const std::string& method = call.request.method;
  if (s.empty()) return not_found();
  if (s[0] == "query" && s.size() == 1) {
    return method == "GET" ? query(call) : method_not_allowed(method, "GET,HEAD");
  }
  if (s[0] == "query" && s.size() == 2) {
    return method == "GET" ? query_more(call, s[1]) : method_not_allowed(method, "GET,HEAD");
  }
  if (s[0] != "sobjects") return not_found();
  if (s.size() == 1) {
    Json list = Json::array();
    for (const auto& o : sobjects()) {
      list.push_back(Json{{"name", o.name},
                          {"keyPrefix", o.key_prefix},
                          {"custom", false},
                          {"createable", true},
                          {"updateable", true},
                          {"queryable", true},
                          {"urls", Json{{"sobject", call.base() + "/sobjects/" + o.name}}}});
    }
    return json_response(200, Json{{"encoding", "UTF-8"}, {"maxBatchSize", 200}, {"sobjects", list}});
  }
  const SObjectSpec* object = find_sobject(s[1]);
  if (!object) return not_found();
  if (s.size() == 2) return method == "POST" ? create(call, *object) : method_not_allowed(method, "GET,HEAD,POST");
  if (s.size() == 3) {
    if (method == "GET") return read(call, *object, s[2]);
    if (method == "PATCH") return update(call, *object, s[2]);
    if (method == "DELETE") return remove(call, *object, s[2]);
    return method_not_allowed(method, "HEAD,GET,PATCH,DELETE");
  }
  if (s.size() == 4) {
    if (method == "PATCH") return upsert(call, *object, s[2], s[3]);
    if (method == "GET") return read_by_external_id(call, *object, s[2], s[3]);
    return method_not_allowed(method, "HEAD,GET,PATCH");
  }
  return not_found();
}

RequestFacts SalesforceEmulator::describe(const http::Request& request,
                                         const http::Response& /*response*/) const {
  RequestFacts facts;
  const auto segments = split_path(request.path);
  // /services/data/vNN.N/sobjects/<T>/<Field>/<value>
  if (request.method == "PATCH" && segments && segments->size() == 7 && (*segments)[3] == "sobjects") {
    facts.idempotency_key = (*segments)[4] + "/" + (*segments)[5] + "/" + (*segments)[6];
  }
  return facts;
}

http::Response SalesforceEmulator::handle_admin(const http::Request& request, std::string_view subpath) {
  if (subpath != "/expire_sessions") return PlatformEmulator::handle_admin(request, subpath);
  if (request.method != "POST") return method_not_allowed(request.method, "POST");
  std::lock_guard lock(mutex_);
  const auto expired = tokens_.size();
  tokens_.clear();
  return json_response(200, Json{{"expired", expired}});
}

http::Response SalesforceEmulator::fault_response(int status) const {
  if (status == 429) {
    return error_response(429, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.");
  }
  if (status == 503) {
    return error_response(503, "SERVER_UNAVAILABLE", "Server temporarily unavailable, try again later.");
  }
  return error_response(status, "UNKNOWN_EXCEPTION",
                        "An unexpected error occurred. Please include this ErrorId if you "
                        "contact support: 1234567890-12345 (-1234567890)");
}

nlohmann::json SalesforceEmulator::state() const {
  std::lock_guard lock(mutex_);
  nlohmann::json out = nlohmann::json::object();
  for (const auto& o : sobjects()) {
    out[o.name] = nlohmann::json::array();
    if (const auto it = records_.find(o.name); it != records_.end()) {
      for (const auto& [id, record] : it->second) out[o.name].push_back(nlohmann::json(record));
    }
  }
  return out;
}

Result<void, std::string> SalesforceEmulator::restore(const nlohmann::json& state) {
  if (!state.is_object()) return fail(std::string("salesforce state must be a JSON object"));
  std::map<std::string, std::map<std::string, Json>> loaded;
  std::int64_t max_counter = 0, max_contract = 99;
  for (const auto& [name, list] : state.items()) {
    const SObjectSpec* object = find_sobject(name);
    if (!object) return fail("salesforce state: unknown sObject \"" + name + "\"");
    if (!list.is_array()) return fail("salesforce state: \"" + name + "\" must be an array");
    for (const auto& record : list) {
      const auto id = record.is_object() && record.contains("Id") && record["Id"].is_string()
                          ? id15(record["Id"].get<std::string>())
                          : std::nullopt;
      if (!id || !id->starts_with(object->key_prefix)) {
        return fail("salesforce state: every " + object->name + " needs an \"Id\" starting with " +
                    object->key_prefix);
      }
      loaded[object->name][*id] = Json(record);
      max_counter = std::max(max_counter, id_counter(*id).value_or(0));
      if (record.contains("ContractNumber") && record["ContractNumber"].is_string()) {
        std::int64_t n = 0;
        const std::string text = record["ContractNumber"].get<std::string>();
        if (std::from_chars(text.data(), text.data() + text.size(), n).ec == std::errc()) {
          max_contract = std::max(max_contract, n);
        }
      }
    }
  }
  std::lock_guard lock(mutex_);
  records_ = std::move(loaded);
  deleted_.clear();
  cursors_.clear();
  next_counter_ = max_counter + 1;
  contract_number_ = max_contract + 1;
  return {};
}

void SalesforceEmulator::reset() {
  std::lock_guard lock(mutex_);
  records_.clear();
  deleted_.clear();
  cursors_.clear();  // sessions (tokens_) outlive a reset, as they would a data wipe
  next_counter_ = 1;
  next_locator_ = 1;
  contract_number_ = 100;
}

}  // namespace weft::sandbox::salesforce
