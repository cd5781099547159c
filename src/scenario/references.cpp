// {{<operation id>#<JSON pointer>}}: how a planned input names what an earlier operation got
// back from its platform (scenario_plan.hpp).

#include "scenario/scenario_plan.hpp"

namespace weft::scenario {

using nlohmann::json;

namespace {

constexpr std::string_view kOpen = "{{", kClose = "}}";

Result<json, std::string> lookup(std::string_view ref, const std::map<std::string, json>& outputs) {
  const auto hash = ref.find('#');
  if (hash == std::string_view::npos) return fail("reference {{" + std::string(ref) + "}} has no '#<pointer>'");
  const std::string id(ref.substr(0, hash));
  const auto output = outputs.find(id);
  if (output == outputs.end()) return fail("reference {{" + std::string(ref) + "}}: no output of operation " + id);
  try {
    const json::json_pointer pointer{std::string(ref.substr(hash + 1))};
    if (!output->second.contains(pointer) || output->second.at(pointer).is_null()) {
      return fail("reference {{" + std::string(ref) + "}}: operation " + id + "'s output has nothing there");
    }
    return output->second.at(pointer);
  } catch (const json::exception& e) {
    return fail("reference {{" + std::string(ref) + "}}: " + e.what());
  }
}

Result<json, std::string> resolve_string(const std::string& text, const std::map<std::string, json>& outputs) {
  const auto first = text.find(kOpen);
  if (first == std::string::npos) return json(text);
  // Exactly one reference: its value, with its type.
  if (first == 0 && text.size() > 4 && text.ends_with(kClose) && text.find(kOpen, 2) == std::string::npos) {
    return lookup(std::string_view(text).substr(2, text.size() - 4), outputs);
  }
  std::string out;
  std::size_t at = 0;
  for (auto open = first; open != std::string::npos; open = text.find(kOpen, at)) {
    const auto close = text.find(kClose, open + 2);
    if (close == std::string::npos) return fail("unclosed reference in \"" + text + "\"");
    out.append(text, at, open - at);
    auto value = lookup(std::string_view(text).substr(open + 2, close - open - 2), outputs);
    if (!value) return fail(value.error());
    out += value->is_string() ? value->get<std::string>() : value->dump();
    at = close + 2;
  }
  out.append(text, at);
  return json(out);
}

}  // namespace

std::string reference(const std::string& operation_id, const std::string& pointer) {
  return std::string(kOpen) + operation_id + "#" + pointer + std::string(kClose);
}

Result<json, std::string> resolve_references(const json& input, const std::map<std::string, json>& outputs) {
  if (input.is_string()) return resolve_string(input.get<std::string>(), outputs);
  if (!input.is_structured()) return input;
  json out = input.is_object() ? json::object() : json::array();
  for (auto it = input.begin(); it != input.end(); ++it) {
    auto value = resolve_references(it.value(), outputs);
    if (!value) return fail(value.error());
    if (input.is_object()) {
      out[it.key()] = std::move(value).value();
    } else {
      out.push_back(std::move(value).value());
    }
  }
  return out;
}

}  // namespace weft::scenario
