#include "sandbox/zendesk/zendesk_http.hpp"

#include <algorithm>
#include <charconv>

#include "core/time_format.hpp"
#include "crypto/hmac.hpp"

namespace weft::sandbox::zendesk {

Result<std::int64_t, http::Response> ZendeskEmulator::Call::export_start_time(std::string_view text) const {
  const auto seconds = parse_unix_seconds(text);
  if (!seconds) return fail(error_response(400, "InvalidValue", "start_time must be a Unix time in seconds"));
  const auto now_s = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  if (*seconds > now_s - 60) {
    return fail(error_response(400, "InvalidValue", "Too recent start_time. Use a start_time older than 1 minute"));
  }
  return *seconds;
}

std::optional<std::string> ZendeskEmulator::Call::param(std::string_view name) const {
  for (const auto& [key, value] : query) {
    if (key == name) return value;
  }
  return std::nullopt;
}

std::string ZendeskEmulator::Call::path() const {
  std::string out;
  for (const auto& segment : segments) out += "/" + url::percent_encode(segment);
  return out;
}

http::Response json_response(int status, const Json& body) {
  http::Response response;
  response.status = status;
  response.headers.set("Content-Type", "application/json; charset=utf-8");
  response.body = body.dump();
  return response;
}

http::Response error_response(int status, std::string_view error, std::string_view description) {
  return json_response(status, Json{{"error", error}, {"description", description}});
}

http::Response not_found() { return error_response(404, "RecordNotFound", "Not found"); }

http::Response record_invalid(std::string_view field, std::string_view description,
                              std::string_view error) {
  Json details;
  details[std::string(field)] = Json::array({Json{{"description", description}, {"error", error}}});
  return json_response(422, Json{{"error", "RecordInvalid"},
                                 {"description", "Record validation errors"},
                                 {"details", details}});
}

Result<Json, http::Response> parse_wrapped_body(const http::Request& request,
                                                std::string_view wrapper) {
  Json body;
  try {
    body = Json::parse(request.body);
  } catch (const Json::parse_error& e) {
    return fail(error_response(400, "InvalidJSON",
                               std::string("The request body is not valid JSON: ") + e.what()));
  }
  if (!body.is_object()) {
    return fail(error_response(400, "InvalidJSON", "The request body must be a JSON object"));
  }
  const auto it = body.find(std::string(wrapper));
  if (it == body.end() || !it->is_object()) {
    return fail(error_response(400, "ParameterMissing",
                               "The request body must be {\"" + std::string(wrapper) +
                                   "\": {...}}: \"" + std::string(wrapper) +
                                   "\" is missing or not an object"));
  }
  return Json(*it);
}

std::string iso_seconds(std::chrono::system_clock::time_point t) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  const std::string with_ms = format_iso8601_ms(ms - ((ms % 1000) + 1000) % 1000);
  return with_ms.substr(0, 19) + "Z";
}

std::string new_uuid() {
  std::string hex = crypto::random_hex(16);
  hex[12] = '4';                                            // version 4
  hex[16] = "89ab"[std::stoi(hex.substr(16, 1), nullptr, 16) & 3];  // RFC 4122 variant
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
         hex.substr(16, 4) + "-" + hex.substr(20);
}

namespace {
constexpr std::string_view kCursorTag = "zdc1:";
}

std::string encode_cursor(std::int64_t position) {
  return crypto::base64url_encode(std::string(kCursorTag) + std::to_string(position));
}

std::optional<std::int64_t> decode_cursor(std::string_view cursor) {
  // base64url without padding: turn it back into standard base64 for the decoder.
  std::string standard(cursor);
  std::replace(standard.begin(), standard.end(), '-', '+');
  std::replace(standard.begin(), standard.end(), '_', '/');
  while (standard.size() % 4 != 0) standard += '=';
  const auto raw = crypto::base64_decode(standard);
  if (!raw || !raw->starts_with(kCursorTag)) return std::nullopt;
  std::int64_t value = 0;
  const char* begin = raw->data() + kCursorTag.size();
  const char* end = raw->data() + raw->size();
  const auto [ptr, ec] = std::from_chars(begin, end, value);
  if (ec != std::errc() || ptr != end || begin == end) return std::nullopt;
  return value;
}

std::string with_query(const std::string& url, const url::Pairs& pairs) {
  return pairs.empty() ? url : url + "?" + url::join_pairs(pairs);
}

std::optional<std::int64_t> parse_id(std::string_view text) {
  if (text.empty() || text.size() > 18) return std::nullopt;
  std::int64_t value = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size() || value <= 0) return std::nullopt;
  return value;
}

std::optional<std::int64_t> json_id(const Json& value) {
  if (value.is_number_integer()) {
    const auto id = value.get<std::int64_t>();
    return id > 0 ? std::optional(id) : std::nullopt;
  }
  if (value.is_string()) return parse_id(value.get<std::string>());
  return std::nullopt;
}

