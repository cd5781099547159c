#pragma once
// ok(result): the value of a store result the test expects to succeed; a failure is reported
// (with its error code and message) and the test carries on with an empty value.

#include <gtest/gtest.h>

#include "weft/store.hpp"

namespace weft {

template <class T>
T ok(StoreResult<T> result) {
  if (!result.ok()) {
    ADD_FAILURE() << to_string(result.error().code) << ": " << result.error().message;
    return T{};
  }
  return std::move(result).value();
}

inline void ok(StoreResult<void> result) {
  if (!result.ok()) ADD_FAILURE() << to_string(result.error().code) << ": " << result.error().message;
}

}  // namespace weft
