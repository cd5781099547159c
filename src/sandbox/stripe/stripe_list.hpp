#pragma once
// Stripe's list and search endpoints over a Collection.
//
// Lists: limit 1–100 (default 10), newest first, starting_after=<id> for the next (older)
// page, ending_before=<id> for the previous (newer) one, never both; created=<unix> or
// created[gt|gte|lt|lte]=; {"object": "list", "url", "has_more", "data"}.
// Search: the search query language's subset field:"v" (exact), field~"v" (substring),
// field>n / >= / < / <= (numbers), -field:"v" (not), metadata["k"]:"v", clauses joined by all
// AND or all OR; page=<next_page>; {"object": "search_result", "url", "has_more",
// "next_page", "data"}.

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "sandbox/stripe/stripe_params.hpp"
#include "sandbox/stripe/stripe_reply.hpp"
#include "sandbox/stripe/stripe_store.hpp"

namespace weft::sandbox::stripe {

using Filter = std::function<bool(const nlohmann::json&)>;

// `extra` plus the paging parameters (limit, starting_after, ending_before, created).
std::vector<std::string_view> list_params(std::initializer_list<std::string_view> extra);

// Reads the paging parameters; a bad one fails `params` (and the result is empty).
Reply list_page(const Collection& collection, Params& params, const std::string& url, const Filter& keep,
                const std::string& noun);

// Reads query, limit and page; `fields` are the searchable fields besides metadata.
Reply search_page(const Collection& collection, Params& params, const std::string& url,
                  const std::vector<std::string_view>& fields, const std::string& resource, const Filter& keep);

}  // namespace weft::sandbox::stripe
