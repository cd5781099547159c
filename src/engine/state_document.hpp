#pragma once
// StateDocument: a workflow instance's state, the JSON object its steps read (a `with`, a
// `when`) and add to one member at a time (a call's output, a wait's outcome).
//
// Every step's jq program reads the whole state, and every transition persists it as text. Both
// used to convert the whole document each time, which grows with every step's output: converting
// the state for libjq and printing it were a fifth of the engine's CPU (engine benchmark). Here
// each member is printed once and kept as text until it changes, and the libjq form is converted
// once and then changed member by member.
//
// Not thread-safe; one instance run's, on one thread at a time (mapping::JqValue).

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "mapping/jq_program.hpp"

namespace weft::engine {

class StateDocument {
 public:
  StateDocument() = default;
  // `object` must be a JSON object (std::logic_error otherwise).
  explicit StateDocument(nlohmann::json object);

  const nlohmann::json& value() const { return value_; }
  // Sets (adds or replaces) one member.
  void set(const std::string& member, nlohmann::json value);

  // The text of the whole object: exactly what value().dump() gives (compact, members in key
  // order, invalid UTF-8 replaced), from each member's kept text.
  std::string text() const;
  // The object as libjq holds it, for a jq program to run on.
  const mapping::JqValue& for_jq() const;

 private:
  nlohmann::json value_ = nlohmann::json::object();
  mutable std::map<std::string, std::string, std::less<>> member_texts_;  // printed so far
  mutable std::optional<mapping::JqValue> jq_;                            // converted once
};

// How the engine prints a JSON value it persists (compact, invalid UTF-8 replaced).
std::string persisted_text(const nlohmann::json& value);

}  // namespace weft::engine
