#include "engine/workflow_catalog.hpp"

#include <algorithm>
#include <utility>

#include "config/source_files.hpp"
#include "engine/definition_parser.hpp"

namespace weft::engine {


Result<WorkflowDefinition, DefinitionErrors> load_definition(const std::string& text,
                                                             const std::string& file,
                                                             const ValidationOptions& options) {
  ParsedDefinition parsed = parse_definition(text, file);
  // The validator runs on a partial definition too, so one `weft check` shows the semantic
  // mistakes alongside the syntactic ones.
  DefinitionErrors errors = std::move(parsed.errors);
  DefinitionErrors semantic = validate_definition(parsed.definition, options);
  errors.insert(errors.end(), std::make_move_iterator(semantic.begin()),
                std::make_move_iterator(semantic.end()));
  if (!errors.empty()) {
    std::stable_sort(errors.begin(), errors.end(),
                     [](const auto& a, const auto& b) { return a.where.line < b.where.line; });
    return fail(std::move(errors));
  }
  return std::move(parsed.definition);
}

Result<WorkflowDefinition, DefinitionErrors> load_definition_file(
    const std::string& path, const ValidationOptions& options) {
  auto text = config::read_text_file(path);
  if (!text) return fail(DefinitionErrors{config::ConfigError{Location{path, 0}, text.error()}});
  return load_definition(*text, path, options);
}

Result<WorkflowCatalog, DefinitionErrors> WorkflowCatalog::load(const std::string& dir,
                                                                const ValidationOptions& options) {
  auto files = config::read_source_files(dir, "workflows", {".yaml", ".yml"});
  if (!files) return fail(std::move(files).error());

  WorkflowCatalog catalog;
  DefinitionErrors errors;
  for (const config::SourceFile& file : *files) {
    auto loaded = load_definition(file.text, file.path, options);
    if (!loaded) {
      const DefinitionErrors& found = loaded.error();
      errors.insert(errors.end(), found.begin(), found.end());
      continue;
    }
    if (auto added = catalog.add(std::move(loaded).value()); !added) {
      errors.push_back(added.error());
    }
  }
  if (!errors.empty()) return fail(std::move(errors));
  return catalog;
}

Result<void, config::ConfigError> WorkflowCatalog::add(WorkflowDefinition definition) {
  auto& versions = workflows_[definition.name];
  const auto [it, inserted] = versions.try_emplace(definition.version);
  if (!inserted) {
    const Location& first = it->second.where;
    return fail(config::ConfigError{
        definition.where, "workflow '" + definition.name + "' version " +
                              std::to_string(definition.version) + " is already defined in " +
                              first.file + ":" + std::to_string(first.line) +
                              "; raise the version of the newer one"});
  }
  for_each_step(definition.steps, [this](const Step& step) {
    if (const auto* wait = step.as<WaitStep>()) {
      if (const auto* event = std::get_if<EventWait>(&wait->on)) awaited_.insert(event->type);
    }
  });
  it->second = std::move(definition);
  return {};
}

bool WorkflowCatalog::awaited(std::string_view event_type) const { return awaited_.count(event_type) != 0; }

const WorkflowDefinition* WorkflowCatalog::find(std::string_view name, int version) const {
  const auto by_name = workflows_.find(name);
  if (by_name == workflows_.end()) return nullptr;
  const auto by_version = by_name->second.find(version);
  return by_version == by_name->second.end() ? nullptr : &by_version->second;
}

const WorkflowDefinition* WorkflowCatalog::latest(std::string_view name) const {
  const auto by_name = workflows_.find(name);
  if (by_name == workflows_.end() || by_name->second.empty()) return nullptr;
  return &by_name->second.rbegin()->second;
}

std::vector<int> WorkflowCatalog::versions(std::string_view name) const {
  std::vector<int> out;
  const auto by_name = workflows_.find(name);
  if (by_name == workflows_.end()) return out;
  for (const auto& [version, definition] : by_name->second) out.push_back(version);
  return out;
}

std::vector<const WorkflowDefinition*> WorkflowCatalog::latest_all() const {
  std::vector<const WorkflowDefinition*> out;
  for (const auto& [name, versions] : workflows_) {
    if (!versions.empty()) out.push_back(&versions.rbegin()->second);
  }
  return out;
}

std::vector<const WorkflowDefinition*> WorkflowCatalog::triggered_by(
    std::string_view event_type) const {
  std::vector<const WorkflowDefinition*> out;
  for (const WorkflowDefinition* definition : latest_all()) {
    const auto& events = definition->trigger.events;
    if (std::find(events.begin(), events.end(), event_type) != events.end()) out.push_back(definition);
  }
  return out;
}

std::size_t WorkflowCatalog::size() const {
  std::size_t count = 0;
  for (const auto& [name, versions] : workflows_) count += versions.size();
  return count;
}

}  // namespace weft::engine
