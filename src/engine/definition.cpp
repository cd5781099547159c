#include "engine/definition.hpp"

#include <algorithm>
#include <array>
#include <cstdint>

#include "core/text.hpp"

namespace weft::engine {

Result<Template, std::string> parse_template(std::string_view text, const Location& where) {
  Template out;
  out.source = std::string(text);
  std::string literal;
  std::size_t i = 0;
  while (i < text.size()) {
    const std::size_t open = text.find("{{", i);
    if (open == std::string_view::npos) {
      literal += text.substr(i);
      break;
    }
    literal += text.substr(i, open - i);
    const std::size_t close = text.find("}}", open + 2);
    if (close == std::string_view::npos) {
      return fail(std::string("has a '{{' without its '}}'"));
    }
    const std::string_view expr = trim_whitespace(text.substr(open + 2, close - open - 2));
    if (expr.empty()) return fail(std::string("has an empty '{{ }}'"));
    out.literals.push_back(std::move(literal));
    literal.clear();
    out.exprs.push_back(JqExpr{std::string(expr), where});
    i = close + 2;
  }
  out.literals.push_back(std::move(literal));
  return out;
}

std::string_view kind_name(const StepBody& body) {
  static constexpr std::array<std::string_view, std::variant_size_v<StepBody>> kNames{
      "call", "decide", "parallel", "wait", "fail"};
  return kNames[body.index()];
}

const Step* find_step(const WorkflowDefinition& definition, std::string_view id) {
  const Step* found = nullptr;
  for_each_step(definition.steps, [&](const Step& step) {
    if (found == nullptr && step.id == id) found = &step;
  });
  return found;
}

}  // namespace weft::engine
