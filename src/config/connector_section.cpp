// connectors: in the config, each connector checked against what its type needs.

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>

#include "config/loader.hpp"

namespace weft::config {

namespace detail {

namespace {

namespace fs = std::filesystem;

// Keys every connector may have, whatever its type.
constexpr std::array<std::string_view, 10> kCommonConnectorKeys{"type",
                                                                "base_url",
                                                                "webhook_secret",
                                                                "signature_tolerance_seconds",
                                                                "rate_per_second",
                                                                "burst",
                                                                "max_concurrency",
                                                                "timeout_seconds",
                                                                "poll_interval_seconds",
                                                                "poll_look_back_seconds"};
// Keys of the inbound (webhook) side, which a type without webhooks must not be given.
// (Backfill polling feeds the webhook path, so it is inbound too.)
constexpr std::array<std::string_view, 4> kInboundKeys{
    "webhook_secret", "signature_tolerance_seconds", "poll_interval_seconds",
    "poll_look_back_seconds"};
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

// The keys whose value is a credential, and the field each goes to.
const std::array<std::pair<std::string_view, Secret ConnectorConfig::*>, 10> kCredentials{{
    {"webhook_secret", &ConnectorConfig::webhook_secret},
    {"api_key", &ConnectorConfig::api_key},
    {"api_token", &ConnectorConfig::api_token},
    {"oauth_token", &ConnectorConfig::oauth_token},
    {"consumer_key", &ConnectorConfig::consumer_key},
    {"consumer_secret", &ConnectorConfig::consumer_secret},
    {"token_id", &ConnectorConfig::token_id},
    {"token_secret", &ConnectorConfig::token_secret},
    {"client_id", &ConnectorConfig::client_id},
    {"client_secret", &ConnectorConfig::client_secret},
}};

// Whole-number settings and the range each may take.
struct IntSetting {
  std::string_view key;
  int ConnectorConfig::*member;
  int min, max;
};
const std::array<IntSetting, 6> kIntSettings{{
    {"signature_tolerance_seconds", &ConnectorConfig::signature_tolerance_seconds, 1, 86400},
    {"burst", &ConnectorConfig::burst, 0, 1000000},
    {"max_concurrency", &ConnectorConfig::max_concurrency, 0, 10000},
    {"timeout_seconds", &ConnectorConfig::timeout_seconds, 1, 3600},
    {"poll_interval_seconds", &ConnectorConfig::poll_interval_seconds, 0, 86400},
    {"poll_look_back_seconds", &ConnectorConfig::poll_look_back_seconds, 0, 30 * 86400},
}};

}  // namespace

Keys connector_keys() { return kConnectorKeys; }

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
    const auto credential = std::find_if(kCredentials.begin(), kCredentials.end(),
                                         [&](const auto& known) { return known.first == k; });
    const auto setting = std::find_if(kIntSettings.begin(), kIntSettings.end(),
                                      [&](const IntSetting& known) { return known.key == k; });
    if (credential != kCredentials.end()) {
      c.*(credential->second) = Secret(*s);
    } else if (setting != kIntSettings.end()) {
      parse_int(e, *s, c.*(setting->member), setting->min, setting->max);
    } else if (k == "type") {
      c.type = *s;
      type_entry = e;
    } else if (k == "base_url") {
      c.base_url = *s;
      base_url_entry = e;
    } else if (k == "api_version") {
      c.api_version = *s;
      api_version_entry = e;
    } else if (k == "email") {
      const std::size_t at = s->find('@');
      if (!s->empty() && (at == std::string::npos || at == 0 || at + 1 == s->size())) {
        error(e.line, e.field + " is not an email address" + got(e));
      }
      c.email = *s;
    } else if (k == "account_id") {
      // It becomes part of NetSuite's host names (1234567-sb1.suitetalk.api.netsuite.com).
      if (!std::all_of(s->begin(), s->end(), [](char ch) {
            return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                   (ch >= '0' && ch <= '9') || ch == '_' || ch == '-';
          })) {
        error(e.line, e.field + " may use only letters, digits, '_' and '-'" + got(e));
      }
      c.account_id = *s;
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
    require("type", "one of " + join_words(connector_types()));
  } else if (spec == specs.end() && type_entry) {
    error(type_entry->line, field + ".type must be one of " + join_words(connector_types()) +
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
      if (!spec->inbound && contains_word(kInboundKeys, key)) {
        error(line, field + "." + key + " does not apply to type " + c.type +
                        " (it receives no webhooks)");
        continue;
      }
      if (contains_word(kCommonConnectorKeys, key) || contains_word(spec->required, key) ||
          contains_word(spec->optional, key)) {
        continue;
      }
      std::vector<std::string_view> used = spec->required;
      used.insert(used.end(), spec->optional.begin(), spec->optional.end());
      error(line, field + "." + key + " does not apply to type " + c.type + " (it uses " +
                      join_words(used) + ")");
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
    error(audience->line, field +
                              ".audience applies only to the JWT bearer flow (username and "
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

}  // namespace detail

const std::vector<std::string>& connector_types() {
  static const std::vector<std::string> types = [] {
    std::vector<std::string> names;
    for (const auto& spec : detail::type_specs()) names.emplace_back(spec.type);
    return names;
  }();
  return types;
}

}  // namespace weft::config
