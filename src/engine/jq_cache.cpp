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

Result<std::vector<nlohmann::json>, std::string> JqCache::run(const std::string& source,
                                                              const nlohmann::json& input) {
  auto program = get(source);
  if (!program) return fail(program.error());
  auto out = (*program)->run(input);
  if (!out) return fail(out.error().message);
  return std::move(*out);
}

Result<nlohmann::json, std::string> JqCache::first(const std::string& source,
                                                   const nlohmann::json& input) {
  auto out = run(source, input);
  if (!out) return fail(out.error());
  if (out->empty()) return nlohmann::json();
  return std::move(out->front());
}

Result<bool, std::string> JqCache::test(const std::string& source, const nlohmann::json& input) {
  auto out = first(source, input);
  if (!out) return fail(out.error());
  return !(out->is_null() || (out->is_boolean() && !out->get<bool>()));
}

}  // namespace weft::engine
