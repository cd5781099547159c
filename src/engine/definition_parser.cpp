// The parser walks the YAML once and keeps going after a problem, so that one run of
// `weft check` lists every mistake in a file. Errors name the step by its id ("step 'enrich':
// ...") and sit on the line of the key to edit; a missing key is reported on the line of the
// mapping that lacks it.

#include "engine/definition_parser.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <utility>

#include "core/suggestion.hpp"

namespace weft::engine {

namespace {

using Keys = std::vector<std::string_view>;

const Keys kTopKeys{"name",     "version", "description", "trigger",
                    "deadline", "vars",    "slas",        "steps"};
const Keys kTriggerKeys{"event", "filter", "key"};
const Keys kSlaKeys{"name", "from", "to", "limit"};
const Keys kKinds{"call", "decide", "parallel", "wait", "fail"};
const Keys kCommonStepKeys{"id", "description", "milestone"};
const Keys kCallKeys{"with", "output", "retry", "compensate"};
const Keys kWaitStepKeys{"output"};
const Keys kRetryKeys{"max_attempts", "initial_delay", "multiplier",
                      "max_delay",    "jitter",        "deadline"};
const Keys kCompensateKeys{"call", "with", "retry"};
const Keys kDecideBranchKeys{"when", "otherwise", "milestone", "steps"};
const Keys kParallelBranchKeys{"name", "steps"};
const Keys kWaitKeys{"approval", "event", "timeout", "on_timeout"};
const Keys kApprovalKeys{"role", "title"};
const Keys kEventWaitKeys{"type", "key", "match"};
const Keys kJitters{"none", "full", "equal"};

// The keys a step of `kind` may have besides its kind key and the common ones.
const Keys& extra_keys(std::string_view kind) {
  static const Keys kNone;
  if (kind == "call") return kCallKeys;
  if (kind == "wait") return kWaitStepKeys;
  return kNone;
}

bool contains(const Keys& keys, std::string_view key) {
  return std::find(keys.begin(), keys.end(), key) != keys.end();
}

Keys all_step_keys() {
  Keys all = kCommonStepKeys;
  all.insert(all.end(), kKinds.begin(), kKinds.end());
  all.insert(all.end(), kCallKeys.begin(), kCallKeys.end());
  return all;
}

int line_of(const YAML::Node& node) {
  const YAML::Mark mark = node.Mark();
  return mark.line >= 0 ? mark.line + 1 : 0;
}

bool lower_or_digit(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

// Step ids, outputs, milestones: usable as `.name` in jq, hence the leading letter.
bool is_identifier(std::string_view s) {
  return !s.empty() && s.front() >= 'a' && s.front() <= 'z' &&
         std::all_of(s.begin(), s.end(), [](char c) { return lower_or_digit(c) || c == '_'; });
}

// Workflow, SLA and branch names, roles: what reads well in a URL or a metric label.
bool is_slug(std::string_view s) {
  return !s.empty() && lower_or_digit(s.front()) && std::all_of(s.begin(), s.end(), [](char c) {
    return lower_or_digit(c) || c == '-' || c == '_';
  });
}

bool is_workflow_name(std::string_view s) {
  return !s.empty() && lower_or_digit(s.front()) &&
         std::all_of(s.begin(), s.end(), [](char c) { return lower_or_digit(c) || c == '-'; });
}

// Canonical event types: "case.credit_requested", "credit_memo.posted".
bool is_event_type(std::string_view s) {
  std::size_t parts = 0;
  while (true) {
    const std::size_t dot = s.find('.');
    if (!is_identifier(s.substr(0, dot))) return false;
    ++parts;
    if (dot == std::string_view::npos) break;
    s.remove_prefix(dot + 1);
  }
  return parts >= 2;
}

// The name a user reaches `.vars.NAME` with.
bool is_var_name(std::string_view s) {
  auto word = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; };
  return !s.empty() && word(s.front()) &&
         std::all_of(s.begin(), s.end(), [&](char c) { return word(c) || (c >= '0' && c <= '9'); });
}

std::string got(const YAML::Node& value) {
  std::string raw = value.IsScalar() ? value.Scalar() : std::string();
  if (raw.size() > 60) raw = raw.substr(0, 57) + "...";
  return " (got '" + raw + "')";
}

// A YAML value as JSON, for `vars:`. Quoted scalars stay strings ("500" is text); plain ones
// are read as YAML would: numbers, true/false, null.
nlohmann::json to_json(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Sequence: {
      nlohmann::json out = nlohmann::json::array();
      for (const auto& item : node) out.push_back(to_json(item));
      return out;
    }
    case YAML::NodeType::Map: {
      nlohmann::json out = nlohmann::json::object();
      for (auto it = node.begin(); it != node.end(); ++it) {
        out[it->first.Scalar()] = to_json(it->second);
      }
      return out;
    }
    case YAML::NodeType::Scalar: {
      const std::string& s = node.Scalar();
      if (node.Tag() == "!") return s;
      if (s == "true" || s == "True" || s == "TRUE") return true;
      if (s == "false" || s == "False" || s == "FALSE") return false;
      if (s == "null" || s == "Null" || s == "NULL" || s == "~") return nullptr;
      const char* end = s.data() + s.size();
      std::int64_t integer = 0;
      if (auto [stop, ec] = std::from_chars(s.data(), end, integer);
          !s.empty() && ec == std::errc() && stop == end) {
        return integer;
      }
      double number = 0;
      if (auto [stop, ec] = std::from_chars(s.data(), end, number);
          !s.empty() && ec == std::errc() && stop == end && std::isfinite(number)) {
        return number;
      }
      return s;
    }
    default:
      return nullptr;
  }
}

// One key and its value, as met while walking a mapping.
struct Entry {
  std::string key;
  YAML::Node value;
  int line;
};

class Parser {
 public:
  explicit Parser(std::string file) : file_(std::move(file)) {}

