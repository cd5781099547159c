// libjq ownership rule, which every line here follows: each jv passed to a jv_* or jq_*
// function is consumed (its reference released), except by jv_copy, jv_get_kind and the
// getters jv_string_value / jv_number_value; each jv returned is owned by the caller and must
// be passed on or jv_free'd exactly once.

#include "mapping/jq_program.hpp"

#include <algorithm>
#include <charconv>
#include <climits>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <utility>

#include "mapping/jv_values.hpp"

namespace weft::mapping {

const char* to_string(JqErrc code) {
  switch (code) {
    case JqErrc::bad_input:
      return "bad_input";
    case JqErrc::runtime:
      return "runtime";
    case JqErrc::too_many_outputs:
      return "too_many_outputs";
    case JqErrc::internal:
      return "internal";
  }
  return "unknown";
}

namespace {

// Text of a message jq hands over; consumes `msg`. Non-string messages (`error({...})`) are
// shown as JSON; no message at all (null) as "".
std::string message_text(jv msg) {
  if (jv_get_kind(msg) == JV_KIND_NULL || jv_get_kind(msg) == JV_KIND_INVALID) {
    jv_free(msg);
    return {};
  }
  if (jv_get_kind(msg) == JV_KIND_STRING) {
    std::string text(jv_string_value(msg),
                     static_cast<std::size_t>(jv_string_length_bytes(jv_copy(msg))));
    jv_free(msg);
    return text;
  }
  jv dumped = jv_dump_string(msg, 0);
  std::string text = jv_string_value(dumped);
  jv_free(dumped);
  return text;
}

// A jq_state plus the messages its error callback collected; the callback keeps a pointer
// to this object, so it lives at a fixed address (always held by unique_ptr).
struct JqState {
  jq_state* jq = nullptr;
  std::vector<std::string> messages;
  // Halted by `halt` or `halt_error`: libjq 1.6 frees a halt's exit code and message at every
  // reset without forgetting them, so such a state reset twice (a next run, then the teardown,
  // which resets too) frees them twice. It is torn down at once instead of kept.
  bool halted = false;

  JqState() = default;
  JqState(const JqState&) = delete;
  JqState& operator=(const JqState&) = delete;
  ~JqState() {
    if (jq != nullptr) jq_teardown(&jq);
  }
};
using JqStatePtr = std::unique_ptr<JqState>;

// Called by libjq (C code): must not throw. Without it jq prints to stderr.
void collect_message(void* data, jv msg) {
  try {
    static_cast<JqState*>(data)->messages.push_back(message_text(msg));
  } catch (...) {
    // Out of memory while recording a diagnostic: the compile still fails, with a
    // generic message.
  }
}

// jq 1.6 reports a compile error as
//   "jq: error: MESSAGE (Unix shell quoting issues?) at <top-level>, line N:\nSOURCE LINE"
// followed by a summary "jq: N compile error(s)", which carries nothing new.
std::optional<JqDiagnostic> parse_diagnostic(std::string_view text) {
  constexpr std::string_view kSummary = "jq: ";
  constexpr std::string_view kPrefix = "jq: error: ";
  constexpr std::string_view kAt = " at <top-level>, line ";
  constexpr std::string_view kShellHint = " (Unix shell quoting issues?)";
  if (!text.starts_with(kPrefix)) {
    if (text.starts_with(kSummary) && text.find("compile error") != std::string_view::npos) {
      return std::nullopt;
    }
  } else {
    text.remove_prefix(kPrefix.size());
  }
  JqDiagnostic diagnostic;
  std::string_view message = text.substr(0, text.find('\n'));
  if (const std::size_t at = text.find(kAt); at != std::string_view::npos) {
    message = text.substr(0, at);
    const std::string_view rest = text.substr(at + kAt.size());
    int line = 0;
    const auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), line);
    if (ec == std::errc() && end != rest.data()) diagnostic.line = line;
  }
  if (message.ends_with(kShellHint)) message.remove_suffix(kShellHint.size());
  diagnostic.message = std::string(message);
  return diagnostic;
}

Result<JqStatePtr, std::vector<JqDiagnostic>> compile_state(const std::string& source) {
  auto state = std::make_unique<JqState>();
  state->jq = jq_init();
  if (state->jq == nullptr) {
    return fail(std::vector<JqDiagnostic>{{0, "libjq could not allocate a jq_state"}});
  }
  jq_set_error_cb(state->jq, collect_message, state.get());
  if (jq_compile(state->jq, source.c_str()) == 0) {
    std::vector<JqDiagnostic> diagnostics;
    for (const auto& text : state->messages) {
      if (auto diagnostic = parse_diagnostic(text)) diagnostics.push_back(std::move(*diagnostic));
    }
    if (diagnostics.empty()) diagnostics.push_back({0, "jq program does not compile"});
    return fail(std::move(diagnostics));
  }
  state->messages.clear();
  return state;
}

