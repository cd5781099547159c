#include "engine/workflow_catalog.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>
#include <utility>

#include "engine/definition_parser.hpp"

namespace weft::engine {

namespace fs = std::filesystem;

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
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return fail(DefinitionErrors{config::ConfigError{
        Location{path, 0}, std::string("cannot read: ") + std::strerror(errno)}});
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    return fail(DefinitionErrors{config::ConfigError{Location{path, 0}, "cannot read the file"}});
  }
  return load_definition(text.str(), path, options);
}

Result<WorkflowCatalog, DefinitionErrors> WorkflowCatalog::load(const std::string& dir,
                                                                const ValidationOptions& options) {
  std::error_code ec;
  const fs::file_status status = fs::status(dir, ec);
  std::string problem;
  if (status.type() == fs::file_type::not_found) {
    problem = "the workflows folder does not exist";
  } else if (ec) {
    problem = "cannot read the workflows folder: " + ec.message();
  } else if (!fs::is_directory(status)) {
    problem = "the workflows folder is not a folder";
  }
  if (!problem.empty())
    return fail(DefinitionErrors{config::ConfigError{Location{dir, 0}, problem}});
  std::vector<fs::path> files;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const fs::path& path = it->path();
    const std::string ext = path.extension().string();
    std::error_code type_ec;
    if ((ext == ".yaml" || ext == ".yml") && it->is_regular_file(type_ec)) files.push_back(path);
  }
  if (ec) {
    return fail(DefinitionErrors{config::ConfigError{
        Location{dir, 0}, "cannot list the workflows folder: " + ec.message()}});
  }
  std::sort(files.begin(), files.end());

  WorkflowCatalog catalog;
  DefinitionErrors errors;
  for (const fs::path& file : files) {
    auto loaded = load_definition_file(file.string(), options);
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
    if (definition->trigger.event == event_type) out.push_back(definition);
  }
  return out;
}

std::size_t WorkflowCatalog::size() const {
  std::size_t count = 0;
  for (const auto& [name, versions] : workflows_) count += versions.size();
  return count;
}

}  // namespace weft::engine
