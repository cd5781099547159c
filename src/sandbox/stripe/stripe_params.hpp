#pragma once
// Reads and validates the parameters of one Stripe request (form body or query string,
// already unflattened from bracket notation: every leaf is a string). The first problem found
// is kept as the Reply Stripe would send (unknown parameter with a "Did you mean", missing
// required param, invalid integer or boolean, bad metadata), and later reads return nothing,
// so a handler reads everything it needs and then checks failed() once.
//
// Threads: one Params per request.

#include <cstdint>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sandbox/stripe/stripe_reply.hpp"

namespace weft::sandbox::stripe {

class Params {
 public:
  // `known`: the parameter names this endpoint takes ("expand" is always allowed). `prefix`
  // names a nested object in messages, e.g. "items[0]".
  Params(const nlohmann::json& params, std::initializer_list<std::string_view> known, std::string prefix = {});
  Params(const nlohmann::json& params, const std::vector<std::string_view>& known, std::string prefix = {});

  bool has(std::string_view name) const;
  // The value as given (a string, or an object or array for bracket notation); nullptr if absent.
  const nlohmann::json* raw(std::string_view name) const { return find(name); }
  std::optional<std::string> text(std::string_view name);
  std::string required_text(std::string_view name);
  std::optional<std::int64_t> integer(std::string_view name);
  std::int64_t required_integer(std::string_view name);
  std::optional<bool> boolean(std::string_view name);
  std::optional<std::string> one_of(std::string_view name, std::initializer_list<std::string_view> values);
  // metadata[...]: an object of strings, or "" (clear all). Stripe's limits are checked.
  std::optional<nlohmann::json> metadata(std::string_view name = "metadata");
  // A nested object or array as given (nullopt when absent); wrong shape is an error.
  std::optional<nlohmann::json> object(std::string_view name);
  std::optional<nlohmann::json> array(std::string_view name);
  std::vector<std::string> expand();

  void fail(Reply reply);
  bool failed() const { return error_.has_value(); }
  const Reply& error() const { return *error_; }
  std::string param_name(std::string_view name) const;

 private:
  void check_known(const std::vector<std::string_view>& known);
  const nlohmann::json* find(std::string_view name) const;

  nlohmann::json params_;
  std::string prefix_;
  std::optional<Reply> error_;
};

// Merges metadata changes into `target` as Stripe does: "" clears all, a key set to ""
// is removed, other keys are set.
void merge_metadata(nlohmann::json& target, const nlohmann::json& change);

}  // namespace weft::sandbox::stripe
