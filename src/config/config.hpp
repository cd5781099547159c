#pragma once
// The hub's configuration: one YAML file, with ${VAR} and ${VAR:-default} substituted from
// the environment in scalar values. Loading validates everything and reports every problem
// as file:line: message; nothing half-valid is returned.

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "weft/result.hpp"

namespace weft::config {

// A secret value (API key, webhook secret). It has no stream operator and no implicit
// conversion to string, so it cannot end up in a log line or an error message by accident.
class Secret {
 public:
  Secret() = default;
  explicit Secret(std::string value) : value_(std::move(value)) {}
  // The only way to read it: name the intent at the call site.
  const std::string& reveal() const { return value_; }
  bool empty() const { return value_.empty(); }

 private:
  std::string value_;
};

struct Location {
  std::string file;
  int line = 0;  // 1-based; 0 when unknown
};

struct ConfigError {
  Location where;
  std::string message;
  std::string to_string() const;  // "file:line: message" ("file: message" when the line is unknown)
};

// Every error, one per line, for a terminal.
std::string format_errors(const std::vector<ConfigError>& errors);

// HTTPS for `weft serve` (hub.tls); without it the hub speaks plain HTTP.
struct TlsConfig {
  std::string cert_file;       // PEM chain, absolute after loading
  std::string key_file;        // PEM private key, absolute after loading; never logged
  std::string client_ca_file;  // PEM CAs; set: mutual TLS, every client must present a cert
  std::string min_version = "1.2";  // "1.2" | "1.3"
  // Where each was set, for errors found when the files are loaded (`weft check`, start-up).
  Location where;  // the line of tls:
  int cert_file_line = 0, key_file_line = 0, client_ca_file_line = 0;
};

struct HubConfig {
  std::string listen_host = "127.0.0.1";     // IPv6 without brackets: "::1"
  std::uint16_t listen_port = 7070;          // 0: any free port (tests)
  int threads = 0;                           // 0: one per core
  std::size_t max_body_bytes = 1024 * 1024;  // webhooks over this get 413
  int idle_timeout_seconds = 60;             // keep-alive connections closed after this
  std::optional<TlsConfig> tls;
};

struct StorageConfig {
  // After loading: "sqlite:/absolute/path" (or "sqlite::memory:") or a postgres:// URL, which may
  // carry a password, so do not log it whole.
  std::string url = "sqlite:data/weft.db";  // relative paths are relative to the config file
  std::string synchronous = "full";         // full | normal
  std::size_t max_batch = 1024;             // events per group commit
  std::size_t max_queue = 65536;            // pending events before ingest answers 503
  // The shortest time between the starts of two commits of ingest and the engine; what arrives
  // meanwhile shares the next one (fewer fsyncs and rewritten pages under load). A commit after
  // a quiet spell starts at once. 0: commit whenever anything waits.
  double commit_interval_ms = 4;
};

struct LogConfig {
  std::string level = "info";   // debug | info | warn | error
  std::string sink = "stderr";  // stderr | stdout | file path (absolute after loading)
};

struct EngineConfig {
  // Workflow instances in flight at once (waiting for a platform or a commit takes no
  // thread), so this bounds the calls in flight: 64 keeps ~12,000 calls/s going at 5 ms each.
  int workers = 64;
  std::size_t max_batch = 1024;   // workflow transitions per group commit
  std::size_t max_queue = 65536;  // queued transitions beyond which one is refused and its instance retried
};

// Identity resolution (docs/identity.md): which rules link a platform record to an existing
// canonical entity, in order, and how alike two names must be.
struct IdentityConfig {
  // Tried in this order after the exact platform-id link: external_id, email_domain, tax_id, name.
  std::vector<std::string> rules = {"external_id", "tax_id", "email_domain", "name"};
  double name_threshold = 0.92;       // Jaro-Winkler similarity at or above which names match
  double possible_duplicate = 0.85;   // [this, name_threshold): a possible duplicate, for a person
  // Email domains that say nothing about the company (gmail.com, …); nullopt: the built-in list.
  std::optional<std::vector<std::string>> free_mail_domains;
  Location where;  // the line of identity:, for errors found later
};

// The /v1 business API (docs/api.md).
struct ApiConfig {
  double rate_per_second = 20;  // per API key, sustained
  int burst = 40;               // per API key, at once after a quiet spell
  std::size_t max_body_bytes = 64 * 1024;
  int threads = 4;              // workers that serve /v1 requests (storage reads block)
};

struct ConnectorConfig {
  std::string name;      // key under connectors:
  std::string type;      // stripe | zendesk | netsuite | salesforce | http
  std::string base_url;  // http:// or https://, without a trailing '/'
  Location where;        // the line of its name
  // Inbound.
  Secret webhook_secret;
  int signature_tolerance_seconds = 300;
  // Outbound credentials, by platform (unused fields stay empty).
  Secret api_key;                                                // stripe; http (bearer)
  std::string api_version;                                       // stripe: Stripe-Version
  std::string email;                                             // zendesk
  Secret api_token;                                              // zendesk
  Secret oauth_token;  // zendesk: sent as Bearer instead of email + api_token
  std::string account_id;                                        // netsuite
  Secret consumer_key, consumer_secret, token_id, token_secret;  // netsuite TBA
  Secret client_id, client_secret;                               // salesforce OAuth
  std::string login_url;  // salesforce token endpoint base; defaults to base_url
  // Salesforce JWT bearer flow (instead of client_secret): the user the token is for, the
  // connected app's RSA private key (PEM, absolute after loading) and the JWT's audience.
  std::string username;
  std::string private_key_file;
  std::string audience;  // defaults to https://login.salesforce.com when the flow is used
  // Delivery limits.
  double rate_per_second = 0;  // 0: unlimited
  int burst = 0;               // 0 with a rate: the rate rounded up (filled in by loading)
  int max_concurrency = 0;     // 0: unlimited
  int timeout_seconds = 30;    // one outbound request, connecting included
  // Backfill polling (pollers/): 0 is off; a never-polled connector starts this far back.
  int poll_interval_seconds = 0;
  int poll_look_back_seconds = 3600;
};

// A business SLO (src/slo/): either an SLA objective (`sla` set: the fraction of the SLA's
// outcomes met over a rolling window must stay at or above `objective`) or an exception
// backlog (`max_open` set: open exceptions of the workflow must not exceed it). Which workflow
// and SLA exist is checked against the workflows once they are loaded (slo::validate_slos).
struct SloConfig {
  std::string name;
  std::string workflow;
  std::string sla;                // SLA objective: the name of one of the workflow's slas:
  double objective = 0;           // in (0, 1): the fraction of outcomes that must be met
  std::int64_t window_ms = 3'600'000;  // the rolling window the ratio is computed over
  std::optional<int> max_open;    // exception backlog: the most open exceptions that are fine
  Location where;                 // the line of the list item
  Location workflow_where, sla_where;  // the lines of workflow: and sla:, for errors found later
  bool backlog() const { return max_open.has_value(); }
};

// Where SLO alerts go: a webhook that gets a signed JSON POST per breach (and per recovery).
struct AlertsConfig {
  std::string webhook_url;  // http(s)://…; may carry credentials, so never logged whole
  Secret secret;            // HMAC-SHA256 key of the signature header
  int timeout_seconds = 10;  // one delivery attempt
  // The breach window: while an SLO stays breached, at most one alert per this long.
  std::int64_t repeat_after_ms = 3'600'000;
  Location where;
};

struct Config {
  std::string path;      // the file it was loaded from
  std::string base_dir;  // its directory, absolute: relative paths in the file are relative to it
  HubConfig hub;
  StorageConfig storage;
  LogConfig log;
  EngineConfig engine;
  IdentityConfig identity;
  ApiConfig api;
  std::map<std::string, ConnectorConfig> connectors;
  std::vector<SloConfig> slos;
  std::optional<AlertsConfig> alerts;  // none: SLOs are computed and shown, nobody is alerted
  std::optional<std::string> workflows_dir;  // absolute after loading
  std::optional<std::string> mappings_dir;   // absolute after loading
  // Canonical event schemas added to (or replacing) the built-in ones; absolute after loading.
  std::optional<std::string> schemas_dir;
};

// The identity rules there are.
const std::vector<std::string>& identity_rules();

// Known connector types.
const std::vector<std::string>& connector_types();

// Whether `name` may name a connector: a-z, 0-9, '_' and '-' (it is the webhook path
// /hooks/NAME, and the system in a /v1 reference "stripe:cus_123").
bool is_connector_name(std::string_view name);

// Loads and validates. On failure, every error found (not just the first).
Result<Config, std::vector<ConfigError>> load(const std::string& path);

// The same, from text (tests). `file` names it in error messages.
Result<Config, std::vector<ConfigError>> parse(const std::string& text, const std::string& file,
                                               const std::string& base_dir = ".");

// Substitutes ${VAR} and ${VAR:-default} in one scalar. Unset VAR without a default is an
// error naming VAR. "$${" escapes to a literal "${".
// Like the shell, ":-" also applies when VAR is set but empty, and a default may itself hold
// ${...}. The error never contains the value of any variable.
Result<std::string, std::string> substitute_env(const std::string& text);

struct ListenAddress {
  std::string host;  // IPv6 without its brackets
  std::uint16_t port = 0;
};

// "HOST:PORT", "[IPV6]:PORT"; port 0 means any free port. The error is a phrase to follow the
// name of where the text came from: "--listen " + error reads "--listen has no port (...)".
Result<ListenAddress, std::string> parse_listen(std::string_view text);

// Accepted storage URLs: sqlite:PATH, sqlite://PATH (sqlite:///abs/path is absolute),
// postgres://..., postgresql://..., or a bare file path (taken as sqlite). The error names the
// problem, never the URL (a postgres URL may carry a password).
Result<void, std::string> validate_storage_url(const std::string& url);

// Makes a sqlite URL or bare path absolute against base_dir (itself made absolute against the
// working directory): "sqlite:data/weft.db" in /etc/weft gives "sqlite:/etc/weft/data/weft.db".
// postgres URLs and "sqlite::memory:" come back unchanged, and so does a URL that
// validate_storage_url rejects. `weft serve --storage URL` passes the working directory.
std::string resolve_storage_url(const std::string& url, const std::string& base_dir);
// The database file of a SQLite URL or bare path; none for other URLs and ":memory:".
std::optional<std::string> sqlite_path(const std::string& url);
// The URL fit for logs and error messages: a password in it is replaced by "***".
std::string redact_storage_url(const std::string& url);

}  // namespace weft::config
