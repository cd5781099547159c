#pragma once
// What a Stripe endpoint answers, and Stripe's error envelope:
//   {"error": {"type": …, "code": …, "message": …, "param": …, "doc_url": …}}
// A reply also says whether Stripe would save it for a repeated Idempotency-Key: it saves
// every answer once the endpoint has begun executing (400s and 500s included), but nothing
// when parameter validation failed.

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace weft::sandbox::stripe {

struct Reply {
  int status = 200;
  nlohmann::json body;
  bool saved_for_idempotency = true;
};

inline Reply ok(nlohmann::json body) { return Reply{200, std::move(body), true}; }

// type: invalid_request_error, api_error, card_error, idempotency_error. Empty code/param
// are left out.
Reply error_reply(int status, std::string_view type, std::string message, std::string_view code = {},
                  std::string_view param = {});

// Parameter validation (not saved for idempotency): 400 invalid_request_error.
Reply invalid_param(std::string message, std::string_view param, std::string_view code = "parameter_invalid");
Reply missing_param(std::string_view param);  // "Missing required param: <param>."

// 404 resource_missing: "No such <noun>: '<id>'" (noun e.g. "customer", "invoice").
Reply no_such(std::string_view noun, std::string_view id, std::string_view param = "id");

// A request the object's state does not allow (e.g. paying a draft invoice): 400, saved.
Reply invalid_state(std::string message, std::string_view code = {}, std::string_view param = {});

}  // namespace weft::sandbox::stripe
