#pragma once
// Checks what the parser cannot see in one value: the definition as a whole (unique step ids,
// milestones that SLAs name, decide branch order, steps that can never run, state keys that
// parallel branches would race on, waits longer than the deadline) and the world around it
// (configured connectors, their platforms' actions, canonical event types, jq syntax).
//
// Each outside check runs only when its hook is given (jq's is given by default), so the DSL
// can be checked alone (unit tests, an editor) and fully by `weft check`. Thread-safe if the
// hooks are.

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "engine/definition.hpp"

namespace weft::engine {

// jq's compile errors for `program` (libjq, through mapping::JqProgram), joined into one
// message; nullopt when it compiles.
std::optional<std::string> jq_compile_error(const std::string& program);

struct ValidationOptions {
  // Configured connectors, name → platform type (stripe, zendesk, ...). nullopt: connector
  // names are not checked.
  std::optional<std::map<std::string, std::string, std::less<>>> connectors;
  // Whether a platform type has an action; consulted only for connectors found above.
  std::function<bool(std::string_view type, std::string_view action)> action_known;
  // Compiles a jq program and returns jq's error message, nullopt when it compiles. Real jq
  // by default; set it empty to skip jq (a test of something else, an editor's quick pass).
  std::function<std::optional<std::string>(const std::string& program)> jq_error = jq_compile_error;
  // Whether a canonical event type exists (trigger.event, wait event types).
  std::function<bool(std::string_view type)> event_known;
};

// The connectors of a loaded config, and real jq; the action and event catalogues are left to
// the caller.
ValidationOptions validation_options(const config::Config& config);

// Every problem found, in document order; empty when the definition is valid. Fields the
// parser already reported as bad (left empty) are skipped rather than reported twice.
std::vector<config::ConfigError> validate_definition(const WorkflowDefinition& definition,
                                                     const ValidationOptions& options);

}  // namespace weft::engine
