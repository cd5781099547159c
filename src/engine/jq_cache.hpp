#pragma once
// Compiled jq programs by source text, shared by every instance of every workflow: a
// definition's expressions are compiled once (on first use) and run from any thread.

#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mapping/jq_program.hpp"
#include "weft/result.hpp"

namespace weft::engine {

class JqCache {
 public:
  // The program's outputs on `input`; a compile error is reported like a runtime one.
  Result<std::vector<nlohmann::json>, std::string> run(const std::string& source,
                                                       const nlohmann::json& input);
  // The same on a value converted for libjq once (an instance's state: StateDocument).
  Result<std::vector<nlohmann::json>, std::string> run(const std::string& source,
                                                       const mapping::JqValue& input);
  // The first output (null when there is none).
  template <class Input>
  Result<nlohmann::json, std::string> first(const std::string& source, const Input& input) {
    auto out = run(source, input);
    if (!out) return fail(out.error());
    if (out->empty()) return nlohmann::json();
    return std::move(out->front());
  }
  // jq truthiness of the first output: false and null (and no output) are false.
  template <class Input>
  Result<bool, std::string> test(const std::string& source, const Input& input) {
    auto out = first(source, input);
    if (!out) return fail(out.error());
    return !(out->is_null() || (out->is_boolean() && !out->template get<bool>()));
  }

 private:
  Result<std::shared_ptr<const mapping::JqProgram>, std::string> get(const std::string& source);
  template <class Input>
  Result<std::vector<nlohmann::json>, std::string> run_on(const std::string& source,
                                                          const Input& input);
  std::mutex mutex_;
  std::map<std::string, std::shared_ptr<const mapping::JqProgram>, std::less<>> programs_;
};

}  // namespace weft::engine
