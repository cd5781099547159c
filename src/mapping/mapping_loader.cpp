// Loading mapping files: walks each file once and keeps going after a problem, so that one
// run of `weft check` shows every mistake in every file, each at its file and line.

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "config/source_files.hpp"
#include "core/text.hpp"
#include "mapping/mapping_set.hpp"
#include "mapping/mapping_table.hpp"

namespace weft::mapping {

namespace {

constexpr std::array<std::string_view, 4> kFileKeys{"platform", "version", "description",
                                                    "mappings"};
constexpr std::array<std::string_view, 3> kEntryKeys{"event", "description", "jq"};

int line_of(const YAML::Node& node) {
  const YAML::Mark mark = node.Mark();
  return mark.line >= 0 ? mark.line + 1 : 0;
}

// An exact event type, "prefix.*" or "*": printable, no spaces, '*' only as the last segment.
bool valid_event_pattern(std::string_view pattern) {
  if (pattern.empty()) return false;
  const bool printable = std::all_of(pattern.begin(), pattern.end(), [](char c) {
    return static_cast<unsigned char>(c) > ' ' && c != 0x7f;
  });
  if (!printable) return false;
  const std::size_t star = pattern.find('*');
  if (star == std::string_view::npos) return true;
  if (pattern == "*") return true;
  return star == pattern.size() - 1 && pattern.size() > 2 && pattern.ends_with(".*");
}

class FileLoader {
 public:
  FileLoader(const MappingSource& source, std::vector<config::ConfigError>& errors)
      : source_(source), errors_(errors) {}

  // The file's platform and entries; nullopt when the file has any error.
  std::optional<PlatformMappings> load() {
    const std::size_t errors_before = errors_.size();
    YAML::Node root;
    try {
      root = YAML::Load(source_.text);
    } catch (const YAML::Exception& e) {
      error(e.mark.line >= 0 ? e.mark.line + 1 : 0, "YAML syntax: " + e.msg);
      return std::nullopt;
    }
    if (!root.IsMap()) {
      error(line_of(root), "a mapping file is a YAML map with platform, version and mappings");
      return std::nullopt;
    }

    PlatformMappings out;
    out.file = source_.file;
    for (const auto& entry : root) {
      const std::string& key = entry.first.Scalar();
      if (!contains_word(kFileKeys, key)) {
        error(line_of(entry.first), "unknown key '" + key + "' (expected " + join_words(kFileKeys) + ")");
      }
    }
    read_platform(root, out);
    read_version(root, out);
    read_mappings(root, out);
    if (errors_.size() != errors_before) return std::nullopt;
    return out;
  }

 private:
  void error(int line, std::string message) {
    errors_.push_back({config::Location{source_.file, line}, std::move(message)});
  }

  void read_platform(const YAML::Node& root, PlatformMappings& out) {
    const YAML::Node node = root["platform"];
    const auto& types = config::connector_types();
    if (!node) {
      error(line_of(root), "missing key 'platform' (one of " + join_words(types) + ")");
    } else if (!node.IsScalar() || !contains_word(types, node.Scalar())) {
      error(line_of(node), "platform must be one of " + join_words(types));
    } else {
      out.platform = node.Scalar();
      out.platform_line = line_of(node);
    }
  }

  void read_version(const YAML::Node& root, PlatformMappings& out) {
    const YAML::Node node = root["version"];
    if (!node) {
      error(line_of(root), "missing key 'version' (a positive integer, bumped on every change)");
      return;
    }
    int version = 0;
    if (node.IsScalar() && YAML::convert<int>::decode(node, version) && version > 0) {
      out.version = version;
    } else {
      error(line_of(node), "version must be a positive integer");
    }
  }

  void read_mappings(const YAML::Node& root, PlatformMappings& out) {
    const YAML::Node node = root["mappings"];
    if (!node) {
      error(line_of(root), "missing key 'mappings' (a list of {event, jq})");
      return;
    }
    if (!node.IsSequence() || node.size() == 0) {
      error(line_of(node), "mappings must be a non-empty list of {event, jq}");
      return;
    }
    std::map<std::string, int> seen;  // event pattern → line of its first entry
    for (const auto& item : node) read_entry(item, seen, out);
  }

