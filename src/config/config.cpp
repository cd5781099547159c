// The config API (config.hpp) and the loader's top level and smaller sections; connectors:
// and slos:/alerts: have files of their own (loader.hpp says which).

#include "config/config.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "config/loader.hpp"

namespace weft::config {

namespace fs = std::filesystem;

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

namespace detail {

namespace {

constexpr std::array<std::string_view, 12> kTopKeys{
    "hub",        "storage",       "log",          "engine",      "identity", "api",
    "connectors", "workflows_dir", "mappings_dir", "schemas_dir", "slos",     "alerts"};
constexpr std::array<std::string_view, 4> kApiKeys{"rate_per_second", "burst", "max_body_bytes",
                                                   "threads"};
constexpr std::array<std::string_view, 5> kHubKeys{"listen", "threads", "max_body_bytes",
                                                   "idle_timeout_seconds", "tls"};
constexpr std::array<std::string_view, 4> kTlsKeys{"cert_file", "key_file", "client_ca_file",
                                                   "min_version"};
constexpr std::array<std::string_view, 2> kTlsVersions{"1.2", "1.3"};
constexpr std::array<std::string_view, 5> kStorageKeys{"url", "synchronous", "max_batch",
                                                       "max_queue", "commit_interval_ms"};
constexpr std::array<std::string_view, 2> kLogKeys{"level", "sink"};
constexpr std::array<std::string_view, 3> kEngineKeys{"workers", "max_batch", "max_queue"};
constexpr std::array<std::string_view, 4> kIdentityKeys{"rules", "name_threshold",
                                                        "possible_duplicate", "free_mail_domains"};
constexpr std::array<std::string_view, 4> kIdentityRules{"external_id", "email_domain", "tax_id",
                                                         "name"};
constexpr std::array<std::string_view, 2> kSynchronousModes{"full", "normal"};
constexpr std::array<std::string_view, 4> kLogLevels{"debug", "info", "warn", "error"};

}  // namespace

int line_of(const YAML::Node& node) {
  const YAML::Mark mark = node.Mark();
  return mark.line >= 0 ? mark.line + 1 : 0;
}

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

std::string where_in(const std::string& section) {
  return section.empty() ? "at the top level" : "in " + section;
}

std::string got(const Entry& e, std::optional<std::string_view> meant) {
  std::string raw = e.value.Scalar();
  if (raw.size() > 80) raw = raw.substr(0, 77) + "...";
  std::string out = raw.find("${") != std::string::npos ? " (substituted from '" + raw + "'"
                                                        : " (got '" + raw + "'";
  if (meant) out += "; did you mean '" + std::string(*meant) + "'?";
  return out + ")";
}

std::string number_text(double value) {
  std::ostringstream out;
  out.precision(15);
  out << value;
  return out.str();
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
      if (contains_word(keys, key)) hint = " (it belongs under " + std::string(name) + ":)";
    }
    if (contains_word(connector_keys(), key)) hint = " (it belongs under connectors: NAME:)";
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
  if (!contains_word(choices, s)) {
    error(e.line, e.field + " must be one of " + join_words(choices) + got(e, nearest(s, choices)));
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
    error(section.line,
          "hub.tls must be a mapping with cert_file and key_file (leave it out for plain HTTP)");
    return;
  }
  for_each_entry(section.value, section.line, "hub.tls", kTlsKeys, [&](const Entry& e) {
    const auto s = text(e);
    if (!s) return;
    if (e.key == "min_version") {
      parse_choice(e, *s, tls.min_version, kTlsVersions);
      return;
    }
    auto [path, line] = e.key == "cert_file" ? std::tie(tls.cert_file, tls.cert_file_line)
                        : e.key == "key_file"
                            ? std::tie(tls.key_file, tls.key_file_line)
                            : std::tie(tls.client_ca_file, tls.client_ca_file_line);
    line = e.line;
    if (s->empty()) {
      error(e.line, e.field + " is empty" +
                        (e.key == "client_ca_file"
                             ? " (leave it out unless clients must present certificates)"
                             : ""));
      return;
    }
    path = resolve_path(*s, base_dir_);
    std::error_code ec;
    std::ifstream file(path);
    if (!fs::is_regular_file(path, ec) || !file) {
      error(e.line,
            e.field +
                (fs::exists(path, ec) ? " cannot be read" : " names a file that does not exist") +
                got(e));
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
    } else if (e.key == "commit_interval_ms") {
      parse_double(e, *s, storage.commit_interval_ms, 0, 1000);
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
          if (!contains_word(kIdentityRules, *s)) {
            error(item.line, item.field + " must be one of " + join_words(kIdentityRules) +
                                 got(item, nearest(*s, kIdentityRules)));
            continue;
          }
        } else {
          std::transform(s->begin(), s->end(), s->begin(),
                         [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
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

}  // namespace detail

bool is_connector_name(std::string_view name) {
  if (name.empty()) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

const std::vector<std::string>& identity_rules() {
  static const std::vector<std::string> rules(detail::kIdentityRules.begin(),
                                              detail::kIdentityRules.end());
  return rules;
}

Result<Config, std::vector<ConfigError>> parse(const std::string& text, const std::string& file,
                                               const std::string& base_dir) {
  return detail::Loader(file, base_dir).run(text);
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
