#pragma once
// Compiled jq programs by source text, shared by every instance of every workflow: a
// definition's expressions are compiled once (on first use) and run from any thread.

#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "mapping/jq_program.hpp"
#include "weft/result.hpp"

namespace weft::engine {

class JqCache {
 public:
  // The program's outputs on `input`; a compile error is reported like a runtime one.
  Result<std::vector<nlohmann::json>, std::string> run(const std::string& source,
                                                       const nlohmann::json& input);
  // The first output (null when there is none).
  Result<nlohmann::json, std::string> first(const std::string& source, const nlohmann::json& input);
  // jq truthiness of the first output: false and null (and no output) are false.
  Result<bool, std::string> test(const std::string& source, const nlohmann::json& input);

 private:
  Result<std::shared_ptr<const mapping::JqProgram>, std::string> get(const std::string& source);
  std::mutex mutex_;
  std::map<std::string, std::shared_ptr<const mapping::JqProgram>, std::less<>> programs_;
};

}  // namespace weft::engine
