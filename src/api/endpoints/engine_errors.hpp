#pragma once
// An engine refusal (engine/executor.hpp) as the API answers it.

#include "api/api_call.hpp"
#include "engine/executor.hpp"

namespace weft::api {

inline http::Response engine_refusal(const ApiCall& call, const engine::EngineError& error) {
  switch (error.code) {
    case engine::EngineErrc::not_found:
      return not_found(call, error.message);
    case engine::EngineErrc::invalid_state:
    case engine::EngineErrc::conflict:
      return conflict(call, error.message);
    case engine::EngineErrc::storage:
      break;
  }
  return storage_unavailable(call, "cannot record the action now; retry");
}

}  // namespace weft::api
