#include "weft/log.hpp"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>

#include "core/time_format.hpp"

namespace weft::log {

namespace {

// spdlog owns the sinks (files, stdio) and their locking; lines are formatted here, since
// spdlog's patterns have no notion of structured fields.
std::atomic<int> g_min_level{static_cast<int>(Level::info)};
std::mutex g_mutex;
std::shared_ptr<spdlog::logger> g_logger;

std::shared_ptr<spdlog::logger> logger() {
  std::lock_guard lock(g_mutex);
  if (!g_logger) {
    g_logger = std::make_shared<spdlog::logger>("weft", std::make_shared<spdlog::sinks::stderr_sink_mt>());
    g_logger->set_pattern("%v");
    g_logger->set_level(spdlog::level::trace);
  }
  return g_logger;
}

const char* level_name(Level level) {
  switch (level) {
    case Level::debug: return "debug";
    case Level::info: return "info";
    case Level::warn: return "warn";
    case Level::error: return "error";
  }
  return "info";
}

void append_escaped(std::string& out, std::string_view text) {
  out += '"';
  for (unsigned char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

}  // namespace

void configure(Level min_level, const std::string& sink) {
  g_min_level = static_cast<int>(min_level);
  std::shared_ptr<spdlog::sinks::sink> target;
  if (sink == "stderr") target = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  else if (sink == "stdout") target = std::make_shared<spdlog::sinks::stdout_sink_mt>();
  else target = std::make_shared<spdlog::sinks::basic_file_sink_mt>(sink);
  auto next = std::make_shared<spdlog::logger>("weft", target);
  next->set_pattern("%v");
  next->set_level(spdlog::level::trace);
  next->flush_on(spdlog::level::trace);
  std::lock_guard lock(g_mutex);
  g_logger = std::move(next);
}

bool parse_level(std::string_view text, Level& out) {
  for (Level l : {Level::debug, Level::info, Level::warn, Level::error}) {
    if (text == level_name(l)) {
      out = l;
      return true;
    }
  }
  return false;
}

bool enabled(Level level) { return static_cast<int>(level) >= g_min_level.load(std::memory_order_relaxed); }

std::string format_line(Level level, std::string_view event, Fields fields, std::int64_t unix_ms) {
  std::string out;
  out.reserve(128);
  out += "{\"ts\":\"";
  out += format_iso8601_ms(unix_ms);
  out += "\",\"level\":\"";
  out += level_name(level);
  out += "\",\"event\":";
  append_escaped(out, event);
  for (const Field& f : fields) {
    out += ',';
    // A field must not take the place of the line's own keys: JSON readers keep the last of
    // two equal keys, and the line would lose its event name.
    if (f.key == "ts" || f.key == "level" || f.key == "event") {
      append_escaped(out, std::string(f.key) + "_field");
    } else {
      append_escaped(out, f.key);
    }
    out += ':';
    std::visit(
        [&out](const auto& v) {
          using V = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<V, std::string_view>) append_escaped(out, v);
          else if constexpr (std::is_same_v<V, bool>) out += v ? "true" : "false";
          else out += std::to_string(v);
        },
        f.value);
  }
  out += '}';
  return out;
}

void write(Level level, std::string_view event, Fields fields) {
  if (!enabled(level)) return;
  const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  const std::string line = format_line(level, event, fields, now);
  logger()->log(spdlog::level::info, "{}", line);
}

void flush() { logger()->flush(); }

}  // namespace weft::log
