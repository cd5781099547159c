#pragma once
// Reads one workflow file into a WorkflowDefinition. The parser checks everything that one
// value or one mapping shows on its own: the YAML's shape, known keys (with "did you mean"),
// exactly one kind per step, names, numbers, durations and their ranges. What needs the whole
// definition or the outside world (unique ids, milestones, connectors, jq) is
// definition_validator's job; workflow_catalog's load_definition runs both.
//
// Stateless and thread-safe.

#include <string>
#include <vector>

#include "config/config.hpp"
#include "engine/definition.hpp"

namespace weft::engine {

struct ParsedDefinition {
  // What could be read. With errors it is partial (a bad value keeps its default), which is
  // still enough for the validator to find the file's other mistakes in the same run.
  WorkflowDefinition definition;
  std::vector<config::ConfigError> errors;  // in document order
};

// `file` names the text in every Location and error.
ParsedDefinition parse_definition(const std::string& text, const std::string& file);

}  // namespace weft::engine
