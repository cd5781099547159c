#pragma once
// The workflows of the folder the config names (workflows_dir): every *.yaml (and *.yml)
// file in it, one workflow per file, parsed and validated. Several versions of one workflow
// coexist, each in its own file: an instance runs to the end on the version it started with
// (find), while new instances start on the highest version (latest, triggered_by).
//
// A catalog is immutable once loaded and safe to read from any thread. Reloading builds a new
// catalog; swap it in whole (e.g. behind a shared_ptr<const WorkflowCatalog>). Pointers it
// hands out live as long as the catalog.

#include <cstddef>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "engine/definition.hpp"
#include "engine/definition_validator.hpp"
#include "weft/result.hpp"

namespace weft::engine {

using DefinitionErrors = std::vector<config::ConfigError>;

// Parses and validates one definition; every error of both stages, in document order.
Result<WorkflowDefinition, DefinitionErrors> load_definition(const std::string& text,
                                                             const std::string& file,
                                                             const ValidationOptions& options);
Result<WorkflowDefinition, DefinitionErrors> load_definition_file(const std::string& path,
                                                                  const ValidationOptions& options);

class WorkflowCatalog {
 public:
  // Every workflow file directly in `dir` (sub-folders are not read), in file name order.
  // Fails with every error of every file, including a (name, version) defined twice.
  static Result<WorkflowCatalog, DefinitionErrors> load(const std::string& dir,
                                                        const ValidationOptions& options);

  // Adds a definition that has been validated; a (name, version) already present is an error
  // located at the newcomer's name, naming the other's file and line.
  Result<void, config::ConfigError> add(WorkflowDefinition definition);

  const WorkflowDefinition* find(std::string_view name, int version) const;
  // The highest version of `name`; nullptr when there is none.
  const WorkflowDefinition* latest(std::string_view name) const;
  // The versions of `name`, ascending.
  std::vector<int> versions(std::string_view name) const;
  // The latest version of every workflow, by name.
  std::vector<const WorkflowDefinition*> latest_all() const;
  // The latest versions whose trigger is this canonical event type (their filters still
  // decide whether an event starts an instance).
  std::vector<const WorkflowDefinition*> triggered_by(std::string_view event_type) const;

  // Whether any loaded definition (any version: old instances still run) has a `wait` for
  // canonical events of this type. Lets the engine skip looking for waiting instances.
  bool awaited(std::string_view event_type) const;

  std::size_t size() const;  // definitions, all versions counted
  bool empty() const { return workflows_.empty(); }

 private:
  // name → version → definition; std::map keeps "latest" at rbegin() and pointers stable.
  std::map<std::string, std::map<int, WorkflowDefinition>, std::less<>> workflows_;
  std::set<std::string, std::less<>> awaited_;  // event types some wait step waits for
};

}  // namespace weft::engine
