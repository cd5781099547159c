#pragma once
// The config loader's internals, shared by the files that read its sections: config.cpp (the
// top level, hub:, storage:, log:, engine:, identity:, api:), connector_section.cpp
// (connectors:) and slo_section.cpp (slos:, alerts:). Not part of the config API (config.hpp).
//
// Loading walks the parsed YAML once, section by section, and keeps going after a problem so
// that one run of `weft check` shows every mistake in the file. Nothing here may put a secret
// into an error: messages quote only keys, names and the file's own text of non-secret values.

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <vector>

#include "config/config.hpp"
#include "core/suggestion.hpp"
#include "core/text.hpp"

namespace weft::config::detail {

using Keys = std::span<const std::string_view>;

std::optional<std::string_view> nearest(std::string_view word, const auto& candidates) {
  return weft::nearest(word, word_views(candidates));
}

std::string suggestion(std::string_view word, const auto& candidates) {
  return did_you_mean(word, word_views(candidates));
}

int line_of(const YAML::Node& node);
// A path from the file, absolute against the file's directory.
std::string resolve_path(const std::string& path, const std::string& base_dir);

// One key and its value, as met while walking a mapping.
struct Entry {
  std::string key;
  std::string field;  // the dotted path used in messages: "connectors.stripe.api_key"
  YAML::Node value;
  int line;
};

class Loader {
 public:
  Loader(std::string file, std::string base_dir)
      : file_(std::move(file)), base_dir_(std::move(base_dir)) {}

  Result<Config, std::vector<ConfigError>> run(const std::string& document);

 private:
  void error(int line, std::string message) {
    errors_.push_back(ConfigError{Location{file_, line}, std::move(message)});
  }

  template <class Fn>
  void for_each_entry(const YAML::Node& map, int map_line, const std::string& section, Keys known,
                      Fn&& fn);
  void unknown_key(const std::string& key, int line, const std::string& section, Keys known);

  std::optional<std::string> text(const Entry& e);
  template <class T>
  void parse_int(const Entry& e, const std::string& s, T& out, std::type_identity_t<T> min,
                 std::type_identity_t<T> max);
  void parse_double(const Entry& e, const std::string& s, double& out, double min, double max);
  void parse_choice(const Entry& e, const std::string& s, std::string& out, Keys choices);
  bool check_http_url(const Entry& e, std::string& url);

  void read_hub(const Entry& section, HubConfig& hub);
  void read_tls(const Entry& section, TlsConfig& tls);
  void read_storage(const Entry& section, StorageConfig& storage);
  void read_log(const Entry& section, LogConfig& log);
  void read_engine(const Entry& section, EngineConfig& engine);
  void read_identity(const Entry& section, IdentityConfig& identity);
  void read_api(const Entry& section, ApiConfig& api);
  std::optional<std::vector<Entry>> items(const Entry& e);
  void read_connectors(const Entry& section, std::map<std::string, ConnectorConfig>& connectors);
  void read_slos(const Entry& section, std::vector<SloConfig>& slos);
  std::optional<SloConfig> read_slo(const Entry& item);
  void read_alerts(const Entry& section, AlertsConfig& alerts);
  // A duration ("15m") of at least `min_ms`, into `out_ms`.
  void parse_duration_ms(const Entry& e, const std::string& s, std::int64_t& out_ms,
                         std::int64_t min_ms);
  ConnectorConfig read_connector(const Entry& entry);
  void check_salesforce(const Entry& entry, ConnectorConfig& c,
                        const std::optional<Entry>& private_key,
                        const std::optional<Entry>& audience,
                        const std::optional<Entry>& api_version);

  std::string file_;
  std::string base_dir_;
  std::vector<ConfigError> errors_;
};

std::string where_in(const std::string& section);
// What an error may quote of a non-secret value: the file's own text, never a value that came
// from the environment (a variable may hold a secret meant for another key). `meant` is the
// word the value was probably meant to be.
std::string got(const Entry& e, std::optional<std::string_view> meant = std::nullopt);
// Limits are whole numbers; print them without an exponent.
std::string number_text(double value);

// The keys a connector may have (connector_section.cpp), for the hint that a key written at
// the top level belongs under connectors:.
Keys connector_keys();

template <class Fn>
void Loader::for_each_entry(const YAML::Node& map, int map_line, const std::string& section,
                            Keys known, Fn&& fn) {
  if (map.IsNull()) return;  // "hub:" with nothing under it: every default
  if (!map.IsMap()) {
    error(map_line, (section.empty() ? std::string("the top level") : section) +
                        " must be a mapping of keys to values");
    return;
  }
  std::map<std::string, int> seen;
  for (const auto& pair : map) {
    // Copies: yaml-cpp's iterator hands out a temporary, and nodes are cheap handles.
    const YAML::Node key = pair.first;
    const int line = line_of(key);
    if (!key.IsScalar()) {
      error(line, "keys " + where_in(section) + " must be plain names");
      continue;
    }
    const std::string name = key.Scalar();
    const auto [first, inserted] = seen.emplace(name, line);
    if (!inserted) {
      error(line, "duplicate key '" + name + "' " + where_in(section) + " (first at line " +
                      std::to_string(first->second) + ")");
      continue;
    }
    if (!known.empty() && !contains_word(known, name)) {
      unknown_key(name, line, section, known);
      continue;
    }
    fn(Entry{name, section.empty() ? name : section + "." + name, pair.second, line});
  }
}

template <class T>
void Loader::parse_int(const Entry& e, const std::string& s, T& out, std::type_identity_t<T> min,
                       std::type_identity_t<T> max) {
  T value{};
  const char* end = s.data() + s.size();
  const auto [stop, ec] = std::from_chars(s.data(), end, value);
  if (s.empty() || ec != std::errc() || stop != end || value < min || value > max) {
    std::string range = "an integer from " + std::to_string(min) + " to " + std::to_string(max);
    if (max == std::numeric_limits<T>::max()) range = "an integer >= " + std::to_string(min);
    error(e.line, e.field + " must be " + range + got(e));
    return;
  }
  out = value;
}

}  // namespace weft::config::detail