namespace {

url::Pairs without_paging(const url::Pairs& query) {
  url::Pairs kept;
  for (const auto& pair : query) {
    if (pair.first != "page[size]" && pair.first != "page[after]" &&
        pair.first != "page[before]" && pair.first != "page" && pair.first != "per_page") {
      kept.push_back(pair);
    }
  }
  return kept;
}

Result<std::size_t, http::Response> page_size_param(const std::optional<std::string>& text,
                                                     std::string_view name) {
  if (!text) return std::size_t{100};
  const auto value = parse_id(*text);
  if (!value || *value > 100) {
    return fail(error_response(400, "InvalidPaginationParameter",
                               std::string(name) + " must be a number from 1 to 100"));
  }
  return static_cast<std::size_t>(*value);
}

http::Response offset_page(const ZendeskEmulator::Call& call, const std::string& records_key,
                           const std::vector<const Json*>& records) {
  auto per_page = page_size_param(call.param("per_page"), "per_page");
  if (!per_page) return std::move(per_page).error();
  std::size_t page = 1;
  if (const auto text = call.param("page")) {
    const auto value = parse_id(*text);
    if (!value) {
      return error_response(400, "InvalidPaginationParameter", "page must be a positive number");
    }
    page = static_cast<std::size_t>(*value);
  }
  const std::size_t begin = std::min(records.size(), (page - 1) * *per_page);
  const std::size_t end = std::min(records.size(), begin + *per_page);
  Json out;
  out[records_key] = Json::array();
  for (std::size_t i = begin; i < end; ++i) out[records_key].push_back(*records[i]);
  const std::string link = call.base + call.path() + ".json";
  const auto page_link = [&](std::size_t n) {
    url::Pairs query = without_paging(call.query);
    query.emplace_back("page", std::to_string(n));
    query.emplace_back("per_page", std::to_string(*per_page));
    return with_query(link, query);
  };
  out["next_page"] = end < records.size() ? Json(page_link(page + 1)) : Json(nullptr);
  out["previous_page"] = page > 1 ? Json(page_link(page - 1)) : Json(nullptr);
  out["count"] = records.size();
  return json_response(200, out);
}

}  // namespace

http::Response paged_list(const ZendeskEmulator::Call& call, const std::string& records_key,
                          const std::vector<const Json*>& records,
                          const std::vector<std::int64_t>& keys) {
  const auto size_text = call.param("page[size]");
  const auto after_text = call.param("page[after]");
  const auto before_text = call.param("page[before]");
  if (!size_text && !after_text && !before_text) return offset_page(call, records_key, records);

  auto size = page_size_param(size_text, "page[size]");
  if (!size) return std::move(size).error();
  std::optional<std::int64_t> after, before;
  if (after_text && !(after = decode_cursor(*after_text))) {
    return error_response(400, "InvalidPaginationParameter",
                          "page[after] is not a cursor this API returned");
  }
  if (before_text && !(before = decode_cursor(*before_text))) {
    return error_response(400, "InvalidPaginationParameter",
                          "page[before] is not a cursor this API returned");
  }

  // [begin, end) of the records on this page.
  std::size_t begin = 0, end = records.size();
  bool has_more = false;
  if (before) {
    end = static_cast<std::size_t>(std::lower_bound(keys.begin(), keys.end(), *before) - keys.begin());
    begin = end > *size ? end - *size : 0;
    has_more = begin > 0;
  } else {
    if (after) {
      begin = static_cast<std::size_t>(std::upper_bound(keys.begin(), keys.end(), *after) - keys.begin());
    }
    end = std::min(records.size(), begin + *size);
    has_more = end < records.size();
  }

  Json out;
  out[records_key] = Json::array();
  for (std::size_t i = begin; i < end; ++i) out[records_key].push_back(*records[i]);
  const bool empty = begin == end;
  const std::string first = empty ? "" : encode_cursor(keys[begin]);
  const std::string last = empty ? "" : encode_cursor(keys[end - 1]);
  out["meta"] = {{"has_more", has_more},
                 {"after_cursor", empty ? Json(nullptr) : Json(last)},
                 {"before_cursor", empty ? Json(nullptr) : Json(first)}};
  const std::string link = call.base + call.path() + ".json";
  const auto page_link = [&](const char* direction, const std::string& cursor) {
    url::Pairs query = without_paging(call.query);
    query.emplace_back(direction, cursor);
    query.emplace_back("page[size]", std::to_string(*size));
    return Json(with_query(link, query));
  };
  // links.next is null on the last page: clients (node-zendesk among them) follow it while set.
  const bool more_after = before ? end < records.size() : has_more;
  const bool more_before = before ? has_more : begin > 0;
  out["links"] = {{"prev", !empty && more_before ? page_link("page[before]", first) : Json(nullptr)},
                  {"next", !empty && more_after ? page_link("page[after]", last) : Json(nullptr)}};
  return json_response(200, out);
}

}  // namespace weft::sandbox::zendesk
