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
// A state read back from its stored text (every run of an instance starts so) keeps each
// member's text as it is and has simdjson build the libjq form from the text; the nlohmann
// tree, which only approvals and event waits read, is built when first asked for. Parsing the
// state into that tree, printing its trigger event again and freeing the tree were a third of
// the engine's CPU in the engine benchmark.
//
// Not thread-safe; one instance run's, on one thread at a time (mapping::JqValue).

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "mapping/jq_program.hpp"
#include "weft/result.hpp"

namespace weft::engine {

class StateDocument {
 public:
  StateDocument() = default;
  // `object` must be a JSON object (std::logic_error otherwise).
  explicit StateDocument(nlohmann::json object);
  // A state from its persisted text; the error says why the text is not a JSON object.
  static Result<StateDocument, std::string> from_text(std::string_view text);

  // The state as nlohmann JSON (built on first use when read from text).
  const nlohmann::json& value() const;
  // Sets (adds or replaces) one member.
  void set(const std::string& member, nlohmann::json value);

  // The text of the whole object: exactly what value().dump() gives (compact, members in key
  // order, invalid UTF-8 replaced), from each member's kept text.
  std::string text() const;
  // The object as libjq holds it, for a jq program to run on.
  const mapping::JqValue& for_jq() const;

 private:
  // Every member's text, in key order as an object prints its members.
  std::map<std::string, std::string, std::less<>> member_texts_;
  mutable std::optional<nlohmann::json> value_;  // built on first use
  mutable std::optional<mapping::JqValue> jq_;   // converted once
};

// How the engine prints a JSON value it persists (compact, invalid UTF-8 replaced).
std::string persisted_text(const nlohmann::json& value);

}  // namespace weft::engine
