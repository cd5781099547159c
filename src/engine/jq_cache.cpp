#include "engine/jq_cache.hpp"

namespace weft::engine {

Result<std::shared_ptr<const mapping::JqProgram>, std::string> JqCache::get(
    const std::string& source) {
  {
    std::lock_guard lock(mutex_);
    if (auto it = programs_.find(source); it != programs_.end()) return it->second;
  }
  auto compiled = mapping::JqProgram::compile(source);
  if (!compiled) {
    std::string message = "jq does not compile";
    if (!compiled.error().empty()) message += ": " + compiled.error().front().message;
    return fail(message);
  }
  auto program = std::make_shared<const mapping::JqProgram>(std::move(*compiled));
  std::lock_guard lock(mutex_);
  return programs_.emplace(source, std::move(program)).first->second;
}

template <class Input>
Result<std::vector<nlohmann::json>, std::string> JqCache::run_on(const std::string& source,
                                                                 const Input& input) {
  auto program = get(source);
  if (!program) return fail(program.error());
  auto out = (*program)->run(input);
  if (!out) return fail(out.error().message);
  return std::move(*out);
}

Result<std::vector<nlohmann::json>, std::string> JqCache::run(const std::string& source,
                                                              const nlohmann::json& input) {
  return run_on(source, input);
}

Result<std::vector<nlohmann::json>, std::string> JqCache::run(const std::string& source,
                                                              const mapping::JqValue& input) {
  return run_on(source, input);
}

}  // namespace weft::engine
