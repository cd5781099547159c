#pragma once
// What the NetSuite emulator's handlers share: the parsed request, NetSuite's response and
// error bodies, and the record types it knows. Internal to src/sandbox/netsuite.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/url_encoding.hpp"
#include "sandbox/netsuite/netsuite_emulator.hpp"

namespace weft::sandbox::netsuite {

struct NetSuiteEmulator::Call {
  const http::Request& request;
  std::vector<std::string> segments;  // after /services/rest, decoded
  url::Pairs query;                   // decoded
  std::string origin;                 // "http://<Host>"
  std::chrono::system_clock::time_point now;

  std::optional<std::string> param(std::string_view name) const;
  std::string record_url(const std::string& type) const { return origin + "/services/rest/record/v1/" + type; }
};

// `kind` is "singular" or "collection" (NetSuite's vnd.oracle.resource+json types).
http::Response json_response(int status, const Json& body, std::string_view kind = "singular");
// {"type": <RFC 2616 section>, "title", "status", "o:errorDetails": [{"detail", "o:errorCode"
// [, "o:errorPath"]}]} with Content-Type application/vnd.oracle.resource+json; type=error.
http::Response error_response(int status, std::string_view error_code, std::string_view detail,
                              std::string_view error_path = "");
http::Response no_content();

// The canonical name of a record type given in any case ("CREDITMEMO" → "creditMemo").
std::optional<std::string> canonical_type(std::string_view name);
const std::vector<std::string>& record_types();
bool is_transaction(std::string_view type);

// NetSuite's datetime: "2024-04-17T17:18:10Z".
std::string netsuite_datetime(std::chrono::system_clock::time_point t);

}  // namespace weft::sandbox::netsuite
