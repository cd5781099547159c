// Loading walks the parsed YAML once, section by section, and keeps going after a problem so
// that one run of `weft check` shows every mistake in the file. Nothing here may put a secret
// into an error: messages quote only keys, names and the file's own text of non-secret values.

#include "config/config.hpp"

#include "core/duration.hpp"
#include "core/suggestion.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <set>
#include <span>
#include <sstream>
#include <system_error>
#include <tuple>
#include <type_traits>

namespace weft::config {

std::string ConfigError::to_string() const {
  std::string out = where.file;
  if (where.line > 0) out += ":" + std::to_string(where.line);
  return out + ": " + message;
}

std::string format_errors(const std::vector<ConfigError>& errors) {
  std::string out;
  for (const auto& error : errors) out += error.to_string() + "\n";
  return out;
}

namespace {

namespace fs = std::filesystem;

using Keys = std::span<const std::string_view>;

constexpr std::array<std::string_view, 12> kTopKeys{"hub",        "storage",       "log",          "engine",
                                                    "identity",   "api",           "connectors",   "workflows_dir",
                                                    "mappings_dir", "schemas_dir", "slos",         "alerts"};
constexpr std::array<std::string_view, 6> kSloKeys{"name", "workflow", "sla", "objective", "window", "exceptions"};
constexpr std::array<std::string_view, 2> kBacklogKeys{"workflow", "max_open"};
constexpr std::array<std::string_view, 4> kAlertKeys{"webhook_url", "secret", "timeout", "repeat_after"};
constexpr std::array<std::string_view, 4> kApiKeys{"rate_per_second", "burst", "max_body_bytes", "threads"};
constexpr std::array<std::string_view, 5> kHubKeys{"listen", "threads", "max_body_bytes",
                                                   "idle_timeout_seconds", "tls"};
constexpr std::array<std::string_view, 4> kTlsKeys{"cert_file", "key_file", "client_ca_file", "min_version"};
constexpr std::array<std::string_view, 2> kTlsVersions{"1.2", "1.3"};
constexpr std::array<std::string_view, 4> kStorageKeys{"url", "synchronous", "max_batch",
                                                       "max_queue"};
constexpr std::array<std::string_view, 2> kLogKeys{"level", "sink"};
constexpr std::array<std::string_view, 3> kEngineKeys{"workers", "max_batch", "max_queue"};
constexpr std::array<std::string_view, 4> kIdentityKeys{"rules", "name_threshold", "possible_duplicate",
                                                        "free_mail_domains"};
constexpr std::array<std::string_view, 4> kIdentityRules{"external_id", "email_domain", "tax_id", "name"};
constexpr std::array<std::string_view, 2> kSynchronousModes{"full", "normal"};
constexpr std::array<std::string_view, 4> kLogLevels{"debug", "info", "warn", "error"};

// Keys every connector may have, whatever its type.
constexpr std::array<std::string_view, 10> kCommonConnectorKeys{
    "type",  "base_url",        "webhook_secret",  "signature_tolerance_seconds", "rate_per_second",
    "burst", "max_concurrency", "timeout_seconds", "poll_interval_seconds",       "poll_look_back_seconds"};
// Keys of the inbound (webhook) side, which a type without webhooks must not be given.
// (Backfill polling feeds the webhook path, so it is inbound too.)
constexpr std::array<std::string_view, 4> kInboundKeys{"webhook_secret", "signature_tolerance_seconds",
                                                       "poll_interval_seconds", "poll_look_back_seconds"};
constexpr std::array<std::string_view, 26> kConnectorKeys{"type",
                                                          "base_url",
                                                          "webhook_secret",
                                                          "signature_tolerance_seconds",
                                                          "api_key",
                                                          "api_version",
                                                          "email",
                                                          "api_token",
                                                          "oauth_token",
                                                          "account_id",
                                                          "consumer_key",
                                                          "consumer_secret",
                                                          "token_id",
                                                          "token_secret",
                                                          "client_id",
                                                          "client_secret",
                                                          "login_url",
                                                          "username",
                                                          "private_key_file",
                                                          "audience",
                                                          "rate_per_second",
                                                          "burst",
                                                          "max_concurrency",
                                                          "timeout_seconds",
                                                          "poll_interval_seconds",
                                                          "poll_look_back_seconds"};

// What each connector type needs. A platform-specific key given to another type is an error:
// it is nearly always a copy-paste slip, and a credential left where nothing reads it is worse
// than useless.
struct TypeSpec {
  std::string_view type;
  std::vector<std::string_view> required;
  std::vector<std::string_view> optional;
  bool inbound = true;  // receives webhooks (so webhook_secret applies)
  // Required keys that another credential replaces: {required key, the key that replaces it}.
  std::vector<std::pair<std::string_view, std::string_view>> replaced_by = {};
};

const std::vector<TypeSpec>& type_specs() {
  static const std::vector<TypeSpec> specs{
      {"stripe", {"webhook_secret", "api_key"}, {"api_version"}},
      {"zendesk",
       {"webhook_secret", "email", "api_token"},
       {"oauth_token"},
       true,
       {{"email", "oauth_token"}, {"api_token", "oauth_token"}}},
      {"netsuite",
       {"account_id", "consumer_key", "consumer_secret", "token_id", "token_secret",
        "webhook_secret"},
       {}},
      {"salesforce",
       {"client_id", "client_secret", "webhook_secret"},
       {"login_url", "api_version", "username", "private_key_file", "audience"},
       true,
       {{"client_secret", "private_key_file"}}},
      // A generic HTTP API (outbound only): for targets without a connector of their own, and
      // for tests. api_key, when given, is sent as a bearer token.
      {"http", {}, {"api_key"}, false},
  };
  return specs;
}

bool contains(Keys keys, std::string_view key) {
  return std::find(keys.begin(), keys.end(), key) != keys.end();
}

bool contains(const std::vector<std::string_view>& keys, std::string_view key) {
  return std::find(keys.begin(), keys.end(), key) != keys.end();
}

std::string join(const auto& words) {
  std::string out;
  for (const auto& word : words) {
    if (!out.empty()) out += ", ";
    out += word;
  }
  return out;
}

// The candidates as views, for the shared "did you mean" helpers.
std::vector<std::string_view> views(const auto& candidates) {
  return std::vector<std::string_view>(std::begin(candidates), std::end(candidates));
}

std::optional<std::string_view> nearest(std::string_view word, const auto& candidates) {
  return weft::nearest(word, views(candidates));
}

std::string suggestion(std::string_view word, const auto& candidates) {
  return did_you_mean(word, views(candidates));
}

int line_of(const YAML::Node& node) {
  const YAML::Mark mark = node.Mark();
  return mark.line >= 0 ? mark.line + 1 : 0;
}

// A path from the file, absolute against the file's directory.
std::string resolve_path(const std::string& path, const std::string& base_dir) {
  fs::path p(path);
  if (p.is_relative()) p = fs::path(base_dir) / p;
  std::error_code ec;
  fs::path absolute = fs::absolute(p, ec);
  if (ec) absolute = p;
  absolute = absolute.lexically_normal();
  if (!absolute.has_filename() && absolute.has_relative_path()) absolute = absolute.parent_path();
  return absolute.string();
}

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
  void parse_duration_ms(const Entry& e, const std::string& s, std::int64_t& out_ms, std::int64_t min_ms);
  ConnectorConfig read_connector(const Entry& entry);
  void check_salesforce(const Entry& entry, ConnectorConfig& c,
                        const std::optional<Entry>& private_key,
                        const std::optional<Entry>& audience,
                        const std::optional<Entry>& api_version);

