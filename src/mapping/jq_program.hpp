#pragma once
// JqProgram: one compiled jq program (libjq 1.6), safe to run from many threads at once.
//
// A jq_state is not thread-safe and holds the compiled program, so a JqProgram keeps a small
// pool of identical states: a run borrows an idle one, or compiles another while fewer than
// `max_states` exist, or else waits for one to come back. States are kept for reuse because
// compiling one is slow (libjq 1.6 compiles its builtins each time: tens of milliseconds),
// while a run of a mapping-sized program takes microseconds.
//
// Values cross the libjq boundary as trees (jv_values.hpp: no JSON text in between, which cost
// more than the programs). Numbers follow jq's model: doubles, so integers beyond 2^53 lose
// precision.
//
// Not guarded: a program that never terminates (`repeat(.)`) blocks its caller. Programs
// come from the operator's mapping and workflow files, which `weft check` compiles.

#include <cstddef>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "weft/result.hpp"

namespace weft::mapping {

// One compile error. jq reports each with the line inside the program it started on.
struct JqDiagnostic {
  int line = 0;  // 1-based line in the program text; 0 when jq gives none
  std::string message;
};

enum class JqErrc {
  bad_input,         // the input is not one JSON value
  runtime,           // the program raised an error (error/1, a bad index, halt_error, ...)
  too_many_outputs,  // more outputs than JqLimits::max_outputs
  internal,          // libjq failed in a way a correct program cannot cause
};
const char* to_string(JqErrc code);
using JqError = Error<JqErrc>;

struct JqLimits {
  std::size_t max_outputs = 100;    // a run producing more fails with too_many_outputs
  std::size_t max_states = 8;       // compiled states per program, i.e. parallel runs; >= 1
  std::size_t max_idle_states = 8;  // kept between runs; 0 for a program compiled only to check
};

// A value held the way libjq holds it, for a document that many programs run on while only a
// part of it changes between runs (a workflow instance's state: each step reads all of it and
// adds one member). Converting the whole document for every run cost more than the runs; this is
// converted once and then changed member by member.
//
// libjq counts references without atomics: a JqValue, its copies and whatever a run made of it
// belong to one thread at a time (hand them over with the usual synchronisation). A run keeps
// no reference to its input once it returns (JqProgram::run).
class JqValue {
 public:
  JqValue();  // null
  explicit JqValue(const nlohmann::json& value);
  // A JSON document's text as libjq holds it, without an nlohmann tree in between (simdjson
  // reads it: mapping/jv_values.hpp); the error is jq's message when the text is not JSON.
  static Result<JqValue, std::string> parse(std::string_view text);
  // Whether it holds an object.
  bool is_object() const;
  JqValue(const JqValue& other);
  JqValue(JqValue&& other) noexcept;
  JqValue& operator=(const JqValue& other);
  JqValue& operator=(JqValue&& other) noexcept;
  ~JqValue();

  // Sets one member of an object (std::logic_error when this holds no object). The other
  // members are shared, not copied, with any copy made before.
  void set(std::string_view member, const nlohmann::json& value);
  // How many hold this value (libjq's reference count; 1 for a value libjq does not count,
  // such as null): 1 when nothing else does, so that set() changes it in place. For tests: no
  // run may keep a reference.
  int holders() const;

  struct Box;  // libjq's value; defined where libjq's header is included

 private:
  friend class JqProgram;
  std::unique_ptr<Box> box_;
};

class JqProgram {
 public:
  // Compiles `source`. On failure, every error jq reported.
  static Result<JqProgram, std::vector<JqDiagnostic>> compile(std::string_view source,
                                                              JqLimits limits = {});

  JqProgram(JqProgram&&) noexcept;
  JqProgram& operator=(JqProgram&&) noexcept;
  ~JqProgram();

  // Runs the program on one JSON document given as text; gives its outputs in order (none
  // when the program yields `empty`). Any thread, concurrently.
  Result<std::vector<nlohmann::json>, JqError> run_text(std::string_view input_json) const;
  // The same for a value already parsed.
  Result<std::vector<nlohmann::json>, JqError> run(const nlohmann::json& input) const;
  // The same for a value already converted for libjq: the run shares it, copies nothing.
  Result<std::vector<nlohmann::json>, JqError> run(const JqValue& input) const;

  const std::string& source() const;

 private:
  struct Impl;
  explicit JqProgram(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace weft::mapping
