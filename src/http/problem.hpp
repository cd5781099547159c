#pragma once
// Errors as application/problem+json (RFC 9457). Each kind of error has a stable type URI,
// urn:weft:problem:<kind>, that clients may switch on; title is fixed per kind, detail
// explains this occurrence.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "weft/http.hpp"

namespace weft::http {

struct InvalidField {
  std::string name;    // JSON pointer or parameter name
  std::string reason;
};

Response problem(int status, std::string_view kind, std::string_view title, std::string_view detail,
                 const Request& request, const std::vector<InvalidField>& invalid = {});

// A JSON response with the given status.
Response json_response(int status, std::string body);

}  // namespace weft::http
