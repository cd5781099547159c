#pragma once
// What the Salesforce emulator's handlers share: the parsed API request and Salesforce's
// response and error bodies. Internal to src/sandbox/salesforce.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/url_encoding.hpp"
#include "sandbox/salesforce/salesforce_emulator.hpp"

namespace weft::sandbox::salesforce {

struct SalesforceEmulator::Call {
  const http::Request& request;
  std::string version;                // "60.0"
  std::vector<std::string> segments;  // after /services/data/vNN.N, decoded
  url::Pairs query;                   // decoded
  std::chrono::system_clock::time_point now;

  std::optional<std::string> param(std::string_view name) const;
  std::string base() const { return "/services/data/v" + version; }
};

http::Response json_response(int status, const Json& body);
// [{"message": …, "errorCode": …, "fields": […]}]
http::Response error_response(int status, std::string_view error_code, std::string_view message,
                              const std::vector<std::string>& fields = {});
// 404 [{"errorCode":"NOT_FOUND","message":"The requested resource does not exist"}]
http::Response not_found();

}  // namespace weft::sandbox::salesforce
