#pragma once
// A business view (views/) as an API answer: the document, or the problem its error means.

#include <string_view>

#include "api/api_call.hpp"
#include "views/view_common.hpp"

namespace weft::api {

inline http::Response view_answer(const ApiCall& call, std::string_view parameter,
                                  const views::ViewResult<nlohmann::json>& view) {
  if (view) return json_ok(*view);
  switch (view.error().code) {
    case views::ViewErrc::invalid_reference:
      return http::problem(400, "bad-parameters", "Bad parameters", view.error().message,
                           call.request, {{std::string(parameter), view.error().message}});
    case views::ViewErrc::not_found:
      return not_found(call, view.error().message);
    case views::ViewErrc::storage:
      break;
  }
  return storage_unavailable(call, "cannot read the records now");
}

}  // namespace weft::api
