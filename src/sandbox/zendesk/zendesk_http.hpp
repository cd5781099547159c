#pragma once
// What the Zendesk emulator's handlers share: the parsed request, Zendesk's response and
// error bodies, its timestamps and its opaque pagination cursors. Internal to src/sandbox/zendesk.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/url_encoding.hpp"
#include "sandbox/zendesk/zendesk_emulator.hpp"

namespace weft::sandbox::zendesk {

struct ZendeskEmulator::Call {
  const http::Request& request;
  std::vector<std::string> segments;  // the path after /api/v2, ".json" removed
  url::Pairs query;                   // decoded
  std::string base;                   // "http://<Host>/api/v2", as the client addressed us
  std::chrono::system_clock::time_point now;

  std::optional<std::string> param(std::string_view name) const;
  // An incremental export's start_time (`text`): Unix seconds at least a minute old, as
  // Zendesk requires; otherwise its 400.
  Result<std::int64_t, http::Response> export_start_time(std::string_view text) const;
  // The path without query and without ".json", e.g. "/tickets/7/comments".
  std::string path() const;
};

http::Response json_response(int status, const Json& body);
// {"error": error, "description": description}
http::Response error_response(int status, std::string_view error, std::string_view description);
http::Response not_found();  // 404 RecordNotFound
// 422 {"error":"RecordInvalid","description":"Record validation errors","details":{field:[…]}}
http::Response record_invalid(std::string_view field, std::string_view description,
                              std::string_view error = "InvalidValue");

// The request body as JSON, with the top-level object `wrapper` ("ticket", "user", …) taken
// out; a 400 saying what is wrong otherwise.
Result<Json, http::Response> parse_wrapped_body(const http::Request& request,
                                                std::string_view wrapper);

// "2024-04-17T17:18:10Z": Zendesk's timestamps have whole seconds.
std::string iso_seconds(std::chrono::system_clock::time_point t);
std::string new_uuid();

// Opaque cursors for cursor pagination and the incremental export.
std::string encode_cursor(std::int64_t position);
std::optional<std::int64_t> decode_cursor(std::string_view cursor);

// `url` followed by the query pairs (percent-encoded), or `url` alone when there are none.
std::string with_query(const std::string& url, const url::Pairs& pairs);

// A strictly positive integer id from a path segment or a JSON value.
std::optional<std::int64_t> parse_id(std::string_view text);
std::optional<std::int64_t> json_id(const Json& value);

// Cursor pagination over records already in order: {records_key: [...], "meta": {...},
// "links": {...}}; without page[size]/page[after]/page[before], the legacy offset pages
// ({records_key, next_page, previous_page, count}). `keys` are the records' cursor positions,
// strictly increasing in the order given.
http::Response paged_list(const ZendeskEmulator::Call& call, const std::string& records_key,
                          const std::vector<const Json*>& records,
                          const std::vector<std::int64_t>& keys);

}  // namespace weft::sandbox::zendesk