  ParsedDefinition run(const std::string& document);

 private:
  Location at(int line) const { return Location{file_, line}; }
  void error(int line, const std::string& context, const std::string& message) {
    errors_.push_back(
        config::ConfigError{at(line), context.empty() ? message : context + ": " + message});
  }

  std::optional<std::vector<Entry>> mapping(const YAML::Node& node, int line,
                                            const std::string& context, const std::string& what);
  void unknown_key(const Entry& e, const std::string& context, const Keys& known);

  std::optional<std::string> text(const Entry& e, const std::string& context);
  std::optional<std::string> name(const Entry& e, const std::string& context,
                                  bool (*valid)(std::string_view), const char* rule);
  std::optional<JqExpr> jq(const Entry& e, const std::string& context);
  std::optional<Duration> duration(const Entry& e, const std::string& context);
  template <class T>
  std::optional<T> number(const Entry& e, const std::string& context, T min, T max);
  std::optional<ActionRef> action(const Entry& e, const std::string& context);

  void read_trigger(const Entry& e, Trigger& trigger);
  void read_trigger_events(const Entry& e, Trigger& trigger);
  void read_vars(const Entry& e, std::string& vars_json);
  std::vector<Sla> read_slas(const Entry& e);
  std::vector<Step> read_steps(const Entry& e, const std::string& context);
  std::optional<Step> read_step(const YAML::Node& node);
  CallStep read_call(const Entry& kind, const std::map<std::string, Entry>& extras,
                     const Step& step, const std::string& context);
  RetryPolicy read_retry(const Entry& e, const std::string& context);
  std::optional<Compensation> read_compensate(const Entry& e, const std::string& context);
  DecideStep read_decide(const Entry& e, const std::string& context);
  ParallelStep read_parallel(const Entry& e, const std::string& context);
  WaitStep read_wait(const Entry& e, const std::map<std::string, Entry>& extras, const Step& step,
                     const std::string& context);