// Oniguruma (jq's regex engine) initialises itself lazily, without a lock, on the first
// regex compiled in the process. Doing that once here, before any program can run on two
// threads, removes the race.
void initialise_regex_engine() {
  static std::once_flag once;
  std::call_once(once, [] {
    auto state = compile_state(R"("a" | test("a"))");
    if (!state) return;
    jq_start((*state)->jq, jv_null(), 0);
    for (jv out = jq_next((*state)->jq);; out = jq_next((*state)->jq)) {
      const bool valid = jv_is_valid(out);
      jv_free(out);
      if (!valid) break;
    }
  });
}

}  // namespace

struct JqProgram::Impl {
  std::string source;
  JqLimits limits;
  std::mutex mutex;
  std::condition_variable returned;
  std::vector<JqStatePtr> idle;  // guarded by mutex
  std::size_t states = 0;        // idle or running; guarded by mutex

  // Runs the program on `input`, which this consumes.
  Result<std::vector<nlohmann::json>, JqError> run(jv input);

  // A state to run on: an idle one, else a fresh compile while under the cap, else the
  // next one another run gives back.
  Result<JqStatePtr, JqError> acquire() {
    {
      std::unique_lock lock(mutex);
      returned.wait(lock, [&] { return !idle.empty() || states < limits.max_states; });
      if (!idle.empty()) {
        JqStatePtr state = std::move(idle.back());
        idle.pop_back();
        return state;
      }
      ++states;  // reserved; compiled below without holding the lock
    }
    auto state = compile_state(source);
    if (!state) {
      {
        std::lock_guard lock(mutex);
        --states;
      }
      returned.notify_one();
      return fail(JqError{JqErrc::internal,
                          "recompiling a jq program failed: " + state.error().front().message});
    }
    return std::move(state).value();
  }

  struct Returner {
    Impl* impl;
    void operator()(JqState* state) const { impl->release(JqStatePtr(state)); }
  };

  void release(JqStatePtr state) {
    state->messages.clear();
    {
      std::lock_guard lock(mutex);
      if (!state->halted && idle.size() < limits.max_idle_states) {
        idle.push_back(std::move(state));
      } else {
        --states;
      }
    }
    returned.notify_one();
    // A state not kept is torn down here, outside the lock.
  }
};

