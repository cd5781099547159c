#include "sandbox/netsuite/netsuite_emulator.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <exception>

#include "connectors/netsuite/oauth1.hpp"
#include "core/time_format.hpp"
#include "crypto/hmac.hpp"
#include "sandbox/netsuite/netsuite_http.hpp"

namespace weft::sandbox::netsuite {

namespace {

constexpr std::string_view kPrefix = "/services/rest";

const char* section_for(int status) {
  switch (status) {
    case 400: return "https://www.w3.org/Protocols/rfc2616/rfc2616-sec10.html#sec10.4.1";
    case 401: return "https://www.w3.org/Protocols/rfc2616/rfc2616-sec10.html#sec10.4.2";
    case 403: return "https://www.w3.org/Protocols/rfc2616/rfc2616-sec10.html#sec10.4.4";
    case 404: return "https://www.w3.org/Protocols/rfc2616/rfc2616-sec10.html#sec10.4.5";
    case 405: return "https://www.w3.org/Protocols/rfc2616/rfc2616-sec10.html#sec10.4.6";
    case 429: return "https://tools.ietf.org/html/rfc6585#section-4";
    case 503: return "https://www.w3.org/Protocols/rfc2616/rfc2616-sec10.html#sec10.5.4";
    default: return "https://www.w3.org/Protocols/rfc2616/rfc2616-sec10.html#sec10.5.1";
  }
}

const char* title_for(int status) {
  switch (status) {
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 429: return "Too Many Requests";
    case 503: return "Service Unavailable";
    default: return "Internal Server Error";
  }
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

std::string lower(std::string_view text) {
  std::string out(text);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

std::optional<std::string> NetSuiteEmulator::Call::param(std::string_view name) const {
  for (const auto& [key, value] : query) {
    if (key == name) return value;
  }
  return std::nullopt;
}

http::Response json_response(int status, const Json& body, std::string_view kind) {
  http::Response response;
  response.status = status;
  response.headers.set("Content-Type", "application/vnd.oracle.resource+json; type=" + std::string(kind));
  response.body = body.dump();
  return response;
}

http::Response error_response(int status, std::string_view error_code, std::string_view detail,
                              std::string_view error_path) {
  Json item{{"detail", detail}, {"o:errorCode", error_code}};
  if (!error_path.empty()) item["o:errorPath"] = error_path;
  return json_response(status,
                       Json{{"type", section_for(status)},
                            {"title", title_for(status)},
                            {"status", status},
                            {"o:errorDetails", Json::array({item})}},
                       "error");
}

http::Response no_content() {
  http::Response response;
  response.status = 204;
  return response;
}

const std::vector<std::string>& record_types() {
  static const std::vector<std::string> types = {"customer",    "invoice",    "creditMemo",
                                                 "customerPayment", "journalEntry", "salesOrder",
                                                 "customerRefund"};
  return types;
}

std::optional<std::string> canonical_type(std::string_view name) {
  for (const auto& type : record_types()) {
    if (lower(type) == lower(name)) return type;
  }
  return std::nullopt;
}

bool is_transaction(std::string_view type) { return type != "customer"; }

std::string netsuite_datetime(std::chrono::system_clock::time_point t) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  return format_iso8601_ms(ms - ((ms % 1000) + 1000) % 1000).substr(0, 19) + "Z";
}

NetSuiteEmulator::NetSuiteEmulator(EmulatorContext context, Options options)
    : credentials_(context.credentials),
      clock_(std::move(context.clock)),
      outbox_(context.outbox),
      options_(options) {}

bool NetSuiteEmulator::authenticated(const http::Request& request,
                                     std::chrono::system_clock::time_point now) {
  namespace oauth = connectors::netsuite;
  const auto header = request.headers.get("Authorization");
  if (!header) return false;
  const auto params = oauth::parse_authorization_header(*header);
  if (!params) return false;
  const auto get = [&](const char* name) -> std::string {
    const auto it = params->find(name);
    return it == params->end() ? std::string() : it->second;
  };
  if (get("realm") != credentials_.netsuite_account_id ||
      !crypto::constant_time_equals(get("oauth_consumer_key"), credentials_.netsuite_consumer_key) ||
      !crypto::constant_time_equals(get("oauth_token"), credentials_.netsuite_token_id) ||
      get("oauth_signature_method") != "HMAC-SHA256" || get("oauth_version") != "1.0") {
    return false;
  }
  const std::string nonce = get("oauth_nonce");
  const auto timestamp = parse_unix_seconds(get("oauth_timestamp"));
  const auto now_s = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  const auto tolerance = options_.timestamp_tolerance.count();
  if (nonce.size() < 6 || !timestamp || *timestamp > now_s + tolerance || *timestamp < now_s - tolerance) {
    return false;
  }

  const auto host = request.headers.get("Host");
  const std::string url = "http://" + std::string(host && !host->empty() ? *host : "127.0.0.1:7171") +
                          (request.target.empty() ? request.path : request.target);
  oauth::OAuth1Params signed_params;
  signed_params.consumer_key = get("oauth_consumer_key");
  signed_params.token = get("oauth_token");
  signed_params.nonce = nonce;
  signed_params.timestamp = get("oauth_timestamp");
  const std::string expected = oauth::signature(oauth::signature_base_string(request.method, url, signed_params),
                                                credentials_.netsuite_consumer_secret,
                                                credentials_.netsuite_token_secret);
  if (!crypto::constant_time_equals(expected, get("oauth_signature"))) return false;

  // A nonce is good once within the timestamp window.
  std::erase_if(nonces_, [&](const auto& entry) { return entry.second < now_s - 2 * tolerance; });
  if (!nonces_.emplace(nonce, *timestamp).second) return false;
  return true;
}

bool NetSuiteEmulator::admit(std::chrono::steady_clock::time_point now) {
  if (options_.concurrency_limit <= 0) return true;
  std::erase_if(busy_until_, [&](auto until) { return until <= now; });
  if (static_cast<int>(busy_until_.size()) >= options_.concurrency_limit) return false;
  busy_until_.push_back(now + options_.request_service_time);
  return true;
}

http::Response NetSuiteEmulator::handle(const http::Request& request) {
  std::lock_guard lock(mutex_);
  try {
    const auto now = clock_->now();
    if (!authenticated(request, now)) {
      return error_response(401, "INVALID_LOGIN",
                            "Invalid login attempt. For more details, see the Login Audit Trail in "
                            "the NetSuite UI at Setup > Users/Roles > User Management > View Login "
                            "Audit Trail.");
    }
    if (!admit(clock_->monotonic())) return fault_response(429);
    auto segments = split_path(std::string_view(request.path).substr(std::min(request.path.size(), kPrefix.size())));
    auto query = url::parse_pairs(request.query);
    if (!segments || !query) return error_response(400, "INVALID_CONTENT", "The URL has a malformed %-escape.");
    const auto host = request.headers.get("Host");
    Call call{request, std::move(*segments), std::move(*query),
              "http://" + std::string(host && !host->empty() ? *host : "127.0.0.1:7171"), now};
    return route(call);
  } catch (const std::exception& e) {  // a bug of ours: answer like NetSuite's 500, keep serving
    return error_response(500, "UNEXPECTED_ERROR", std::string("sandbox error: ") + e.what());
  }
}

http::Response NetSuiteEmulator::route(Call& call) {
  const auto& s = call.segments;
  const std::string& method = call.request.method;
  if (s.size() == 3 && s[0] == "query" && s[1] == "v1" && s[2] == "suiteql") {
    if (method != "POST") return error_response(405, "INVALID_REQUEST", "SuiteQL takes POST only.");
    return suiteql(call);
  }
  if (s.size() < 3 || s.size() > 4 || s[0] != "record" || s[1] != "v1") {
    return error_response(404, "NONEXISTENT_PATH", "The requested path " + call.request.path + " does not exist.");
  }
  const auto type = canonical_type(s[2]);
  if (!type) return error_response(404, "INVALID_RCRD_TYPE", "The record type [" + s[2] + "] is invalid.");
  if (s.size() == 3) {
    if (method == "GET") return list(call, *type);
    if (method == "POST") return create(call, *type);
    return error_response(405, "INVALID_REQUEST", "Method " + method + " is not allowed on a record collection.");
  }
  if (method == "GET") return read(call, *type, s[3]);
  if (method == "PATCH") return patch(call, *type, s[3]);
  if (method == "PUT") return upsert(call, *type, s[3]);
  if (method == "DELETE") return remove(call, *type, s[3]);
  return error_response(405, "INVALID_REQUEST", "Method " + method + " is not allowed on a record.");
}

http::Response NetSuiteEmulator::fault_response(int status) const {
  if (status == 429) {
    return error_response(429, "CONCURRENCY_LIMIT_EXCEEDED",
                          "Concurrent request limit exceeded. Request blocked.");
  }
  if (status == 503) {
    return error_response(503, "SERVICE_UNAVAILABLE", "The service is temporarily unavailable.");
  }
  return error_response(status, "UNEXPECTED_ERROR", "An unexpected error occurred.");
}

RequestFacts NetSuiteEmulator::describe(const http::Request& request, const http::Response& /*response*/) const {
  RequestFacts facts;
  const auto segments = split_path(request.path);
  // /services/rest/record/v1/<type>/eid:<externalId>
  if (request.method == "PUT" && segments && segments->size() == 6 && (*segments)[5].starts_with("eid:")) {
    facts.idempotency_key = (*segments)[4] + "/" + (*segments)[5];
  }
  return facts;
}

http::Response NetSuiteEmulator::handle_admin(const http::Request& request, std::string_view subpath) {
  if (subpath != "/concurrency") return PlatformEmulator::handle_admin(request, subpath);
  std::lock_guard lock(mutex_);
  const auto show = [&] {
    http::Response response;
    response.headers.set("Content-Type", "application/json");
    response.body = nlohmann::json{{"limit", options_.concurrency_limit},
                                   {"service_time_ms", options_.request_service_time.count()}}.dump();
    return response;
  };
  if (request.method == "GET") return show();
  if (request.method != "POST") {
    http::Response response = show();
    response.status = 405;
    return response;
  }
  const auto body = nlohmann::json::parse(request.body, nullptr, false);
  const auto bad = [](std::string message) {
    http::Response response;
    response.status = 400;
    response.headers.set("Content-Type", "application/json");
    response.body = nlohmann::json{{"error", std::move(message)}}.dump();
    return response;
  };
  if (!body.is_object()) return bad("the body must be {\"limit\": n, \"service_time_ms\": ms}");
  const auto limit = body.value("limit", nlohmann::json(options_.concurrency_limit));
  const auto service = body.value("service_time_ms", nlohmann::json(options_.request_service_time.count()));
  if (!limit.is_number_integer() || limit.get<std::int64_t>() < 0 || limit.get<std::int64_t>() > 1000) {
    return bad("limit must be a whole number from 0 (no limit) to 1000");
  }
  if (!service.is_number_integer() || service.get<std::int64_t>() < 0 || service.get<std::int64_t>() > 600'000) {
    return bad("service_time_ms must be a whole number of milliseconds from 0 to 600000");
  }
  options_.concurrency_limit = static_cast<int>(limit.get<std::int64_t>());
  options_.request_service_time = std::chrono::milliseconds(service.get<std::int64_t>());
  busy_until_.clear();
  return show();
}

nlohmann::json NetSuiteEmulator::state() const {
  std::lock_guard lock(mutex_);
  nlohmann::json out = nlohmann::json::object();
  for (const auto& type : record_types()) {
    out[type] = nlohmann::json::array();
    if (const auto it = records_.find(type); it != records_.end()) {
      for (const auto& [id, record] : it->second) out[type].push_back(nlohmann::json(record));
    }
  }
  return out;
}

Result<void, std::string> NetSuiteEmulator::restore(const nlohmann::json& state) {
  if (!state.is_object()) return fail(std::string("netsuite state must be a JSON object"));
  std::map<std::string, std::map<std::int64_t, Json>> loaded;
  std::int64_t max_id = 100;
  for (const auto& [name, list] : state.items()) {
    const auto type = canonical_type(name);
    if (!type) return fail("netsuite state: unknown record type \"" + name + "\"");
    if (!list.is_array()) return fail("netsuite state: \"" + name + "\" must be an array");
    for (const auto& record : list) {
      const std::string id_text = record.is_object() && record.contains("id") && record["id"].is_string()
                                      ? record["id"].get<std::string>()
                                      : "";
      const auto id = parse_unix_seconds(id_text);  // digits only
      if (!id || *id <= 0) return fail("netsuite state: every " + *type + " needs an \"id\" of digits");
      loaded[*type][*id] = Json(record);
      max_id = std::max(max_id, *id);
    }
  }
  std::lock_guard lock(mutex_);
  records_ = std::move(loaded);
  next_id_ = max_id + 1;
  return {};
}

void NetSuiteEmulator::reset() {
  std::lock_guard lock(mutex_);
  records_.clear();
  busy_until_.clear();
  next_id_ = 101;
}

}  // namespace weft::sandbox::netsuite