  void read_entry(const YAML::Node& item, std::map<std::string, int>& seen, PlatformMappings& out) {
    if (!item.IsMap()) {
      error(line_of(item), "each mapping is a map with event and jq");
      return;
    }
    int key_line = line_of(item);  // of `jq:`, which anchors jq's line numbers
    for (const auto& entry : item) {
      const std::string& key = entry.first.Scalar();
      if (key == "jq") key_line = line_of(entry.first);
      if (!contains_word(kEntryKeys, key)) {
        error(line_of(entry.first),
              "unknown key '" + key + "' in a mapping (expected " + join_words(kEntryKeys) + ")");
      }
    }
    const std::vector<std::string> events = read_events(item, seen);
    const std::string what = events.empty() ? std::string() : " for '" + events.front() + "'";

    const YAML::Node jq_node = item["jq"];
    if (!jq_node) {
      error(line_of(item), "mapping" + what + " without 'jq' (the program)");
      return;
    }
    if (!jq_node.IsScalar()) {
      // Usually `jq: {type: ...}` written without `|`: YAML read the program as a map.
      error(line_of(jq_node), "jq must be a string; write the program as a block after 'jq: |'");
      return;
    }
    const std::string& program = jq_node.Scalar();
    if (program.find_first_not_of(" \t\r\n") == std::string::npos) {
      error(line_of(jq_node), "jq program" + what + " is empty");
      return;
    }
    auto compiled = JqProgram::compile(program);
    if (!compiled) {
      for (const auto& diagnostic : compiled.error()) {
        error(file_line(jq_node, key_line, diagnostic.line),
              "jq" + what + ": " + diagnostic.message);
      }
      return;
    }
    // Entries listing several events share one compiled program.
    const auto shared = std::make_shared<const JqProgram>(std::move(compiled).value());
    for (const auto& event : events) out.mappings.push_back({event, shared, key_line});
  }

  // An entry's `event`: one pattern or a list of them. Invalid and duplicate ones are
  // reported and left out.
  std::vector<std::string> read_events(const YAML::Node& item, std::map<std::string, int>& seen) {
    const YAML::Node node = item["event"];
    if (!node) {
      error(line_of(item), "mapping without 'event' (the platform event type)");
      return {};
    }
    std::vector<YAML::Node> patterns;
    if (node.IsSequence() && node.size() > 0) {
      for (const auto& pattern : node) patterns.push_back(pattern);
    } else {
      patterns.push_back(node);
    }
    std::vector<std::string> events;
    for (const auto& pattern : patterns) {
      if (!pattern.IsScalar() || !valid_event_pattern(pattern.Scalar())) {
        error(line_of(pattern),
              "event must be a platform event type, \"prefix.*\" or \"*\" (or a list of them), "
              "without spaces");
        continue;
      }
      const auto [it, inserted] = seen.emplace(pattern.Scalar(), line_of(pattern));
      if (!inserted) {
        error(line_of(pattern), "duplicate mapping for event '" + pattern.Scalar() +
                                    "' (first at line " + std::to_string(it->second) + ")");
        continue;
      }
      events.push_back(pattern.Scalar());
    }
    return events;
  }

  // The file line of line `jq_line` of a program. A block scalar (`jq: |`) starts on the line
  // after its indicator; an inline one on the key's line. A folded (`>`) or multi-line
  // quoted scalar joins lines, so there the result is approximate.
  int file_line(const YAML::Node& jq_node, int key_line, int jq_line) const {
    if (jq_line <= 0) return key_line;
    const YAML::Mark mark = jq_node.Mark();
    if (mark.line < 0) return key_line;
    const auto pos = static_cast<std::size_t>(mark.pos);
    const bool block =
        pos < source_.text.size() && (source_.text[pos] == '|' || source_.text[pos] == '>');
    return mark.line + (block ? 1 : 0) + jq_line;
  }

  const MappingSource& source_;
  std::vector<config::ConfigError>& errors_;
};

}  // namespace

Result<MappingSet, std::vector<config::ConfigError>> MappingSet::from_sources(
    const std::vector<MappingSource>& sources) {
  std::vector<config::ConfigError> errors;
  auto table = std::make_unique<MappingTable>();
  for (const auto& source : sources) {
    auto loaded = FileLoader(source, errors).load();
    if (!loaded) continue;
    const std::string platform = loaded->platform;
    const int line = loaded->platform_line;
    // try_emplace leaves *loaded untouched when the platform is already there.
    const auto [it, inserted] = table->platforms.try_emplace(platform, std::move(*loaded));
    if (!inserted) {
      errors.push_back({config::Location{source.file, line},
                        "platform '" + platform + "' is already mapped in " + it->second.file +
                            " (one file per platform)"});
    }
  }
  if (!errors.empty()) return fail(std::move(errors));
  return MappingSet(std::move(table));
}

Result<MappingSet, std::vector<config::ConfigError>> MappingSet::load_dir(const std::string& dir) {
  auto files = config::read_source_files(dir, "mappings", {".yaml", ".yml"});
  if (!files) return fail(std::move(files).error());
  std::vector<MappingSource> sources;
  for (auto& file : *files) sources.push_back({std::move(file.path), std::move(file.text)});
  return from_sources(sources);
}

}  // namespace weft::mapping
