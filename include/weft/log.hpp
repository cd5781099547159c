#pragma once
// Structured logs: one JSON object per line, with the event name, level, time and fields
// such as the correlation id. Secrets never reach a log: config secrets are a distinct type
// (config::Secret) that has no conversion to a log value.
//
// Threads: every function may be called from any thread.

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <variant>

namespace weft::log {

enum class Level { debug, info, warn, error };

using Value = std::variant<std::string_view, std::int64_t, double, bool>;
struct Field {
  std::string_view key;
  Value value;
  Field(std::string_view k, std::string_view v) : key(k), value(v) {}
  Field(std::string_view k, const std::string& v) : key(k), value(std::string_view(v)) {}
  Field(std::string_view k, const char* v) : key(k), value(std::string_view(v)) {}
  Field(std::string_view k, std::int64_t v) : key(k), value(v) {}
  Field(std::string_view k, int v) : key(k), value(std::int64_t{v}) {}
  Field(std::string_view k, std::size_t v) : key(k), value(static_cast<std::int64_t>(v)) {}
  Field(std::string_view k, double v) : key(k), value(v) {}
  Field(std::string_view k, bool v) : key(k), value(v) {}
};
using Fields = std::initializer_list<Field>;

// Configures the process-wide logger. Until called, logs go to stderr at info.
//   sink: "stderr", "stdout" or a file path.
void configure(Level min_level, const std::string& sink = "stderr");
bool parse_level(std::string_view text, Level& out);
bool enabled(Level level);

// Writes `{"ts":…,"level":…,"event":<event>,…fields}` as one line. A field named like one of
// the line's own keys (ts, level, event) is written as `<name>_field`.
void write(Level level, std::string_view event, Fields fields = {});
inline void debug(std::string_view event, Fields fields = {}) { write(Level::debug, event, fields); }
inline void info(std::string_view event, Fields fields = {}) { write(Level::info, event, fields); }
inline void warn(std::string_view event, Fields fields = {}) { write(Level::warn, event, fields); }
inline void error(std::string_view event, Fields fields = {}) { write(Level::error, event, fields); }

// Formats a log line without writing it (for tests and for the sink).
std::string format_line(Level level, std::string_view event, Fields fields, std::int64_t unix_ms);

// Flushes buffered lines (before exit).
void flush();

}  // namespace weft::log
