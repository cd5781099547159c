#pragma once
// Result<T, E>: the value of an operation that can fail in an expected way (I/O, parsing, a
// platform's error answer, bad input). Exceptions are kept for start-up failures only.
// (std::expected would do, but clang 14, which builds the fuzz targets, lacks it.)

#include <cassert>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>

namespace weft {

template <class E>
struct Failure {
  E error;
};

template <class E>
Failure<std::decay_t<E>> fail(E&& error) {
  return {std::forward<E>(error)};
}

template <class T, class E>
class [[nodiscard]] Result {
 public:
  Result(T value) : data_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit on purpose
  template <class F>
  Result(Failure<F> failure) : data_(std::in_place_index<1>, E(std::move(failure.error))) {}  // NOLINT

  bool ok() const noexcept { return data_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  T& value() & { assert(ok()); return std::get<0>(data_); }
  const T& value() const& { assert(ok()); return std::get<0>(data_); }
  // By value from a temporary, so `for (auto& x : f().value())` does not dangle.
  T value() && { assert(ok()); return std::get<0>(std::move(data_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const E& error() const& { assert(!ok()); return std::get<1>(data_); }
  E error() && { assert(!ok()); return std::get<1>(std::move(data_)); }

 private:
  std::variant<T, E> data_;
};

// Result<void, E>: success carries nothing.
template <class E>
class [[nodiscard]] Result<void, E> {
 public:
  Result() = default;
  template <class F>
  Result(Failure<F> failure) : error_(E(std::move(failure.error))), failed_(true) {}  // NOLINT

  bool ok() const noexcept { return !failed_; }
  explicit operator bool() const noexcept { return ok(); }
  const E& error() const& { assert(failed_); return error_; }

 private:
  E error_{};
  bool failed_ = false;
};

// The common shape of a module's error: a small enum of kinds plus a readable message.
template <class Code>
struct Error {
  Code code;
  std::string message;
};

}  // namespace weft