  std::string file_;
  std::string base_dir_;
  std::vector<ConfigError> errors_;
};

std::string where_in(const std::string& section) {
  return section.empty() ? "at the top level" : "in " + section;
}

// What an error may quote of a non-secret value: the file's own text, never a value that came
// from the environment (a variable may hold a secret meant for another key). `meant` is the
// word the value was probably meant to be.
std::string got(const Entry& e, std::optional<std::string_view> meant = std::nullopt) {
  std::string raw = e.value.Scalar();
  if (raw.size() > 80) raw = raw.substr(0, 77) + "...";
  std::string out = raw.find("${") != std::string::npos ? " (substituted from '" + raw + "'"
                                                        : " (got '" + raw + "'";
  if (meant) out += "; did you mean '" + std::string(*meant) + "'?";
  return out + ")";
}

// Limits are whole numbers; print them without an exponent.
std::string number_text(double value) {
  std::ostringstream out;
  out.precision(15);
  out << value;
  return out.str();
}

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
    if (!known.empty() && !contains(known, name)) {
      unknown_key(name, line, section, known);
      continue;
    }
    fn(Entry{name, section.empty() ? name : section + "." + name, pair.second, line});
  }
}

void Loader::unknown_key(const std::string& key, int line, const std::string& section, Keys known) {
  std::string hint = suggestion(key, known);
  if (hint.empty() && section.empty()) {
    // A section's key written at the top level: say where it belongs.
    const std::array<std::pair<std::string_view, Keys>, 6> sections{{{"hub", kHubKeys},
                                                                      {"storage", kStorageKeys},
                                                                      {"log", kLogKeys},
                                                                      {"engine", kEngineKeys},
                                                                      {"identity", kIdentityKeys},
                                                                      {"api", kApiKeys}}};
    for (const auto& [name, keys] : sections) {
      if (contains(keys, key)) hint = " (it belongs under " + std::string(name) + ":)";
    }
    if (contains(Keys(kConnectorKeys), key)) hint = " (it belongs under connectors: NAME:)";
  }
  error(line, "unknown key '" + key + "' " + where_in(section) + hint);
}

