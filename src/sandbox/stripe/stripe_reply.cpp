#include "sandbox/stripe/stripe_reply.hpp"

namespace weft::sandbox::stripe {

Reply error_reply(int status, std::string_view type, std::string message, std::string_view code,
                  std::string_view param) {
  nlohmann::json error{{"type", type}, {"message", std::move(message)}};
  if (!code.empty()) {
    error["code"] = code;
    std::string slug(code);
    for (char& c : slug) {
      if (c == '_') c = '-';
    }
    error["doc_url"] = "https://stripe.com/docs/error-codes/" + slug;
  }
  if (!param.empty()) error["param"] = param;
  return Reply{status, nlohmann::json{{"error", std::move(error)}}, true};
}

Reply invalid_param(std::string message, std::string_view param, std::string_view code) {
  Reply reply = error_reply(400, "invalid_request_error", std::move(message), code, param);
  reply.saved_for_idempotency = false;
  return reply;
}

Reply missing_param(std::string_view param) {
  return invalid_param("Missing required param: " + std::string(param) + ".", param, "parameter_missing");
}

Reply no_such(std::string_view noun, std::string_view id, std::string_view param) {
  return error_reply(404, "invalid_request_error", "No such " + std::string(noun) + ": '" + std::string(id) + "'",
                     "resource_missing", param);
}

Reply invalid_state(std::string message, std::string_view code, std::string_view param) {
  return error_reply(400, "invalid_request_error", std::move(message), code, param);
}

}  // namespace weft::sandbox::stripe
