#pragma once
// Keyset pagination for /v1 lists: `limit` (1..200, default 50) and `cursor`, an opaque token
// from the previous page's `next_cursor` (null on the last page). Keyset, not offset, so a
// page is as fast at the millionth row as at the first and rows added meanwhile are not
// skipped or repeated.

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "api/api_call.hpp"
#include "weft/result.hpp"

namespace weft::api {

struct PageRequest {
  int limit = 50;
  std::string after;  // the key of the last row of the previous page; empty for the first
};

// The page the call asks for; every invalid parameter as an invalid field.
Result<PageRequest, std::vector<http::InvalidField>> page_request(const ApiCall& call);

// The page's `after` as a log sequence number (lists paged by seq); false when it is not one.
bool after_seq(const PageRequest& page, std::int64_t& seq);

// {"data": items, "next_cursor": …}. `items` holds up to limit + 1 rows (ask the store for one
// more than the page): the extra row only says that there is a next page, and is dropped.
// `key_of(item)` is the keyset key a row is paged by.
nlohmann::json page_json(std::vector<nlohmann::json> items, const PageRequest& page,
                         const std::function<std::string(const nlohmann::json&)>& key_of);

}  // namespace weft::api
