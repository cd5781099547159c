#pragma once
// The contract test of /v1: every response a test receives is checked against the OpenAPI
// document (api/openapi.json) — the operation found by method and path (its templates matched
// segment by segment), the schema by status (else `default`), the content type by kind
// (application/json for successes, application/problem+json for errors). No gtest here: the
// violations come back as text, and the tests assert that there are none.

#include <string>
#include <string_view>
#include <vector>

namespace weft::test {

std::vector<std::string> api_contract_violations(std::string_view method, std::string_view path,
                                                 int status, std::string_view content_type,
                                                 std::string_view body);

}  // namespace weft::test