JqProgram::JqProgram(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
JqProgram::JqProgram(JqProgram&&) noexcept = default;
JqProgram& JqProgram::operator=(JqProgram&&) noexcept = default;
JqProgram::~JqProgram() = default;

Result<JqProgram, std::vector<JqDiagnostic>> JqProgram::compile(std::string_view source,
                                                                JqLimits limits) {
  initialise_regex_engine();
  auto impl = std::make_unique<Impl>();
  impl->source = std::string(source);
  impl->limits = limits;
  impl->limits.max_states = std::max<std::size_t>(limits.max_states, 1);
  // release() runs in a deleter and must not allocate: room for every state it may keep.
  impl->idle.reserve(std::min(impl->limits.max_idle_states, impl->limits.max_states));
  auto state = compile_state(impl->source);
  if (!state) return fail(std::move(state).error());
  if (impl->limits.max_idle_states > 0) {
    impl->idle.push_back(std::move(state).value());
    impl->states = 1;
  }
  return JqProgram(std::move(impl));
}

const std::string& JqProgram::source() const { return impl_->source; }

// A moved-from JqValue has no box and holds null.
struct JqValue::Box {
  jv value;
};

namespace {
jv held(const std::unique_ptr<JqValue::Box>& box) { return box ? box->value : jv_null(); }
}  // namespace

JqValue::JqValue() : box_(std::make_unique<Box>(Box{jv_null()})) {}
JqValue::JqValue(const nlohmann::json& value) : box_(std::make_unique<Box>(Box{to_jv(value)})) {}
Result<JqValue, std::string> JqValue::parse(std::string_view text) {
  jv parsed = parse_jv(text);
  if (!jv_is_valid(parsed)) {
    jv message = jv_invalid_get_msg(parsed);
    std::string error =
        jv_get_kind(message) == JV_KIND_STRING ? jv_string_value(message) : "not a JSON document";
    jv_free(message);
    return fail(std::move(error));
  }
  JqValue value;
  jv_free(value.box_->value);
  value.box_->value = parsed;
  return value;
}

bool JqValue::is_object() const { return jv_get_kind(held(box_)) == JV_KIND_OBJECT; }

JqValue::JqValue(const JqValue& other)
    : box_(std::make_unique<Box>(Box{jv_copy(held(other.box_))})) {}
JqValue::JqValue(JqValue&& other) noexcept = default;
JqValue& JqValue::operator=(const JqValue& other) {
  if (this != &other) *this = JqValue(other);
  return *this;
}
JqValue& JqValue::operator=(JqValue&& other) noexcept {
  std::swap(box_, other.box_);
  return *this;
}
JqValue::~JqValue() {
  if (box_) jv_free(box_->value);
}

void JqValue::set(std::string_view member, const nlohmann::json& value) {
  if (!box_ || jv_get_kind(box_->value) != JV_KIND_OBJECT) {
    throw std::logic_error("JqValue::set on a value that is not an object");
  }
  // In place while this holds the only reference; otherwise libjq copies the object's slots
  // (each member shared) before changing one.
  jv converted = to_jv(value);
  jv key = jv_string_sized(member.data(), static_cast<int>(member.size()));
  box_->value = jv_object_set(box_->value, key, converted);
}

int JqValue::holders() const { return jv_get_refcnt(held(box_)); }

Result<std::vector<nlohmann::json>, JqError> JqProgram::run(const JqValue& input) const {
  return impl_->run(jv_copy(held(input.box_)));
}

Result<std::vector<nlohmann::json>, JqError> JqProgram::run(const nlohmann::json& input) const {
  return impl_->run(to_jv(input));
}

Result<std::vector<nlohmann::json>, JqError> JqProgram::run_text(
    std::string_view input_json) const {
  jv input = parse_jv(input_json);
  if (!jv_is_valid(input)) {
    const std::string why = message_text(jv_invalid_get_msg(input));
    return fail(JqError{JqErrc::bad_input, "input is not JSON" + (why.empty() ? "" : ": " + why)});
  }
  return impl_->run(input);
}

Result<std::vector<nlohmann::json>, JqError> JqProgram::Impl::run(jv input) {
  auto acquired = acquire();
  if (!acquired) {
    jv_free(input);
    return fail(std::move(acquired).error());
  }
  // Gives the state back however this function leaves, exceptions included.
  const std::unique_ptr<JqState, Returner> state(std::move(acquired).value().release(), Returner{this});
  jq_state* jq = state->jq;

  // jq_start resets whatever a previous run left behind, including one stopped early.
  jq_start(jq, input, 0);
  std::vector<nlohmann::json> outputs;
  std::optional<JqError> error;
  for (;;) {
    jv out = jq_next(jq);
    if (jv_is_valid(out)) {
      if (outputs.size() >= limits.max_outputs) {
        jv_free(out);
        error = JqError{JqErrc::too_many_outputs,
                        "program produced more than " + std::to_string(limits.max_outputs) + " outputs"};
        break;
      }
      outputs.push_back(from_jv(out));
      continue;
    }
    // Invalid: the end of the outputs, an uncaught error, or halt/halt_error.
    if (jq_halted(jq) != 0) {
      state->halted = true;
      jv_free(out);
      // `halt` stops cleanly (no exit code); `halt_error` sets one, 5 unless given.
      jv exit_code = jq_get_exit_code(jq);
      const bool failed =
          jv_get_kind(exit_code) == JV_KIND_NUMBER && jv_number_value(exit_code) != 0;
      jv_free(exit_code);
      std::string text = message_text(jq_get_error_message(jq));
      if (failed) {
        while (!text.empty() && text.back() == '\n') text.pop_back();
        error = JqError{JqErrc::runtime, "halt_error: " + text};
      }
    } else if (jv_invalid_has_msg(jv_copy(out)) != 0) {
      error = JqError{JqErrc::runtime, message_text(jv_invalid_get_msg(out))};
    } else {
      jv_free(out);
    }
    break;
  }
  // What the run still holds of its input (a run stopped early leaves its stack as it was) is
  // released here, on this thread: the input may be shared with the caller's JqValue, whose
  // references libjq counts without atomics, and the state may run next on another thread. A
  // halted state lets go of it when it is torn down, here too (release()).
  if (!state->halted) jq_start(jq, jv_null(), 0);
  if (error) return fail(std::move(*error));
  return outputs;
}

}  // namespace weft::mapping