// The scalar after ${VAR} substitution. nullopt when there is no value ("key:" keeps the
// default) or when it is unusable, which has then been reported.
std::optional<std::string> Loader::text(const Entry& e) {
  if (e.value.IsNull()) return std::nullopt;
  if (!e.value.IsScalar()) {
    error(e.line,
          e.field + " must be a single value, not a " + (e.value.IsMap() ? "mapping" : "list"));
    return std::nullopt;
  }
  auto substituted = substitute_env(e.value.Scalar());
  if (!substituted) {
    error(e.line, e.field + ": " + substituted.error());
    return std::nullopt;
  }
  return std::move(substituted).value();
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

void Loader::parse_double(const Entry& e, const std::string& s, double& out, double min,
                          double max) {
  double value = 0;
  const char* end = s.data() + s.size();
  const auto [stop, ec] = std::from_chars(s.data(), end, value);
  if (s.empty() || ec != std::errc() || stop != end || !std::isfinite(value) || value < min ||
      value > max) {
    error(e.line, e.field + " must be a number from " + number_text(min) + " to " +
                      number_text(max) + got(e));
    return;
  }
  out = value;
}

void Loader::parse_choice(const Entry& e, const std::string& s, std::string& out, Keys choices) {
  if (!contains(choices, s)) {
    error(e.line, e.field + " must be one of " + join(choices) + got(e, nearest(s, choices)));
    return;
  }
  out = s;
}

// http(s)://HOST..., with any trailing '/' dropped so connectors can append paths. The URL is
// not quoted in errors: it may carry user:password.
bool Loader::check_http_url(const Entry& e, std::string& url) {
  std::string_view rest = url;
  if (rest.starts_with("https://")) {
    rest.remove_prefix(8);
  } else if (rest.starts_with("http://")) {
    rest.remove_prefix(7);
  } else {
    error(e.line, e.field + " must start with http:// or https://");
    return false;
  }
  if (rest.empty() || rest.front() == '/' ||
      rest.find_first_of(" \t\r\n") != std::string_view::npos) {
    error(e.line, e.field + " must be http(s)://HOST[:PORT][/PATH] with no spaces");
    return false;
  }
  while (url.ends_with('/')) url.pop_back();
  return true;
}

void Loader::read_hub(const Entry& section, HubConfig& hub) {
  for_each_entry(section.value, section.line, "hub", kHubKeys, [&](const Entry& e) {
    if (e.key == "tls") {
      hub.tls.emplace();
      read_tls(e, *hub.tls);
      return;
    }
    const auto s = text(e);
    if (!s) return;
    if (e.key == "listen") {
      auto address = parse_listen(*s);
      if (!address) {
        error(e.line, "hub.listen " + address.error() + got(e));
        return;
      }
      hub.listen_host = address->host;
      hub.listen_port = address->port;
    } else if (e.key == "threads") {
      parse_int(e, *s, hub.threads, 0, 256);
    } else if (e.key == "max_body_bytes") {
      parse_int(e, *s, hub.max_body_bytes, 1, std::size_t{1} << 30);
    } else if (e.key == "idle_timeout_seconds") {
      parse_int(e, *s, hub.idle_timeout_seconds, 1, 86400);
    }
  });
}

// The files must exist here; whether they hold a certificate and its key is for the server's
// own loading to say (`weft check` and `weft serve` run it before anything listens).
void Loader::read_tls(const Entry& section, TlsConfig& tls) {
  tls.where = Location{file_, section.line};
  if (!section.value.IsMap()) {
    error(section.line, "hub.tls must be a mapping with cert_file and key_file (leave it out for plain HTTP)");
    return;
  }
  for_each_entry(section.value, section.line, "hub.tls", kTlsKeys, [&](const Entry& e) {
    const auto s = text(e);
    if (!s) return;
    if (e.key == "min_version") {
      parse_choice(e, *s, tls.min_version, kTlsVersions);
      return;
    }
    auto [path, line] = e.key == "cert_file"  ? std::tie(tls.cert_file, tls.cert_file_line)
                         : e.key == "key_file" ? std::tie(tls.key_file, tls.key_file_line)
                                               : std::tie(tls.client_ca_file, tls.client_ca_file_line);
    line = e.line;
    if (s->empty()) {
      error(e.line, e.field + " is empty" + (e.key == "client_ca_file" ? " (leave it out unless clients must present certificates)" : ""));
      return;
    }
    path = resolve_path(*s, base_dir_);
    std::error_code ec;
    std::ifstream file(path);
    if (!fs::is_regular_file(path, ec) || !file) {
      error(e.line, e.field + (fs::exists(path, ec) ? " cannot be read" : " names a file that does not exist") + got(e));
    }
  });
  for (const auto& [key, line] : {std::pair<std::string_view, int>{"cert_file", tls.cert_file_line},
                                  {"key_file", tls.key_file_line}}) {
    if (line == 0) error(section.line, "hub.tls: missing required key '" + std::string(key) + "'");
  }
}

void Loader::read_storage(const Entry& section, StorageConfig& storage) {
  for_each_entry(section.value, section.line, "storage", kStorageKeys, [&](const Entry& e) {
    const auto s = text(e);
    if (!s) return;
    if (e.key == "url") {
      if (auto valid = validate_storage_url(*s); !valid) {
        error(e.line, "storage.url " + valid.error());
        return;
      }
      storage.url = *s;
    } else if (e.key == "synchronous") {
      parse_choice(e, *s, storage.synchronous, kSynchronousModes);
    } else if (e.key == "max_batch") {
      parse_int(e, *s, storage.max_batch, 1, std::size_t{1} << 20);
    } else if (e.key == "max_queue") {
      parse_int(e, *s, storage.max_queue, 1, std::size_t{1} << 24);
    }
  });
}

void Loader::read_engine(const Entry& section, EngineConfig& engine) {
  for_each_entry(section.value, section.line, "engine", kEngineKeys, [&](const Entry& e) {
    const auto s = text(e);
    if (!s) return;
    if (e.key == "workers") {
      parse_int(e, *s, engine.workers, 1, 1024);
    } else if (e.key == "max_batch") {
      parse_int(e, *s, engine.max_batch, 1, std::size_t{1} << 20);
    } else if (e.key == "max_queue") {
      parse_int(e, *s, engine.max_queue, 1, std::size_t{1} << 24);
    }
  });
}

void Loader::read_api(const Entry& section, ApiConfig& api) {
  for_each_entry(section.value, section.line, "api", kApiKeys, [&](const Entry& e) {
    const auto s = text(e);
    if (!s) return;
    if (e.key == "rate_per_second") {
      parse_double(e, *s, api.rate_per_second, 0.01, 1e6);
    } else if (e.key == "burst") {
      parse_int(e, *s, api.burst, 1, 1000000);
    } else if (e.key == "max_body_bytes") {
      parse_int(e, *s, api.max_body_bytes, 1024, std::size_t{16} << 20);
    } else if (e.key == "threads") {
      parse_int(e, *s, api.threads, 1, 256);
    }
  });
}

// The items of a list value, each an Entry with its own line ("identity.rules[2]"); nullopt,
// reported, when the value is not a list.
std::optional<std::vector<Entry>> Loader::items(const Entry& e) {
  if (!e.value.IsSequence()) {
    error(e.line, e.field + " must be a list" + (e.value.IsScalar() ? got(e) : std::string()));
    return std::nullopt;
  }
  std::vector<Entry> out;
  for (std::size_t i = 0; i < e.value.size(); ++i) {
    const YAML::Node item = e.value[i];
    out.push_back(Entry{e.key, e.field + "[" + std::to_string(i) + "]", item, line_of(item)});
  }
  return out;
}

void Loader::read_identity(const Entry& section, IdentityConfig& identity) {
  identity.where = Location{file_, section.line};
  std::optional<Entry> lower_bound;
  for_each_entry(section.value, section.line, "identity", kIdentityKeys, [&](const Entry& e) {
    if (e.key == "rules" || e.key == "free_mail_domains") {
      auto list = items(e);
      if (!list) return;
      std::vector<std::string> values;
      for (const Entry& item : *list) {
        auto s = text(item);
        if (!s) continue;
        if (e.key == "rules") {
          if (!contains(Keys(kIdentityRules), *s)) {
            error(item.line, item.field + " must be one of " + join(kIdentityRules) +
                                 got(item, nearest(*s, kIdentityRules)));
            continue;
          }
        } else {
          std::transform(s->begin(), s->end(), s->begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
          if (s->find('.') == std::string::npos || s->find_first_of("@ \t/") != std::string::npos) {
            error(item.line, item.field + " must be an email domain such as gmail.com" + got(item));
            continue;
          }
        }
        if (std::find(values.begin(), values.end(), *s) != values.end()) {
          error(item.line, item.field + " repeats '" + *s + "'");
          continue;
        }
        values.push_back(*s);
      }
      if (e.key == "rules") {
        identity.rules = std::move(values);
      } else {
        identity.free_mail_domains = std::move(values);
      }
      return;
    }
    const auto s = text(e);
    if (!s) return;
    if (e.key == "name_threshold") {
      parse_double(e, *s, identity.name_threshold, 0, 1);
    } else if (e.key == "possible_duplicate") {
      parse_double(e, *s, identity.possible_duplicate, 0, 1);
      lower_bound = e;
    }
  });
  if (identity.possible_duplicate > identity.name_threshold) {
    error(lower_bound ? lower_bound->line : section.line,
          "identity.possible_duplicate (" + number_text(identity.possible_duplicate) +
              ") must not exceed identity.name_threshold (" + number_text(identity.name_threshold) +
              "): names between the two are the possible duplicates");
  }
}

void Loader::read_log(const Entry& section, LogConfig& log) {
  for_each_entry(section.value, section.line, "log", kLogKeys, [&](const Entry& e) {
    const auto s = text(e);
    if (!s) return;
    if (e.key == "level") {
      parse_choice(e, *s, log.level, kLogLevels);
    } else if (e.key == "sink") {
      if (s->empty()) {
        error(e.line, "log.sink is empty (use stderr, stdout or a file path)");
        return;
      }
      log.sink = (*s == "stderr" || *s == "stdout") ? *s : resolve_path(*s, base_dir_);
    }
  });
}

void Loader::read_connectors(const Entry& section,
                             std::map<std::string, ConnectorConfig>& connectors) {
  for_each_entry(section.value, section.line, "connectors", Keys{}, [&](const Entry& e) {
    if (!is_connector_name(e.key)) {
      error(e.line, "connector name '" + e.key +
                        "' may use only a-z, 0-9, '_' and '-' (it is the webhook path "
                        "/hooks/NAME)");
    } else if (e.key == "api" || e.key == "identity") {
      // Built-in connectors: "api" is the source of requests made through /v1, "identity" the
      // identity actions workflows call; a configured one would be confused with them.
      error(e.line, "connector name '" + e.key + "' is reserved for Weft's built-in '" + e.key +
                        "' connector; choose another name");
    }
    if (!e.value.IsMap()) {
      error(e.line, e.field + " must be a mapping with at least type and base_url");
      return;
    }
    connectors.emplace(e.key, read_connector(e));
  });
}

void Loader::parse_duration_ms(const Entry& e, const std::string& s, std::int64_t& out_ms, std::int64_t min_ms) {
  auto duration = parse_duration(s);
  if (!duration) {
    error(e.line, e.field + " " + duration.error() + got(e));
    return;
  }
  if (duration->count() < min_ms) {
    error(e.line, e.field + " must be at least " + format_duration(std::chrono::milliseconds(min_ms)) + got(e));
    return;
  }
  out_ms = duration->count();
}

void Loader::read_slos(const Entry& section, std::vector<SloConfig>& slos) {
  auto list = items(section);
  if (!list) return;
  std::map<std::string, int> seen;  // name -> line
  for (const Entry& item : *list) {
    // Names are checked for repeats even in an item with other mistakes.
    const YAML::Node name = item.value.IsMap() ? static_cast<const YAML::Node&>(item.value)["name"] : YAML::Node();
    bool repeated = false;
    if (name.IsScalar()) {
      const auto [first, inserted] = seen.emplace(name.Scalar(), item.line);
      if (!inserted) {
        error(item.line, item.field + ": SLO name '" + name.Scalar() + "' is used already (line " +
                             std::to_string(first->second) + ")");
        repeated = true;
      }
    }
    auto slo = read_slo(item);
    if (slo && !repeated) slos.push_back(std::move(*slo));
  }
}

// One item of slos:, nullopt when it is unusable (reported).
std::optional<SloConfig> Loader::read_slo(const Entry& item) {
  SloConfig slo;
  slo.where = Location{file_, item.line};
  if (!item.value.IsMap()) {
    error(item.line, item.field + " must be a mapping with name, workflow, sla and objective (or name and exceptions)");
    return std::nullopt;
  }
  const std::size_t errors_before = errors_.size();
  std::set<std::string> given;
  for_each_entry(item.value, item.line, item.field, kSloKeys, [&](const Entry& e) {
    given.insert(e.key);
    if (e.key == "exceptions") {
      for_each_entry(e.value, e.line, e.field, kBacklogKeys, [&](const Entry& b) {
        given.insert("exceptions." + b.key);
        const auto s = text(b);
        if (!s) return;
        if (b.key == "workflow") {
          slo.workflow = *s;
          slo.workflow_where = Location{file_, b.line};
        } else {
          int max_open = 0;
          parse_int(b, *s, max_open, 0, 1'000'000);
          slo.max_open = max_open;
        }
      });
      return;
    }
    const auto s = text(e);
    if (!s) return;
    if (e.key == "name") {
      if (!is_connector_name(*s)) {
        error(e.line, e.field + " may use only a-z, 0-9, '_' and '-' (it is a metric label)" + got(e));
      }
      slo.name = *s;
    } else if (e.key == "workflow") {
      slo.workflow = *s;
      slo.workflow_where = Location{file_, e.line};
    } else if (e.key == "sla") {
      slo.sla = *s;
      slo.sla_where = Location{file_, e.line};
    } else if (e.key == "objective") {
      const std::size_t before = errors_.size();
      parse_double(e, *s, slo.objective, 0, 1);
      if (slo.objective <= 0 || slo.objective >= 1) {
        if (errors_.size() == before) {
          error(e.line, e.field + " must be above 0 and below 1 (0.99 is 99% of outcomes met; 1 leaves no error budget)" + got(e));
        }
      }
    } else if (e.key == "window") {
      parse_duration_ms(e, *s, slo.window_ms, 60'000);
    }
  });
  const auto missing = [&](const std::string& what) { error(item.line, item.field + " has no " + what); };
  if (!given.count("name")) missing("name");
  if (given.count("exceptions")) {
    for (const char* key : {"sla", "objective", "window", "workflow"}) {
      if (given.count(key)) {
        error(item.line, item.field + " has both exceptions: and " + key +
                             ": (an SLO is either an SLA objective or an exception backlog)");
      }
    }
    if (!given.count("exceptions.workflow")) missing("exceptions.workflow");
    if (!given.count("exceptions.max_open")) missing("exceptions.max_open");
  } else {
    for (const char* key : {"workflow", "sla", "objective"}) {
      if (!given.count(key)) missing(std::string(key) + " (or exceptions: {workflow, max_open} for a backlog SLO)");
    }
  }
  if (errors_.size() != errors_before) return std::nullopt;
  return slo;
}

void Loader::read_alerts(const Entry& section, AlertsConfig& alerts) {
  alerts.where = Location{file_, section.line};
  if (!section.value.IsMap()) {
    error(section.line, "alerts must be a mapping with webhook_url and secret");
    return;
  }
  for_each_entry(section.value, section.line, "alerts", kAlertKeys, [&](const Entry& e) {
    const auto s = text(e);
    if (!s) return;
    if (e.key == "webhook_url") {
      alerts.webhook_url = *s;
      check_http_url(e, alerts.webhook_url);
    } else if (e.key == "secret") {
      alerts.secret = Secret(*s);
    } else if (e.key == "timeout") {
      std::int64_t ms = 0;
      parse_duration_ms(e, *s, ms, 1000);
      if (ms > 300'000) error(e.line, e.field + " must be at most 5m" + got(e));
      else if (ms > 0) alerts.timeout_seconds = static_cast<int>(ms / 1000);
    } else if (e.key == "repeat_after") {
      parse_duration_ms(e, *s, alerts.repeat_after_ms, 60'000);
    }
  });
  if (alerts.webhook_url.empty()) error(section.line, "alerts has no webhook_url");
  if (alerts.secret.empty()) {
    error(section.line, "alerts has no secret (the key that signs each alert; e.g. secret: ${ALERT_SECRET})");
  }
}

ConnectorConfig Loader::read_connector(const Entry& entry) {
  ConnectorConfig c;
  c.name = entry.key;
  c.where = Location{file_, entry.line};
  std::map<std::string, int> given;  // key -> line, for every key written
  std::set<std::string> filled;      // keys with a value (or whose problem is already reported)
  std::optional<Entry> type_entry;
  std::optional<Entry> base_url_entry;
  std::optional<Entry> login_url_entry;
  std::optional<Entry> private_key_entry;
  std::optional<Entry> audience_entry;
  std::optional<Entry> api_version_entry;

  for_each_entry(entry.value, entry.line, entry.field, kConnectorKeys, [&](const Entry& e) {
    given[e.key] = e.line;
    const auto s = text(e);
    if (!s) {
      if (!e.value.IsNull()) filled.insert(e.key);
      return;
    }
    if (!s->empty()) filled.insert(e.key);
    const std::string& k = e.key;
    if (k == "type") {
      c.type = *s;
      type_entry = e;
    } else if (k == "base_url") {
      c.base_url = *s;
      base_url_entry = e;
    } else if (k == "webhook_secret") {
      c.webhook_secret = Secret(*s);
    } else if (k == "signature_tolerance_seconds") {
      parse_int(e, *s, c.signature_tolerance_seconds, 1, 86400);
    } else if (k == "api_key") {
      c.api_key = Secret(*s);
    } else if (k == "api_version") {
      c.api_version = *s;
      api_version_entry = e;
    } else if (k == "email") {
      const std::size_t at = s->find('@');
      if (!s->empty() && (at == std::string::npos || at == 0 || at + 1 == s->size())) {
        error(e.line, e.field + " is not an email address" + got(e));
      }
      c.email = *s;
    } else if (k == "api_token") {
      c.api_token = Secret(*s);
    } else if (k == "oauth_token") {
      c.oauth_token = Secret(*s);
    } else if (k == "account_id") {
      // It becomes part of NetSuite's host names (1234567-sb1.suitetalk.api.netsuite.com).
      if (!std::all_of(s->begin(), s->end(), [](char ch) {
            return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                   (ch >= '0' && ch <= '9') || ch == '_' || ch == '-';
          })) {
        error(e.line, e.field + " may use only letters, digits, '_' and '-'" + got(e));
      }
      c.account_id = *s;
    } else if (k == "consumer_key") {
      c.consumer_key = Secret(*s);
    } else if (k == "consumer_secret") {
      c.consumer_secret = Secret(*s);
    } else if (k == "token_id") {
      c.token_id = Secret(*s);
    } else if (k == "token_secret") {
      c.token_secret = Secret(*s);
    } else if (k == "client_id") {
      c.client_id = Secret(*s);
    } else if (k == "client_secret") {
      c.client_secret = Secret(*s);
    } else if (k == "login_url") {
      c.login_url = *s;
      login_url_entry = e;
    } else if (k == "username") {
      c.username = *s;
    } else if (k == "private_key_file") {
      c.private_key_file = s->empty() ? *s : resolve_path(*s, base_dir_);
      private_key_entry = e;
    } else if (k == "audience") {
      c.audience = *s;
      audience_entry = e;
    } else if (k == "rate_per_second") {
      parse_double(e, *s, c.rate_per_second, 0, 1e6);
    } else if (k == "burst") {
      parse_int(e, *s, c.burst, 0, 1000000);
    } else if (k == "max_concurrency") {
      parse_int(e, *s, c.max_concurrency, 0, 10000);
    } else if (k == "timeout_seconds") {
      parse_int(e, *s, c.timeout_seconds, 1, 3600);
    } else if (k == "poll_interval_seconds") {
      parse_int(e, *s, c.poll_interval_seconds, 0, 86400);
    } else if (k == "poll_look_back_seconds") {
      parse_int(e, *s, c.poll_look_back_seconds, 0, 30 * 86400);
    }
  });

  const std::string& field = entry.field;
  // Required keys: missing ones are reported at the connector's name, empty ones at their own line.
  const auto require = [&](std::string_view key, const std::string& why) {
    const std::string k(key);
    if (filled.contains(k)) return;
    if (const auto it = given.find(k); it != given.end()) {
      error(it->second, field + "." + k + " is empty (" + why + ")");
    } else {
      error(entry.line, field + ": missing required key '" + k + "' (" + why + ")");
    }
  };

  const auto& specs = type_specs();
  const auto spec =
      std::find_if(specs.begin(), specs.end(), [&](const TypeSpec& t) { return t.type == c.type; });
  if (!filled.contains("type")) {
    require("type", "one of " + join(connector_types()));
  } else if (spec == specs.end() && type_entry) {
    error(type_entry->line, field + ".type must be one of " + join(connector_types()) +
                                got(*type_entry, nearest(c.type, connector_types())));
  }
  if (spec != specs.end()) {
    const std::string why = "required for type " + c.type;
    for (std::string_view key : spec->required) {
      const bool replaced = std::any_of(
          spec->replaced_by.begin(), spec->replaced_by.end(),
          [&](const auto& r) { return r.first == key && filled.contains(std::string(r.second)); });
      if (!replaced) require(key, why);
    }
    for (const auto& [key, line] : given) {
      if (!spec->inbound && contains(Keys(kInboundKeys), key)) {
        error(line, field + "." + key + " does not apply to type " + c.type +
                        " (it receives no webhooks)");
        continue;
      }
      if (contains(Keys(kCommonConnectorKeys), key) || contains(spec->required, key) ||
          contains(spec->optional, key)) {
        continue;
      }
      std::vector<std::string_view> used = spec->required;
      used.insert(used.end(), spec->optional.begin(), spec->optional.end());
      error(line, field + "." + key + " does not apply to type " + c.type + " (it uses " +
                      join(used) + ")");
    }
  }

  require("base_url", "the platform's API, e.g. https://api.stripe.com");
  if (base_url_entry && !c.base_url.empty()) check_http_url(*base_url_entry, c.base_url);
  if (login_url_entry && !c.login_url.empty()) check_http_url(*login_url_entry, c.login_url);
  if (c.type == "salesforce" && c.login_url.empty()) c.login_url = c.base_url;
  if (c.type == "salesforce") {
    check_salesforce(entry, c, private_key_entry, audience_entry, api_version_entry);
  }
  if (c.burst == 0 && c.rate_per_second > 0) {
    c.burst = std::max(1, static_cast<int>(std::ceil(c.rate_per_second)));
  }
  return c;
}

// The JWT bearer flow's keys go together, and an API version must look like one.
void Loader::check_salesforce(const Entry& entry, ConnectorConfig& c,
                              const std::optional<Entry>& private_key,
                              const std::optional<Entry>& audience,
                              const std::optional<Entry>& api_version) {
  const std::string& field = entry.field;
  if (c.username.empty() != c.private_key_file.empty()) {
    error(entry.line, field + ": username and private_key_file go together (JWT bearer flow)");
  }
  if (audience && c.private_key_file.empty()) {
    error(audience->line, field + ".audience applies only to the JWT bearer flow (username and "
                                  "private_key_file)");
  } else if (audience && !c.audience.empty()) {
    check_http_url(*audience, c.audience);
  }
  if (private_key && !c.private_key_file.empty()) {
    std::error_code ec;
    std::ifstream file(c.private_key_file);
    if (!fs::is_regular_file(c.private_key_file, ec) || !file) {
      error(private_key->line, field + ".private_key_file cannot be read" + got(*private_key));
    }
  }
  if (api_version && !c.api_version.empty()) {
    std::string_view v = c.api_version;
    if (v.starts_with('v')) v.remove_prefix(1);
    const std::size_t dot = v.find('.');
    const auto digits = [](std::string_view d) {
      return !d.empty() &&
             std::all_of(d.begin(), d.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
    };
    if (dot == std::string_view::npos || !digits(v.substr(0, dot)) || !digits(v.substr(dot + 1))) {
      error(api_version->line, field +
                                   ".api_version must be a Salesforce API version such as v61.0" +
                                   got(*api_version));
    }
  }
  if (!c.private_key_file.empty() && c.audience.empty()) {
    c.audience = "https://login.salesforce.com";
  }
}

Result<Config, std::vector<ConfigError>> Loader::run(const std::string& document) {
  Config config;
  config.path = file_;
  config.base_dir = resolve_path(base_dir_, ".");
  base_dir_ = config.base_dir;
  try {
    const std::vector<YAML::Node> documents = YAML::LoadAll(document);
    if (documents.size() > 1) {
      error(line_of(documents[1]), "only one YAML document is allowed (found a second '---')");
    }
    const YAML::Node root = documents.empty() ? YAML::Node() : documents.front();
    if (!root.IsNull() && !root.IsMap()) {
      error(line_of(root), "the top level must be a mapping (hub:, storage:, log:, connectors:)");
    }
    if (root.IsMap()) {
      for_each_entry(root, line_of(root), "", kTopKeys, [&](const Entry& e) {
        if (e.key == "hub") {
          read_hub(e, config.hub);
        } else if (e.key == "storage") {
          read_storage(e, config.storage);
        } else if (e.key == "log") {
          read_log(e, config.log);
        } else if (e.key == "engine") {
          read_engine(e, config.engine);
        } else if (e.key == "identity") {
          read_identity(e, config.identity);
        } else if (e.key == "api") {
          read_api(e, config.api);
        } else if (e.key == "connectors") {
          read_connectors(e, config.connectors);
        } else if (e.key == "slos") {
          if (!e.value.IsNull()) read_slos(e, config.slos);
        } else if (e.key == "alerts") {
          read_alerts(e, config.alerts.emplace());
        } else if (e.key == "workflows_dir" || e.key == "mappings_dir" || e.key == "schemas_dir") {
          const auto s = text(e);
          if (!s) return;
          if (s->empty()) {
            error(e.line, e.field + " is empty (leave the key out instead)");
            return;
          }
          auto& dir = e.key == "workflows_dir"  ? config.workflows_dir
                      : e.key == "mappings_dir" ? config.mappings_dir
                                                : config.schemas_dir;
          dir = resolve_path(*s, base_dir_);
        }
      });
    }
  } catch (const YAML::Exception& ex) {
    // yaml-cpp's messages are fixed phrases ("illegal map value"): they never quote the file.
    error(ex.mark.line >= 0 ? ex.mark.line + 1 : 0, "YAML syntax error: " + ex.msg);
  }
  config.storage.url = resolve_storage_url(config.storage.url, base_dir_);

  if (!errors_.empty()) {
    std::stable_sort(
        errors_.begin(), errors_.end(),
        [](const ConfigError& a, const ConfigError& b) { return a.where.line < b.where.line; });
    return fail(std::move(errors_));
  }
  return config;
}

}  // namespace

bool is_connector_name(std::string_view name) {
  if (name.empty()) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

const std::vector<std::string>& identity_rules() {
  static const std::vector<std::string> rules(kIdentityRules.begin(), kIdentityRules.end());
  return rules;
}

const std::vector<std::string>& connector_types() {
  static const std::vector<std::string> types = [] {
    std::vector<std::string> names;
    for (const auto& spec : type_specs()) names.emplace_back(spec.type);
    return names;
  }();
  return types;
}

Result<Config, std::vector<ConfigError>> parse(const std::string& text, const std::string& file,
                                               const std::string& base_dir) {
  return Loader(file, base_dir).run(text);
}

Result<Config, std::vector<ConfigError>> load(const std::string& path) {
  const auto failure = [&](std::string message) {
    return fail(std::vector<ConfigError>{ConfigError{Location{path, 0}, std::move(message)}});
  };
  std::error_code ec;
  if (fs::is_directory(path, ec)) return failure("is a directory, not a config file");
  std::ifstream in(path, std::ios::binary);
  if (!in) return failure(std::string("cannot open the config file: ") + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return failure(std::string("cannot read the config file: ") + std::strerror(errno));
  const fs::path absolute = fs::absolute(fs::path(path), ec);
  const std::string base_dir = ec ? "." : absolute.parent_path().string();
  return parse(text.str(), path, base_dir);
}

}  // namespace weft::config