  std::string file_;
  std::vector<config::ConfigError> errors_;
};

ParsedDefinition Parser::run(const std::string& document) {
  WorkflowDefinition definition;
  definition.where = at(1);
  std::vector<YAML::Node> documents;
  try {
    documents = YAML::LoadAll(document);
  } catch (const YAML::Exception& e) {
    error(e.mark.is_null() ? 0 : e.mark.line + 1, "", "invalid YAML: " + e.msg);
    return {std::move(definition), std::move(errors_)};
  }
  if (documents.empty() || documents.front().IsNull()) {
    error(0, "", "the file is empty; a workflow needs name, version, trigger and steps");
    return {std::move(definition), std::move(errors_)};
  }
  if (documents.size() > 1) {
    error(line_of(documents[1]), "", "one workflow per file: a second YAML document starts here");
  }
  const YAML::Node& root = documents.front();
  const auto entries = mapping(root, line_of(root), "", "a workflow file");
  if (!entries) return {std::move(definition), std::move(errors_)};

  std::map<std::string, int> seen;
  for (const Entry& e : *entries) {
    seen.emplace(e.key, e.line);
    if (e.key == "name") {
      definition.where = at(e.line);
      if (auto value = name(e, "", is_workflow_name, "lowercase letters, digits and '-'")) {
        definition.name = *value;
      }
    } else if (e.key == "version") {
      if (auto value = number<int>(e, "", 1, 1'000'000)) definition.version = *value;
    } else if (e.key == "description") {
      if (auto value = text(e, "")) definition.description = *value;
    } else if (e.key == "trigger") {
      read_trigger(e, definition.trigger);
    } else if (e.key == "deadline") {
      definition.deadline = duration(e, "");
      definition.deadline_where = at(e.line);
    } else if (e.key == "vars") {
      read_vars(e, definition.vars_json);
    } else if (e.key == "slas") {
      definition.slas = read_slas(e);
    } else if (e.key == "steps") {
      definition.steps = read_steps(e, "");
      if (e.value.IsSequence() && e.value.size() == 0) {
        error(e.line, "", "steps must hold at least one step");
      }
    } else {
      unknown_key(e, "", kTopKeys);
    }
  }
  const int top = line_of(root);
  if (!seen.contains("name")) error(top, "", "missing 'name' (lowercase letters, digits and '-')");
  if (!seen.contains("version")) {
    error(top, "", "missing 'version' (a positive integer, raised with each change)");
  }
  if (!seen.contains("trigger")) error(top, "", "missing 'trigger' (the event that starts it)");
  if (!seen.contains("steps")) error(top, "", "missing 'steps'");
  return {std::move(definition), std::move(errors_)};
}

// The mapping's entries in document order; keys that are not plain names, and repeated keys,
// are reported and left out. nullopt (reported) when `node` is not a mapping.
std::optional<std::vector<Entry>> Parser::mapping(const YAML::Node& node, int line,
                                                  const std::string& context,
                                                  const std::string& what) {
  if (!node.IsMap()) {
    error(line, context, what + " must be a mapping of keys to values");
    return std::nullopt;
  }
  std::vector<Entry> out;
  std::map<std::string, int> seen;
  for (auto it = node.begin(); it != node.end(); ++it) {
    const int key_line = line_of(it->first);
    if (!it->first.IsScalar()) {
      error(key_line, context, "keys must be plain names");
      continue;
    }
    const std::string key = it->first.Scalar();
    const auto [first, inserted] = seen.emplace(key, key_line);
    if (!inserted) {
      error(key_line, context,
            "duplicate key '" + key + "' (first at line " + std::to_string(first->second) + ")");
      continue;
    }
    out.push_back(Entry{key, it->second, key_line});
  }
  return out;
}

void Parser::unknown_key(const Entry& e, const std::string& context, const Keys& known) {
  error(e.line, context, "unknown key '" + e.key + "'" + did_you_mean(e.key, known));
}

std::optional<std::string> Parser::text(const Entry& e, const std::string& context) {
  if (e.value.IsNull()) {
    error(e.line, context, e.key + " needs a value");
    return std::nullopt;
  }
  if (!e.value.IsScalar()) {
    error(e.line, context,
          e.key + " must be a single value, not a " + (e.value.IsMap() ? "mapping" : "list"));
    return std::nullopt;
  }
  return e.value.Scalar();
}

std::optional<std::string> Parser::name(const Entry& e, const std::string& context,
                                        bool (*valid)(std::string_view), const char* rule) {
  auto value = text(e, context);
  if (!value) return std::nullopt;
  if (!valid(*value)) {
    error(e.line, context, e.key + " must be " + rule + got(e.value));
    return std::nullopt;
  }
  return value;
}

std::optional<JqExpr> Parser::jq(const Entry& e, const std::string& context) {
  if (e.value.IsMap() || e.value.IsSequence()) {
    // `with: {id: .x}` is a YAML mapping, not the jq object it looks like.
    error(e.line, context,
          e.key + " must be a jq program in a string; quote it, e.g. " + e.key +
              ": '{id: .event.payload.id}'");
    return std::nullopt;
  }
  auto value = text(e, context);
  if (!value) return std::nullopt;
  if (value->find_first_not_of(" \t\r\n") == std::string::npos) {
    error(e.line, context, e.key + " must be a jq program, not empty");
    return std::nullopt;
  }
  return JqExpr{std::move(*value), at(e.line)};
}

std::optional<Duration> Parser::duration(const Entry& e, const std::string& context) {
  auto value = text(e, context);
  if (!value) return std::nullopt;
  auto parsed = parse_duration(*value);
  if (!parsed) {
    error(e.line, context, e.key + " " + parsed.error() + got(e.value));
    return std::nullopt;
  }
  if (parsed->count() == 0) {
    error(e.line, context, e.key + " must be longer than 0" + got(e.value));
    return std::nullopt;
  }
  return *parsed;
}

template <class T>
std::optional<T> Parser::number(const Entry& e, const std::string& context, T min, T max) {
  auto value = text(e, context);
  if (!value) return std::nullopt;
  T out{};
  const char* end = value->data() + value->size();
  const auto [stop, ec] = std::from_chars(value->data(), end, out);
  const bool in_range = ec == std::errc() && stop == end && out >= min && out <= max;
  if (value->empty() || !in_range || (std::is_floating_point_v<T> && !std::isfinite(out))) {
    std::string range;
    if constexpr (std::is_integral_v<T>) {
      range = "an integer from " + std::to_string(min) + " to " + std::to_string(max);
    } else {
      range = "a number from " + std::to_string(static_cast<int>(min)) + " to " +
              std::to_string(static_cast<int>(max));
    }
    error(e.line, context, e.key + " must be " + range + got(e.value));
    return std::nullopt;
  }
  return out;
}

// "stripe.create_credit_note" → connector "stripe", action "create_credit_note".
std::optional<ActionRef> Parser::action(const Entry& e, const std::string& context) {
  auto value = text(e, context);
  if (!value) return std::nullopt;
  const std::size_t dot = value->find('.');
  const std::string connector = value->substr(0, dot);
  const std::string act = dot == std::string::npos ? "" : value->substr(dot + 1);
  const bool connector_ok =
      !connector.empty() && std::all_of(connector.begin(), connector.end(), [](char c) {
        return lower_or_digit(c) || c == '-' || c == '_';
      });
  if (dot == std::string::npos || !connector_ok || !is_identifier(act)) {
    error(e.line, context,
          e.key + " must be CONNECTOR.ACTION, e.g. stripe.create_credit_note" + got(e.value));
    return std::nullopt;
  }
  return ActionRef{connector, act, at(e.line)};
}

void Parser::read_trigger(const Entry& e, Trigger& trigger) {
  trigger.where = at(e.line);
  trigger.key = JqExpr{".business_key", at(e.line)};
  const std::string context = "trigger";
  if (e.value.IsScalar()) {  // `trigger: case.opened`, the short form
    trigger.event_where = at(e.line);
    read_trigger_events(Entry{"event", e.value, e.line}, trigger);
    return;
  }
  if (e.value.IsNull()) {
    error(e.line, "",
          "trigger needs the event that starts the workflow, e.g. trigger: case.opened");
    return;
  }
  const auto entries = mapping(e.value, e.line, "", "trigger");
  if (!entries) return;
  bool has_event = false;
  for (const Entry& entry : *entries) {
    if (entry.key == "event") {
      has_event = true;
      trigger.event_where = at(entry.line);
      read_trigger_events(entry, trigger);
    } else if (entry.key == "filter") {
      trigger.filter = jq(entry, context);
    } else if (entry.key == "key") {
      if (auto value = jq(entry, context)) trigger.key = *value;
    } else {
      unknown_key(entry, context, kTriggerKeys);
    }
  }
  if (!has_event) error(e.line, context, "missing 'event' (the canonical event type)");
}

// `event: invoice.issued`, or a list of types: `event: [invoice.issued, invoice.paid]`.
void Parser::read_trigger_events(const Entry& e, Trigger& trigger) {
  const std::string context = "trigger";
  const char* expected = "a canonical event type such as case.credit_requested";
  if (!e.value.IsSequence()) {
    if (auto value = name(e, context, is_event_type, expected)) trigger.events.push_back(*value);
    return;
  }
  if (e.value.size() == 0) error(e.line, context, "event lists no event type");
  for (const auto& item : e.value) {
    const int line = line_of(item) > 0 ? line_of(item) : e.line;
    auto value = name(Entry{"event", item, line}, context, is_event_type, expected);
    if (!value) continue;
    if (std::find(trigger.events.begin(), trigger.events.end(), *value) != trigger.events.end()) {
      error(line, context, "event type '" + *value + "' is listed twice");
    } else {
      trigger.events.push_back(*value);
    }
  }
}

void Parser::read_vars(const Entry& e, std::string& vars_json) {
  if (e.value.IsNull()) return;
  const auto entries = mapping(e.value, e.line, "", "vars");
  if (!entries) return;
  nlohmann::json vars = nlohmann::json::object();
  for (const Entry& entry : *entries) {
    if (!is_var_name(entry.key)) {
      error(entry.line, "vars",
            "'" + entry.key + "' must be a name jq can reach as .vars.NAME (letters, digits, '_')");
      continue;
    }
    vars[entry.key] = to_json(entry.value);
  }
  // Invalid UTF-8 in the file becomes U+FFFD rather than an exception.
  vars_json = vars.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::vector<Sla> Parser::read_slas(const Entry& e) {
  std::vector<Sla> out;
  if (e.value.IsNull()) return out;
  if (!e.value.IsSequence()) {
    error(e.line, "", "slas must be a list of {name, from, to, limit}");
    return out;
  }
  for (const YAML::Node& item : e.value) {
    const int line = line_of(item);
    Sla sla;
    sla.where = at(line);
    const auto entries = mapping(item, line, "", "each sla");
    if (!entries) continue;
    std::string context = "sla";
    for (const Entry& entry : *entries) {
      if (entry.key == "name" && entry.value.IsScalar())
        context = "sla '" + entry.value.Scalar() + "'";
    }
    std::map<std::string, int> seen;
    for (const Entry& entry : *entries) {
      seen.emplace(entry.key, entry.line);
      if (entry.key == "name") {
        sla.name =
            name(entry, context, is_slug, "lowercase letters, digits, '-' and '_'").value_or("");
      } else if (entry.key == "from") {
        sla.from = name(entry, context, is_identifier, "a milestone name").value_or("");
        sla.from_where = at(entry.line);
      } else if (entry.key == "to") {
        sla.to = name(entry, context, is_identifier, "a milestone name").value_or("");
        sla.to_where = at(entry.line);
      } else if (entry.key == "limit") {
        sla.limit = duration(entry, context).value_or(Duration{});
      } else {
        unknown_key(entry, context, kSlaKeys);
      }
    }
    for (std::string_view key : kSlaKeys) {
      if (!seen.contains(std::string(key))) {
        error(line, context, "missing '" + std::string(key) + "'");
      }
    }
    out.push_back(std::move(sla));
  }
  return out;
}

std::vector<Step> Parser::read_steps(const Entry& e, const std::string& context) {
  std::vector<Step> out;
  if (e.value.IsNull()) return out;
  if (!e.value.IsSequence()) {
    error(e.line, context, e.key + " must be a list of steps");
    return out;
  }
  for (const YAML::Node& item : e.value) {
    if (auto step = read_step(item)) out.push_back(std::move(*step));
  }
  return out;
}

std::optional<Step> Parser::read_step(const YAML::Node& node) {
  const int line = line_of(node);
  if (!node.IsMap()) {
    error(line, "",
          "each step must be a mapping with an id and one of call, decide, parallel, "
          "wait, fail");
    return std::nullopt;
  }
  const auto entries = mapping(node, line, "", "a step");
  if (!entries) return std::nullopt;
  Step step;
  step.where = at(line);

  std::string context = "step";
  const Entry* kind = nullptr;
  bool has_id = false;
  for (const Entry& e : *entries) {
    if (e.key == "id") {
      has_id = true;
      if (auto id = name(e, "step", is_identifier,
                         "lowercase letters, digits and '_', starting with a letter")) {
        step.id = *id;
        context = "step '" + step.id + "'";
      }
    }
  }
  if (!has_id) error(line, "step", "missing 'id' (unique in the workflow)");

  std::map<std::string, Entry> extras;
  bool kind_misspelt = false;
  for (const Entry& e : *entries) {
    if (contains(kKinds, e.key)) {
      if (kind == nullptr) {
        kind = &e;
      } else {
        error(e.line, context,
              "has both '" + kind->key + "' (line " + std::to_string(kind->line) + ") and '" +
                  e.key + "'; a step does one thing, so split it into two steps");
      }
    } else if (e.key == "id") {
    } else if (e.key == "description") {
      step.description = text(e, context).value_or("");
    } else if (e.key == "milestone") {
      step.milestone = name(e, context, is_identifier, "lowercase letters, digits and '_'");
      step.milestone_where = at(e.line);
    } else if (contains(kCallKeys, e.key) || contains(kWaitStepKeys, e.key)) {
      extras.emplace(e.key, e);
    } else {
      if (!did_you_mean(e.key, kKinds).empty()) kind_misspelt = true;
      error(e.line, context, "unknown key '" + e.key + "'" + did_you_mean(e.key, all_step_keys()));
    }
  }
  if (kind == nullptr) {
    // A misspelt kind ("cal:") has been reported as such; a second error would only repeat it.
    if (!kind_misspelt) {
      error(line, context, "needs one of call, decide, parallel, wait, fail (what the step does)");
    }
    return std::nullopt;
  }
  for (const auto& [key, e] : extras) {
    if (!contains(extra_keys(kind->key), key)) {
      const std::string owner = contains(kCallKeys, key) && !contains(kWaitStepKeys, key)
                                    ? "call steps"
                                    : "call and wait steps";
      error(e.line, context,
            "'" + key + "' applies only to " + owner + ", not to a " + kind->key + " step");
    }
  }

  if (kind->key == "call") {
    step.body = read_call(*kind, extras, step, context);
  } else if (kind->key == "decide") {
    step.body = read_decide(*kind, context);
  } else if (kind->key == "parallel") {
    step.body = read_parallel(*kind, context);
  } else if (kind->key == "wait") {
    step.body = read_wait(*kind, extras, step, context);
  } else {
    FailStep fail_step;
    if (auto reason = text(*kind, context)) {
      if (reason->empty()) {
        error(kind->line, context, "fail needs a reason (shown in the exception workbench)");
      }
      fail_step.reason = *reason;
    }
    step.body = std::move(fail_step);
  }
  return step;
}

CallStep Parser::read_call(const Entry& kind, const std::map<std::string, Entry>& extras,
                           const Step& step, const std::string& context) {
  CallStep call;
  if (auto ref = action(kind, context)) call.call = *ref;
  call.output = step.id;
  call.output_where = step.where;
  for (const auto& [key, e] : extras) {
    if (key == "with") {
      call.with = jq(e, context);
    } else if (key == "output") {
      call.output = name(e, context, is_identifier,
                         "a state key: lowercase letters, digits and '_', starting with a letter")
                        .value_or(step.id);
      call.output_where = at(e.line);
    } else if (key == "retry") {
      call.retry = read_retry(e, context);
      call.retry_where = at(e.line);
    } else if (key == "compensate") {
      call.compensate = read_compensate(e, context);
    }
  }
  return call;
}

RetryPolicy Parser::read_retry(const Entry& e, const std::string& context) {
  RetryPolicy retry;
  const std::string ctx = context + " retry";
  const auto entries = mapping(e.value, e.line, context, "retry");
  if (!entries) return retry;
  for (const Entry& entry : *entries) {
    if (entry.key == "max_attempts") {
      retry.max_attempts = number<int>(entry, ctx, 1, 100).value_or(retry.max_attempts);
    } else if (entry.key == "initial_delay") {
      retry.initial_delay = duration(entry, ctx).value_or(retry.initial_delay);
    } else if (entry.key == "multiplier") {
      retry.multiplier = number<double>(entry, ctx, 1.0, 10.0).value_or(retry.multiplier);
    } else if (entry.key == "max_delay") {
      retry.max_delay = duration(entry, ctx).value_or(retry.max_delay);
    } else if (entry.key == "deadline") {
      retry.deadline = duration(entry, ctx).value_or(retry.deadline);
    } else if (entry.key == "jitter") {
      if (auto value = text(entry, ctx)) {
        if (auto jitter = delivery::parse_jitter(*value)) {
          retry.jitter = *jitter;
        } else {
          error(entry.line, ctx,
                "jitter must be none, full or equal" + got(entry.value) +
                    did_you_mean(*value, kJitters));
        }
      }
    } else {
      unknown_key(entry, ctx, kRetryKeys);
    }
  }
  // Relations between fields (max_delay below initial_delay); each field's own range was
  // checked above, and a bad field kept its default, so this cannot repeat an error.
  if (auto problem = delivery::find_problem(retry)) {
    error(e.line, ctx,
          *problem + " (initial_delay " + format_duration(retry.initial_delay) + ", max_delay " +
              format_duration(retry.max_delay) + ")");
  }
  return retry;
}

std::optional<Compensation> Parser::read_compensate(const Entry& e, const std::string& context) {
  const std::string ctx = context + " compensate";
  const auto entries = mapping(e.value, e.line, context, "compensate");
  if (!entries) return std::nullopt;
  Compensation out;
  out.where = at(e.line);
  bool has_call = false;
  for (const Entry& entry : *entries) {
    if (entry.key == "call") {
      has_call = true;
      if (auto ref = action(entry, ctx)) out.call = *ref;
    } else if (entry.key == "with") {
      out.with = jq(entry, ctx);
    } else if (entry.key == "retry") {
      out.retry = read_retry(entry, ctx);
      out.retry_where = at(entry.line);
    } else {
      unknown_key(entry, ctx, kCompensateKeys);
    }
  }
  if (!has_call) error(e.line, ctx, "missing 'call' (the action that undoes the step)");
  return out;
}

DecideStep Parser::read_decide(const Entry& e, const std::string& context) {
  DecideStep decide;
  if (e.value.IsNull()) return decide;
  if (!e.value.IsSequence()) {
    error(e.line, context, "decide must be a list of branches (when: ... steps: ...)");
    return decide;
  }
  int index = 0;
  for (const YAML::Node& item : e.value) {
    const int line = line_of(item);
    const std::string ctx = context + " branch " + std::to_string(++index);
    const auto entries = mapping(item, line, ctx, "a branch");
    if (!entries) continue;
    DecideBranch branch;
    branch.where = at(line);
    bool has_otherwise = false;
    bool has_steps = false;
    for (const Entry& entry : *entries) {
      if (entry.key == "when") {
        branch.when = jq(entry, ctx);
        // A bad `when` (reported) must not make the branch look like `otherwise` to the
        // validator, which would then add a second, wrong error about branch order.
        if (!branch.when) branch.when = JqExpr{"false", at(entry.line)};
      } else if (entry.key == "otherwise") {
        has_otherwise = true;
        if (auto value = text(entry, ctx); value && *value != "true") {
          error(entry.line, ctx, "otherwise can only be true" + got(entry.value));
        }
      } else if (entry.key == "milestone") {
        branch.milestone = name(entry, ctx, is_identifier, "lowercase letters, digits and '_'");
        branch.milestone_where = at(entry.line);
      } else if (entry.key == "steps") {
        has_steps = true;
        branch.steps = read_steps(entry, ctx);
      } else {
        unknown_key(entry, ctx, kDecideBranchKeys);
      }
    }
    if (branch.when && has_otherwise) {
      error(line, ctx, "has both when and otherwise; give one");
    } else if (!branch.when && !has_otherwise) {
      error(line, ctx, "needs when: (a jq predicate) or otherwise: true");
      branch.when = JqExpr{"false", at(line)};  // only a clean `otherwise: true` is one
    }
    if (!has_steps) error(line, ctx, "missing 'steps' (steps: [] to do nothing)");
    decide.branches.push_back(std::move(branch));
  }
  return decide;
}

ParallelStep Parser::read_parallel(const Entry& e, const std::string& context) {
  ParallelStep parallel;
  if (e.value.IsNull()) return parallel;
  if (!e.value.IsSequence()) {
    error(e.line, context, "parallel must be a list of branches (name: ... steps: ...)");
    return parallel;
  }
  int index = 0;
  for (const YAML::Node& item : e.value) {
    const int line = line_of(item);
    std::string ctx = context + " branch " + std::to_string(++index);
    const auto entries = mapping(item, line, ctx, "a branch");
    if (!entries) continue;
    ParallelBranch branch;
    branch.where = at(line);
    bool has_name = false;
    bool has_steps = false;
    for (const Entry& entry : *entries) {
      if (entry.key == "name") {
        has_name = true;
        branch.name =
            name(entry, ctx, is_slug, "lowercase letters, digits, '-' and '_'").value_or("");
      } else if (entry.key == "steps") {
        has_steps = true;
        branch.steps = read_steps(entry, ctx);
      } else {
        unknown_key(entry, ctx, kParallelBranchKeys);
      }
    }
    if (!has_name) error(line, ctx, "missing 'name'");
    if (!has_steps) error(line, ctx, "missing 'steps'");
    parallel.branches.push_back(std::move(branch));
  }
  return parallel;
}

WaitStep Parser::read_wait(const Entry& e, const std::map<std::string, Entry>& extras,
                           const Step& step, const std::string& context) {
  WaitStep wait;
  wait.output = step.id;
  wait.output_where = step.where;
  if (const auto it = extras.find("output"); it != extras.end()) {
    wait.output = name(it->second, context, is_identifier,
                       "a state key: lowercase letters, digits and '_', starting with a letter")
                      .value_or(step.id);
    wait.output_where = at(it->second.line);
  }
  const auto entries = mapping(e.value, e.line, context, "wait");
  if (!entries) return wait;
  const Entry* on = nullptr;
  bool has_timeout = false;
  for (const Entry& entry : *entries) {
    if (entry.key == "approval" || entry.key == "event") {
      if (on != nullptr) {
        error(entry.line, context,
              "wait has both " + on->key + " and " + entry.key + "; a wait is for one of them");
        continue;
      }
      on = &entry;
    } else if (entry.key == "timeout") {
      has_timeout = true;
      wait.timeout = duration(entry, context).value_or(Duration{});
      wait.timeout_where = at(entry.line);
    } else if (entry.key == "on_timeout") {
      wait.on_timeout = read_steps(entry, context + " on_timeout");
    } else {
      unknown_key(entry, context, kWaitKeys);
    }
  }
  if (!has_timeout) {
    error(e.line, context, "wait needs a timeout (e.g. timeout: 72h); nothing waits forever");
  }
  if (on == nullptr) {
    error(e.line, context, "wait needs approval: {role: ...} or event: {type: ...}");
    return wait;
  }
  const std::string ctx = context + " " + on->key;
  const auto fields = mapping(on->value, on->line, context, on->key);
  if (on->key == "approval") {
    ApprovalWait approval;
    approval.where = at(on->line);
    bool has_role = false;
    for (const Entry& entry : fields.value_or(std::vector<Entry>{})) {
      if (entry.key == "role") {
        has_role = true;
        approval.role =
            name(entry, ctx, is_slug, "lowercase letters, digits, '-' and '_'").value_or("");
      } else if (entry.key == "title") {
        if (auto value = text(entry, ctx)) {
          auto parsed = parse_template(*value, at(entry.line));
          if (parsed) {
            approval.title = std::move(parsed).value();
          } else {
            error(entry.line, ctx, "title " + parsed.error());
          }
        }
      } else {
        unknown_key(entry, ctx, kApprovalKeys);
      }
    }
    if (fields && !has_role) error(on->line, ctx, "missing 'role' (who may approve)");
    wait.on = std::move(approval);
  } else {
    EventWait event;
    event.where = at(on->line);
    bool has_type = false;
    for (const Entry& entry : fields.value_or(std::vector<Entry>{})) {
      if (entry.key == "type") {
        has_type = true;
        event.type = name(entry, ctx, is_event_type, "a canonical event type such as invoice.paid")
                         .value_or("");
      } else if (entry.key == "key") {
        event.key = jq(entry, ctx);
      } else if (entry.key == "match") {
        event.match = jq(entry, ctx);
      } else {
        unknown_key(entry, ctx, kEventWaitKeys);
      }
    }
    if (fields && !has_type) error(on->line, ctx, "missing 'type' (the canonical event type)");
    wait.on = std::move(event);
  }
  return wait;
}

}  // namespace

ParsedDefinition parse_definition(const std::string& text, const std::string& file) {
  ParsedDefinition parsed;
  try {
    parsed = Parser(file).run(text);
  } catch (const YAML::Exception& e) {
    // Walking a loaded tree should not throw; if this yaml-cpp does, say so rather than crash.
    parsed.errors.push_back(config::ConfigError{
        Location{file, e.mark.is_null() ? 0 : e.mark.line + 1}, "invalid YAML: " + e.msg});
  }
  std::stable_sort(parsed.errors.begin(), parsed.errors.end(),
                   [](const auto& a, const auto& b) { return a.where.line < b.where.line; });
  return parsed;
}

}  // namespace weft::engine
