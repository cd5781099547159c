#include "config/config.hpp"
#include "support/process.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

namespace weft::config {
namespace {

namespace fs = std::filesystem;

// Sets (or unsets) one environment variable for the life of a test, then puts it back.
class ScopedEnv {
 public:
  ScopedEnv(std::string name, std::optional<std::string> value) : name_(std::move(name)) {
    if (const char* old = std::getenv(name_.c_str())) old_ = old;
    if (value) {
      ::setenv(name_.c_str(), value->c_str(), 1);
    } else {
      ::unsetenv(name_.c_str());
    }
  }
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_.c_str(), old_->c_str(), 1);
    } else {
      ::unsetenv(name_.c_str());
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  std::string name_;
  std::optional<std::string> old_;
};

using test::TempDir;

std::vector<ConfigError> errors_of(const std::string& yaml) {
  auto result = parse(yaml, "test.yaml", "/srv/weft");
  if (result) return {};
  return result.error();
}

// The one error a document produces; fails the test when there is not exactly one.
ConfigError only_error(const std::string& yaml) {
  const auto errors = errors_of(yaml);
  EXPECT_EQ(errors.size(), 1u) << format_errors(errors);
  return errors.empty() ? ConfigError{} : errors.front();
}

std::string root() { return fs::path(WEFT_SOURCE_DIR).lexically_normal().string(); }

// Every variable demo.yaml reads, unset, so the test sees the documented defaults whatever
// the machine running it has exported.
std::vector<std::unique_ptr<ScopedEnv>> unset_demo_env() {
  std::vector<std::unique_ptr<ScopedEnv>> env;
  for (const char* name :
       {"STRIPE_API_KEY", "STRIPE_WEBHOOK_SECRET", "ZENDESK_EMAIL", "ZENDESK_API_TOKEN",
        "ZENDESK_WEBHOOK_SECRET", "NETSUITE_ACCOUNT_ID", "NETSUITE_CONSUMER_KEY",
        "NETSUITE_CONSUMER_SECRET", "NETSUITE_TOKEN_ID", "NETSUITE_TOKEN_SECRET",
        "NETSUITE_WEBHOOK_SECRET", "SALESFORCE_CLIENT_ID", "SALESFORCE_CLIENT_SECRET",
        "SALESFORCE_WEBHOOK_SECRET"}) {
    env.push_back(std::make_unique<ScopedEnv>(name, std::nullopt));
  }
  return env;
}

const std::string kValidStripe = R"(connectors:
  stripe:
    type: stripe
    base_url: http://127.0.0.1:7171
    api_key: sk_test_x
    webhook_secret: whsec_x
)";

// --- demo.yaml ----------------------------------------------------------------------------

TEST(DemoConfig, LoadsWithItsDocumentedDefaults) {
  const auto env = unset_demo_env();
  const auto loaded = load(root() + "/examples/demo.yaml");
  ASSERT_TRUE(loaded) << format_errors(loaded.error());
  const Config& c = *loaded;
  EXPECT_EQ(c.base_dir, root() + "/examples");
  EXPECT_EQ(c.hub.listen_host, "127.0.0.1");
  EXPECT_EQ(c.hub.listen_port, 7070);
  EXPECT_EQ(c.storage.url, "sqlite:" + root() + "/data/demo/weft.db");
  EXPECT_EQ(c.log.level, "info");
  EXPECT_EQ(c.log.sink, "stderr");
  EXPECT_EQ(c.workflows_dir, root() + "/workflows");
  EXPECT_EQ(c.mappings_dir, root() + "/mappings");

  ASSERT_EQ(c.connectors.size(), 4u);
  for (const auto& [name, connector] : c.connectors) {
    EXPECT_EQ(connector.name, name);
    EXPECT_EQ(connector.type, name);
    EXPECT_EQ(connector.base_url, "http://127.0.0.1:7171");
    EXPECT_FALSE(connector.webhook_secret.empty()) << name;
  }
  const auto& stripe = c.connectors.at("stripe");
  EXPECT_EQ(stripe.api_key.reveal(), "sk_test_weft_demo");
  EXPECT_EQ(stripe.webhook_secret.reveal(), "whsec_weft_demo");
  EXPECT_EQ(stripe.api_version, "2024-06-20");
  EXPECT_EQ(stripe.rate_per_second, 25);

  const auto& zendesk = c.connectors.at("zendesk");
  EXPECT_EQ(zendesk.email, "demo@weft.example");
  EXPECT_EQ(zendesk.api_token.reveal(), "zd_demo_token");
  EXPECT_EQ(zendesk.webhook_secret.reveal(), "zd_demo_webhook_secret");

  const auto& netsuite = c.connectors.at("netsuite");
  EXPECT_EQ(netsuite.account_id, "1234567_SB1");
  EXPECT_EQ(netsuite.consumer_key.reveal(), "ns_demo_consumer_key");
  EXPECT_EQ(netsuite.consumer_secret.reveal(), "ns_demo_consumer_secret");
  EXPECT_EQ(netsuite.token_id.reveal(), "ns_demo_token_id");
  EXPECT_EQ(netsuite.token_secret.reveal(), "ns_demo_token_secret");
  EXPECT_EQ(netsuite.webhook_secret.reveal(), "ns_demo_webhook_secret");
  EXPECT_EQ(netsuite.max_concurrency, 5);

  const auto& salesforce = c.connectors.at("salesforce");
  EXPECT_EQ(salesforce.client_id.reveal(), "sf_demo_client_id");
  EXPECT_EQ(salesforce.client_secret.reveal(), "sf_demo_client_secret");
  EXPECT_EQ(salesforce.webhook_secret.reveal(), "sf_demo_webhook_secret");
  EXPECT_EQ(salesforce.login_url, "http://127.0.0.1:7171");
  EXPECT_EQ(salesforce.rate_per_second, 20);
}

TEST(DemoConfig, TakesSecretsFromTheEnvironment) {
  const auto env = unset_demo_env();
  const ScopedEnv key("STRIPE_API_KEY", "sk_test_from_env");
  const ScopedEnv email("ZENDESK_EMAIL", "ops@example.com");
  const auto loaded = load(root() + "/examples/demo.yaml");
  ASSERT_TRUE(loaded) << format_errors(loaded.error());
  EXPECT_EQ(loaded->connectors.at("stripe").api_key.reveal(), "sk_test_from_env");
  EXPECT_EQ(loaded->connectors.at("zendesk").email, "ops@example.com");
}

// --- substitution ------------------------------------------------------------------------

TEST(SubstituteEnv, ReplacesASetVariable) {
  const ScopedEnv v("WEFT_T_A", "alpha");
  EXPECT_EQ(*substitute_env("${WEFT_T_A}"), "alpha");
  EXPECT_EQ(*substitute_env("x-${WEFT_T_A}-y"), "x-alpha-y");
}

TEST(SubstituteEnv, UsesTheDefaultWhenUnset) {
  const ScopedEnv v("WEFT_T_A", std::nullopt);
  EXPECT_EQ(*substitute_env("${WEFT_T_A:-fallback}"), "fallback");
  EXPECT_EQ(*substitute_env("${WEFT_T_A:-a:b}c"), "a:bc");
}

TEST(SubstituteEnv, UsesTheDefaultWhenSetButEmpty) {
  const ScopedEnv v("WEFT_T_A", "");
  EXPECT_EQ(*substitute_env("${WEFT_T_A:-fallback}"), "fallback");
  EXPECT_EQ(*substitute_env("[${WEFT_T_A}]"), "[]");
}

TEST(SubstituteEnv, EmptyDefault) {
  const ScopedEnv v("WEFT_T_A", std::nullopt);
  EXPECT_EQ(*substitute_env("${WEFT_T_A:-}"), "");
  EXPECT_EQ(*substitute_env("a${WEFT_T_A:-}b"), "ab");
}

TEST(SubstituteEnv, UnsetWithoutDefaultIsAnErrorNamingTheVariable) {
  const ScopedEnv v("WEFT_T_MISSING", std::nullopt);
  const auto result = substitute_env("${WEFT_T_MISSING}");
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().find("WEFT_T_MISSING"), std::string::npos) << result.error();
}

TEST(SubstituteEnv, DoubleDollarEscapes) {
  const ScopedEnv v("WEFT_T_A", "alpha");
  EXPECT_EQ(*substitute_env("$${WEFT_T_A}"), "${WEFT_T_A}");
  EXPECT_EQ(*substitute_env("pa$${ss"), "pa${ss");
}

TEST(SubstituteEnv, SeveralInOneValue) {
  const ScopedEnv a("WEFT_T_A", "alpha");
  const ScopedEnv b("WEFT_T_B", "beta");
  const ScopedEnv c("WEFT_T_C", std::nullopt);
  EXPECT_EQ(*substitute_env("${WEFT_T_A}:${WEFT_T_B}/${WEFT_T_C:-gamma}$${x}"),
            "alpha:beta/gamma${x}");
}

TEST(SubstituteEnv, DefaultMayReferToAnotherVariable) {
  const ScopedEnv a("WEFT_T_A", std::nullopt);
  const ScopedEnv b("WEFT_T_B", "beta");
  EXPECT_EQ(*substitute_env("${WEFT_T_A:-${WEFT_T_B}}"), "beta");
  EXPECT_EQ(*substitute_env("${WEFT_T_A:-x${WEFT_T_A:-y}z}"), "xyz");
}

TEST(SubstituteEnv, PlainTextAndLoneDollarsAreKept) {
  EXPECT_EQ(*substitute_env(""), "");
  EXPECT_EQ(*substitute_env("price $5, {braces} $ and $$"), "price $5, {braces} $ and $$");
}

TEST(SubstituteEnv, MalformedReferencesAreErrors) {
  EXPECT_FALSE(substitute_env("${WEFT_T_A"));
  EXPECT_FALSE(substitute_env("${}"));
  EXPECT_FALSE(substitute_env("${1ABC}"));
  EXPECT_FALSE(substitute_env("${A-B}"));
}

TEST(SubstituteEnv, HappensAfterParsingSoValuesMayHoldYamlSyntax) {
  // A value that would break the document if pasted into it textually.
  const ScopedEnv key("WEFT_T_KEY", "sk_test_#: [x]\n  y: {z}");
  const auto loaded = parse(R"(connectors:
  stripe:
    type: stripe
    base_url: http://127.0.0.1:7171
    api_key: ${WEFT_T_KEY}
    webhook_secret: whsec_x
)",
                            "test.yaml");
  ASSERT_TRUE(loaded) << format_errors(loaded.error());
  EXPECT_EQ(loaded->connectors.at("stripe").api_key.reveal(), "sk_test_#: [x]\n  y: {z}");
}

TEST(SubstituteEnv, UnsetVariableInTheFileIsReportedAtItsLine) {
  const ScopedEnv v("WEFT_T_UNSET", std::nullopt);
  const auto e = only_error(R"(connectors:
  stripe:
    type: stripe
    base_url: http://127.0.0.1:7171
    api_key: ${WEFT_T_UNSET}
    webhook_secret: whsec_x
)");
  EXPECT_EQ(e.where.line, 5);
  EXPECT_NE(e.message.find("WEFT_T_UNSET"), std::string::npos) << e.message;
  EXPECT_NE(e.message.find("connectors.stripe.api_key"), std::string::npos) << e.message;
}

TEST(SubstituteEnv, NumbersCanComeFromTheEnvironment) {
  const ScopedEnv v("WEFT_T_THREADS", "3");
  const auto loaded = parse("hub:\n  threads: ${WEFT_T_THREADS}\n", "test.yaml");
  ASSERT_TRUE(loaded) << format_errors(loaded.error());
  EXPECT_EQ(loaded->hub.threads, 3);
}

// --- errors and their lines ---------------------------------------------------------------

TEST(ConfigErrors, ToStringIsFileLineMessage) {
  EXPECT_EQ((ConfigError{{"a.yaml", 3}, "bad"}).to_string(), "a.yaml:3: bad");
  EXPECT_EQ((ConfigError{{"a.yaml", 0}, "missing"}).to_string(), "a.yaml: missing");
}

TEST(ConfigErrors, YamlSyntaxErrorHasItsLine) {
  const auto e = only_error("hub:\n  listen: \"127.0.0.1:7070\"\n  threads: [1, 2\n");
  EXPECT_GT(e.where.line, 2);
  EXPECT_NE(e.message.find("YAML"), std::string::npos) << e.message;
  const auto tab = only_error("hub:\n  threads: 1\n storage: x\n");
  EXPECT_EQ(tab.where.line, 3) << tab.message;
}

TEST(ConfigErrors, UnknownKeySuggestsTheNearestOne) {
  const auto e = only_error("hub:\n  listne: 127.0.0.1:7070\n");
  EXPECT_EQ(e.to_string(), "test.yaml:2: unknown key 'listne' in hub (did you mean 'listen'?)");
}

TEST(ConfigErrors, UnknownTopLevelKey) {
  const auto e = only_error("hub: {}\nconnector:\n  x: {}\n");
  EXPECT_EQ(e.where.line, 2);
  EXPECT_NE(e.message.find("did you mean 'connectors'?"), std::string::npos) << e.message;
  const auto misplaced = only_error("listen: 127.0.0.1:1\n");
  EXPECT_NE(misplaced.message.find("belongs under hub"), std::string::npos) << misplaced.message;
}

TEST(ConfigErrors, UnknownConnectorKey) {
  const auto e = only_error(kValidStripe + "    api_kye: sk_live_oops\n");
  EXPECT_EQ(e.where.line, 7);
  EXPECT_NE(e.message.find("'api_kye' in connectors.stripe (did you mean 'api_key'?)"),
            std::string::npos)
      << e.message;
}

TEST(ConfigErrors, PortIsNotANumber) {
  const auto e = only_error("\nhub:\n  listen: 127.0.0.1:70x0\n");
  EXPECT_EQ(e.where.line, 3);
  EXPECT_NE(e.message.find("hub.listen"), std::string::npos) << e.message;
  EXPECT_NE(e.message.find("port '70x0'"), std::string::npos) << e.message;
}

TEST(ConfigErrors, BadListenAddress) {
  EXPECT_EQ(only_error("hub:\n  listen: localhost\n").where.line, 2);
  EXPECT_EQ(only_error("hub:\n  listen: \":7070\"\n").where.line, 2);
  EXPECT_EQ(only_error("hub:\n  listen: 127.0.0.1:70000\n").where.line, 2);
}

TEST(ConfigErrors, WrongTypes) {
  const auto threads = only_error("hub:\n  threads: -2\n");
  EXPECT_EQ(threads.to_string(),
            "test.yaml:2: hub.threads must be an integer from 0 to 256 (got '-2')");
  EXPECT_EQ(only_error("hub:\n  max_body_bytes: lots\n").where.line, 2);
  EXPECT_EQ(only_error("hub:\n  idle_timeout_seconds: 1.5\n").where.line, 2);
  EXPECT_EQ(only_error("storage:\n  max_batch: 0\n").where.line, 2);
  EXPECT_EQ(only_error("hub:\n  listen: [a, b]\n").where.line, 2);
  EXPECT_EQ(only_error("hub: 7070\n").where.line, 1);
  EXPECT_EQ(only_error("- a\n- b\n").where.line, 1);
  EXPECT_EQ(only_error(kValidStripe + "    rate_per_second: fast\n").where.line, 7);
  EXPECT_EQ(only_error(kValidStripe + "    max_concurrency: -1\n").where.line, 7);
}

// Every whole-number connector setting: its bounds are accepted, one past them is an error
// naming the range at the key's line.
TEST(ConfigErrors, ConnectorWholeNumbersKeepToTheirRanges) {
  struct Range {
    const char* key;
    int min, max;
  };
  for (const Range& r : {Range{"signature_tolerance_seconds", 1, 86400}, Range{"burst", 0, 1000000},
                         Range{"max_concurrency", 0, 10000}, Range{"timeout_seconds", 1, 3600},
                         Range{"poll_interval_seconds", 0, 86400},
                         Range{"poll_look_back_seconds", 0, 30 * 86400}}) {
    SCOPED_TRACE(r.key);
    const auto with = [&](int v) { return kValidStripe + "    " + r.key + ": " + std::to_string(v) + "\n"; };
    EXPECT_TRUE(parse(with(r.min), "test.yaml").ok());
    EXPECT_TRUE(parse(with(r.max), "test.yaml").ok());
    const std::string range = "from " + std::to_string(r.min) + " to " + std::to_string(r.max);
    for (int v : {r.min - 1, r.max + 1}) {
      const auto e = only_error(with(v));
      EXPECT_EQ(e.where.line, 7);
      EXPECT_NE(e.to_string().find(range), std::string::npos) << e.to_string();
    }
  }
}

TEST(EngineSection, DefaultsAndValues) {
  const auto defaults = parse("", "test.yaml");
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->engine.workers, 64);
  EXPECT_EQ(defaults->engine.max_batch, 1024u);
  EXPECT_EQ(defaults->engine.max_queue, 65536u);
  const auto set = parse("engine:\n  workers: 8\n  max_batch: 200\n  max_queue: 5000\n", "test.yaml");
  ASSERT_TRUE(set.ok()) << format_errors(set.error());
  EXPECT_EQ(set->engine.workers, 8);
  EXPECT_EQ(set->engine.max_batch, 200u);
  EXPECT_EQ(set->engine.max_queue, 5000u);
}

TEST(StorageSection, CommitIntervalDefaultsToFourMillisecondsAndTakesFractions) {
  const auto defaults = parse("", "test.yaml");
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->storage.commit_interval_ms, 4);
  const auto set = parse("storage:\n  commit_interval_ms: 0.5\n", "test.yaml");
  ASSERT_TRUE(set.ok()) << format_errors(set.error());
  EXPECT_EQ(set->storage.commit_interval_ms, 0.5);
  const auto off = parse("storage:\n  commit_interval_ms: 0\n", "test.yaml");
  ASSERT_TRUE(off.ok()) << format_errors(off.error());
  EXPECT_EQ(off->storage.commit_interval_ms, 0);
  EXPECT_EQ(only_error("storage:\n  commit_interval_ms: -1\n").to_string(),
            "test.yaml:2: storage.commit_interval_ms must be a number from 0 to 1000 (got '-1')");
  EXPECT_EQ(only_error("storage:\n\n  commit_interval_ms: soon\n").where.line, 3);
}

TEST(EngineSection, BadValuesAreReportedAtTheirLines) {
  EXPECT_EQ(only_error("engine:\n  workers: 0\n").to_string(),
            "test.yaml:2: engine.workers must be an integer from 1 to 1024 (got '0')");
  EXPECT_EQ(only_error("engine:\n\n  max_batch: many\n").where.line, 3);
  const auto typo = only_error("engine:\n  worker: 4\n");
  EXPECT_NE(typo.message.find("did you mean 'workers'?"), std::string::npos) << typo.message;
  const auto misplaced = only_error("workers: 4\n");
  EXPECT_NE(misplaced.message.find("belongs under engine"), std::string::npos) << misplaced.message;
}

TEST(ApiSection, DefaultsValuesAndBadValues) {
  const auto defaults = parse("", "test.yaml");
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->api.rate_per_second, 20);
  EXPECT_EQ(defaults->api.burst, 40);
  EXPECT_EQ(defaults->api.max_body_bytes, 65536u);
  const auto set = parse("api:\n  rate_per_second: 2.5\n  burst: 5\n  max_body_bytes: 4096\n  threads: 2\n", "test.yaml");
  ASSERT_TRUE(set.ok()) << format_errors(set.error());
  EXPECT_EQ(set->api.rate_per_second, 2.5);
  EXPECT_EQ(set->api.burst, 5);
  EXPECT_EQ(set->api.max_body_bytes, 4096u);
  EXPECT_EQ(set->api.threads, 2);
  EXPECT_EQ(only_error("api:\n  burst: 0\n").where.line, 2);
  EXPECT_EQ(only_error("api:\n\n  max_body_bytes: 10\n").where.line, 3);
  const auto misplaced = only_error("burst: 4\n");
  EXPECT_NE(misplaced.message.find("belongs under"), std::string::npos) << misplaced.message;
}

TEST(ConfigErrors, MissingRequiredFieldIsReportedAtTheConnector) {
  const auto e = only_error(R"(connectors:

  zendesk:
    type: zendesk
    base_url: https://acme.zendesk.com
    email: ops@acme.example
    webhook_secret: s
)");
  EXPECT_EQ(e.to_string(),
            "test.yaml:3: connectors.zendesk: missing required key 'api_token' (required for "
            "type zendesk)");
}

TEST(ConfigErrors, EmptyRequiredFieldIsReportedAtItsLine) {
  const ScopedEnv v("WEFT_T_EMPTY", std::nullopt);
  const auto e = only_error(R"(connectors:
  stripe:
    type: stripe
    base_url: http://127.0.0.1:7171
    api_key: ${WEFT_T_EMPTY:-}
    webhook_secret: whsec_x
)");
  EXPECT_EQ(e.where.line, 5);
  EXPECT_NE(e.message.find("api_key is empty"), std::string::npos) << e.message;
}

TEST(ConfigErrors, EveryTypeRequiresItsCredentials) {
  const auto errors = errors_of(R"(connectors:
  a: {type: stripe, base_url: "http://h"}
  b: {type: zendesk, base_url: "http://h"}
  c: {type: netsuite, base_url: "http://h"}
  d: {type: salesforce, base_url: "http://h"}
)");
  std::map<int, int> per_line;
  for (const auto& e : errors) ++per_line[e.where.line];
  EXPECT_EQ(per_line[2], 2);  // webhook_secret, api_key
  EXPECT_EQ(per_line[3], 3);  // webhook_secret, email, api_token
  EXPECT_EQ(per_line[4], 6);  // account_id, 4 TBA credentials, webhook_secret
  EXPECT_EQ(per_line[5], 3);  // client_id, client_secret, webhook_secret
}

TEST(ConfigErrors, UnknownConnectorType) {
  const auto e = only_error(R"(connectors:
  billing:
    type: strpe
    base_url: http://127.0.0.1:7171
)");
  EXPECT_EQ(e.where.line, 3);
  EXPECT_NE(e.message.find("(got 'strpe'; did you mean 'stripe'?)"), std::string::npos)
      << e.message;
}

TEST(ConfigErrors, MissingType) {
  const auto e = only_error("connectors:\n  billing:\n    base_url: http://h\n");
  EXPECT_EQ(e.where.line, 2);
  EXPECT_NE(e.message.find("missing required key 'type'"), std::string::npos) << e.message;
}

TEST(ConfigErrors, KeyOfAnotherPlatform) {
  const auto e = only_error(kValidStripe + "    email: ops@acme.example\n");
  EXPECT_EQ(e.where.line, 7);
  EXPECT_NE(e.message.find("email does not apply to type stripe"), std::string::npos) << e.message;
}

TEST(ConfigErrors, BadConnectorName) {
  const auto e = only_error(R"(connectors:
  Stripe/EU:
    type: stripe
    base_url: http://127.0.0.1:7171
    api_key: k
    webhook_secret: w
)");
  EXPECT_EQ(e.where.line, 2);
  EXPECT_NE(e.message.find("a-z, 0-9"), std::string::npos) << e.message;
}

TEST(ConfigErrors, BaseUrlMustBeHttp) {
  const auto e = only_error(R"(connectors:
  stripe:
    type: stripe
    base_url: ftp://127.0.0.1:7171
    api_key: k
    webhook_secret: w
)");
  EXPECT_EQ(e.where.line, 4);
  EXPECT_NE(e.message.find("http:// or https://"), std::string::npos) << e.message;
}

TEST(ConfigErrors, BadStorageUrlScheme) {
  const auto e = only_error("storage:\n  url: mysql://db/weft\n");
  EXPECT_EQ(e.where.line, 2);
  EXPECT_NE(e.message.find("unknown scheme 'mysql:'"), std::string::npos) << e.message;
}

TEST(ConfigErrors, UnknownSynchronousValue) {
  const auto e = only_error("storage:\n  synchronous: fulll\n");
  EXPECT_EQ(e.to_string(),
            "test.yaml:2: storage.synchronous must be one of full, normal (got 'fulll'; did you "
            "mean 'full'?)");
}

TEST(ConfigErrors, UnknownLogLevel) {
  const auto e = only_error("log:\n  level: verbose\n");
  EXPECT_EQ(e.where.line, 2);
  EXPECT_NE(e.message.find("debug, info, warn, error"), std::string::npos) << e.message;
}

TEST(ConfigErrors, DuplicateKey) {
  const auto e = only_error("hub:\n  threads: 1\n  threads: 2\n");
  EXPECT_EQ(e.to_string(), "test.yaml:3: duplicate key 'threads' in hub (first at line 2)");
}

TEST(ConfigErrors, SecondDocument) {
  EXPECT_EQ(only_error("hub: {}\n---\nlog: {}\n").where.line, 3);
}

TEST(ConfigErrors, FileNotFound) {
  const TempDir dir;
  const std::string path = (dir.path() / "missing.yaml").string();
  const auto loaded = load(path);
  ASSERT_FALSE(loaded);
  ASSERT_EQ(loaded.error().size(), 1u);
  EXPECT_EQ(loaded.error()[0].where.file, path);
  EXPECT_EQ(loaded.error()[0].where.line, 0);
  EXPECT_NE(loaded.error()[0].message.find("No such file"), std::string::npos);
}

TEST(ConfigErrors, DirectoryIsNotAConfigFile) {
  const TempDir dir;
  const auto loaded = load(dir.path().string());
  ASSERT_FALSE(loaded);
  EXPECT_NE(loaded.error()[0].message.find("directory"), std::string::npos);
}

TEST(ConfigErrors, UnreadableFile) {
  // A directory where the file should be cannot be read, whoever runs the test (root reads
  // any file, so permissions would not do).
  const TempDir dir;
  const fs::path not_a_file = dir.path() / "weft.yaml";
  fs::create_directory(not_a_file);
  const auto loaded = load(not_a_file.string());
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error()[0].where.file, not_a_file.string());
  EXPECT_FALSE(loaded.error()[0].message.empty());
}

TEST(ConfigErrors, AllAreReportedInLineOrder) {
  const ScopedEnv v("WEFT_T_UNSET", std::nullopt);
  const auto errors = errors_of(R"(hub:
  listne: 127.0.0.1:7070
  threads: -1
storage:
  url: mysql://db
  synchronous: sometimes
log:
  level: loud
connectors:
  stripe:
    type: stripe
    base_url: http://127.0.0.1:7171
    api_key: ${WEFT_T_UNSET}
  zendesk:
    type: zendesk
    base_url: nope
    email: ops@acme.example
    api_token: t
    webhook_secret: w
)");
  std::vector<int> lines;
  for (const auto& e : errors) lines.push_back(e.where.line);
  // 10: stripe has no webhook_secret.
  EXPECT_EQ(lines, (std::vector<int>{2, 3, 5, 6, 8, 10, 13, 16})) << format_errors(errors);
}

// --- secrets ------------------------------------------------------------------------------

TEST(ConfigSecrets, NeverAppearInErrors) {
  const std::string secret = "sk_live_TOPSECRET_4242";
  const ScopedEnv env_secret("WEFT_T_SECRET", secret);
  const auto errors = errors_of(R"(storage:
  url: mysql://admin:sk_live_TOPSECRET_4242@db/weft
hub:
  threads: ${WEFT_T_SECRET}
  listen: ${WEFT_T_SECRET}
log:
  level: ${WEFT_T_SECRET}
connectors:
  zendesk:
    type: zendesk
    base_url: https://user:sk_live_TOPSECRET_4242@acme.zendesk.com/
    email: ${WEFT_T_SECRET}
    api_token: t
    webhook_secret: w
    api_key: sk_live_TOPSECRET_4242
    api_kye: sk_live_TOPSECRET_4242
  stripe:
    type: ${WEFT_T_SECRET}
    base_url: ${WEFT_T_SECRET}
    api_key: {value: sk_live_TOPSECRET_4242}
    webhook_secret: ${WEFT_T_SECRET}${WEFT_T_UNSET_TOO}
)");
  ASSERT_GE(errors.size(), 10u) << format_errors(errors);
  for (const auto& e : errors) {
    EXPECT_EQ(e.to_string().find("TOPSECRET"), std::string::npos) << e.to_string();
  }
}

TEST(ConfigSecrets, SecretFieldErrorsDoNotQuoteTheValue) {
  const auto e = only_error(R"(connectors:
  zendesk:
    type: zendesk
    base_url: https://acme.zendesk.com
    email: ops@acme.example
    api_token: zd_TOPSECRET
    webhook_secret: w
    consumer_secret: ns_TOPSECRET
)");
  EXPECT_EQ(e.where.line, 8);
  EXPECT_NE(e.message.find("consumer_secret"), std::string::npos);
  EXPECT_EQ(e.to_string().find("TOPSECRET"), std::string::npos) << e.to_string();
}

// --- listen --------------------------------------------------------------------------------

TEST(ParseListen, Accepts) {
  const auto a = parse_listen("127.0.0.1:7070");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 7070);
  const auto any = parse_listen("0.0.0.0:0");
  ASSERT_TRUE(any);
  EXPECT_EQ(any->port, 0);
  const auto v6 = parse_listen("[::1]:8080");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 8080);
  const auto name = parse_listen("localhost:65535");
  ASSERT_TRUE(name);
  EXPECT_EQ(name->host, "localhost");
  EXPECT_EQ(name->port, 65535);
}

TEST(ParseListen, Rejects) {
  for (const char* bad : {"", "127.0.0.1", ":7070", "localhost:", "localhost:65536", "localhost:-1",
                          "localhost:+1", "localhost:80a", "::1:80", "[::1]80", "[::1", "[]:80",
                          "[nothost]:80", "http://localhost:80", "a b:80"}) {
    EXPECT_FALSE(parse_listen(bad)) << bad;
  }
}

TEST(ParseListen, ConfigSetsHostAndPort) {
  const auto loaded = parse("hub:\n  listen: \"[::]:9000\"\n", "test.yaml");
  ASSERT_TRUE(loaded) << format_errors(loaded.error());
  EXPECT_EQ(loaded->hub.listen_host, "::");
  EXPECT_EQ(loaded->hub.listen_port, 9000);
}

// --- storage url and paths -----------------------------------------------------------------

TEST(StorageUrl, ResolvesSqlitePathsAgainstTheBaseDir) {
  EXPECT_EQ(resolve_storage_url("sqlite:data/weft.db", "/etc/weft"),
            "sqlite:/etc/weft/data/weft.db");
  EXPECT_EQ(resolve_storage_url("sqlite:../data/demo/weft.db", "/repo/examples"),
            "sqlite:/repo/data/demo/weft.db");
  EXPECT_EQ(resolve_storage_url("sqlite://rel.db", "/etc/weft"), "sqlite:/etc/weft/rel.db");
  EXPECT_EQ(resolve_storage_url("sqlite:///var/lib/weft.db", "/etc/weft"),
            "sqlite:/var/lib/weft.db");
  EXPECT_EQ(resolve_storage_url("sqlite:/var/lib/weft.db", "/etc/weft"), "sqlite:/var/lib/weft.db");
  EXPECT_EQ(resolve_storage_url("weft.db", "/etc/weft"), "sqlite:/etc/weft/weft.db");
  EXPECT_EQ(resolve_storage_url("/abs/weft.db", "/etc/weft"), "sqlite:/abs/weft.db");
}

TEST(StorageUrl, RelativeBaseDirIsTakenFromTheWorkingDirectory) {
  const std::string cwd = fs::current_path().string();
  EXPECT_EQ(resolve_storage_url("sqlite:x.db", "."), "sqlite:" + cwd + "/x.db");
}

TEST(StorageUrl, LeavesOthersAlone) {
  EXPECT_EQ(resolve_storage_url("postgres://u:p@db/weft", "/etc"), "postgres://u:p@db/weft");
  EXPECT_EQ(resolve_storage_url("postgresql://db/weft", "/etc"), "postgresql://db/weft");
  EXPECT_EQ(resolve_storage_url("sqlite::memory:", "/etc"), "sqlite::memory:");
  EXPECT_EQ(resolve_storage_url("mysql://db", "/etc"), "mysql://db");
}

TEST(StorageUrl, Validation) {
  for (const char* good :
       {"sqlite:a.db", "sqlite://a.db", "sqlite:///a.db", "a.db", "data/weft.db", "/var/weft.db",
        "postgres://db/weft", "postgresql://u:p@db:5432/weft", "sqlite::memory:"}) {
    EXPECT_TRUE(validate_storage_url(good)) << good;
  }
  for (const char* bad :
       {"", "sqlite:", "sqlite://", "mysql://db", "postgres:db", "postgres://", "file:weft.db"}) {
    EXPECT_FALSE(validate_storage_url(bad)) << bad;
  }
}

TEST(LoadPaths, AreRelativeToTheConfigFile) {
  const TempDir dir;
  const fs::path file = dir.write("etc/weft.yaml", R"(storage:
  url: sqlite:state/weft.db
log:
  sink: logs/weft.log
workflows_dir: ../workflows
mappings_dir: maps/
)");
  const auto loaded = load(file.string());
  ASSERT_TRUE(loaded) << format_errors(loaded.error());
  const std::string etc = (dir.path() / "etc").string();
  EXPECT_EQ(loaded->path, file.string());
  EXPECT_EQ(loaded->base_dir, etc);
  EXPECT_EQ(loaded->storage.url, "sqlite:" + etc + "/state/weft.db");
  EXPECT_EQ(loaded->log.sink, etc + "/logs/weft.log");
  EXPECT_EQ(loaded->workflows_dir, (dir.path() / "workflows").string());
  EXPECT_EQ(loaded->mappings_dir, etc + "/maps");
}

TEST(LoadPaths, DefaultStorageIsNextToTheConfigFile) {
  const TempDir dir;
  const fs::path file = dir.write("weft.yaml", "hub:\n  threads: 2\n");
  const auto loaded = load(file.string());
  ASSERT_TRUE(loaded) << format_errors(loaded.error());
  EXPECT_EQ(loaded->storage.url, "sqlite:" + (dir.path() / "data/weft.db").string());
  EXPECT_FALSE(loaded->workflows_dir);
}

// --- defaults ------------------------------------------------------------------------------

TEST(ConfigDefaults, EmptyFileGivesEveryDefault) {
  for (const char* text : {"", "# nothing\n", "hub:\nstorage:\nlog:\nconnectors:\n"}) {
    const auto loaded = parse(text, "test.yaml", "/srv/weft");
    ASSERT_TRUE(loaded) << text << format_errors(loaded.error());
    EXPECT_EQ(loaded->hub.listen_host, "127.0.0.1");
    EXPECT_EQ(loaded->hub.listen_port, 7070);
    EXPECT_EQ(loaded->hub.threads, 0);
    EXPECT_EQ(loaded->hub.max_body_bytes, 1024u * 1024u);
    EXPECT_EQ(loaded->storage.url, "sqlite:/srv/weft/data/weft.db");
    EXPECT_EQ(loaded->storage.synchronous, "full");
    EXPECT_EQ(loaded->log.level, "info");
    EXPECT_TRUE(loaded->connectors.empty());
  }
}

TEST(ConfigDefaults, ConnectorLimitsAndUrls) {
  const auto loaded = parse(kValidStripe + "    rate_per_second: 2.5\n", "test.yaml");
  ASSERT_TRUE(loaded) << format_errors(loaded.error());
  const auto& stripe = loaded->connectors.at("stripe");
  EXPECT_EQ(stripe.where.line, 2);
  EXPECT_EQ(stripe.signature_tolerance_seconds, 300);
  EXPECT_DOUBLE_EQ(stripe.rate_per_second, 2.5);
  EXPECT_EQ(stripe.burst, 3);
  EXPECT_EQ(stripe.max_concurrency, 0);

  const auto trailing = parse(R"(connectors:
  sf:
    type: salesforce
    base_url: https://acme.my.salesforce.com/
    client_id: id
    client_secret: s
    webhook_secret: w
)",
                              "test.yaml");
  ASSERT_TRUE(trailing) << format_errors(trailing.error());
  EXPECT_EQ(trailing->connectors.at("sf").base_url, "https://acme.my.salesforce.com");
  EXPECT_EQ(trailing->connectors.at("sf").login_url, "https://acme.my.salesforce.com");
}

TEST(ConfigConnectors, ZendeskOAuthTokenReplacesEmailAndApiToken) {
  const auto parsed = parse(R"(connectors:
  zd:
    type: zendesk
    base_url: https://acme.zendesk.com
    oauth_token: oauth-abc
    webhook_secret: w
)",
                            "test.yaml");
  ASSERT_TRUE(parsed) << format_errors(parsed.error());
  EXPECT_EQ(parsed->connectors.at("zd").oauth_token.reveal(), "oauth-abc");
  EXPECT_TRUE(parsed->connectors.at("zd").api_token.empty());
  // Another platform has no use for it.
  const auto e = only_error(R"(connectors:
  s: {type: stripe, base_url: "http://h", api_key: k, webhook_secret: w, oauth_token: t}
)");
  EXPECT_NE(e.message.find("oauth_token does not apply to type stripe"), std::string::npos)
      << e.message;
}

TEST(ConfigConnectors, SalesforceJwtBearerReplacesTheClientSecret) {
  const TempDir dir;
  dir.write("keys/sf.pem", "-----BEGIN PRIVATE KEY-----\n");
  const auto parsed = parse(R"(connectors:
  sf:
    type: salesforce
    base_url: https://acme.my.salesforce.com
    login_url: https://login.salesforce.com
    client_id: consumer-key
    username: integration@acme.example
    private_key_file: keys/sf.pem
    api_version: "60.0"
    webhook_secret: w
)",
                            "test.yaml", dir.path().string());
  ASSERT_TRUE(parsed) << format_errors(parsed.error());
  const auto& sf = parsed->connectors.at("sf");
  EXPECT_EQ(sf.username, "integration@acme.example");
  EXPECT_EQ(sf.private_key_file, (dir.path() / "keys/sf.pem").string());
  EXPECT_EQ(sf.audience, "https://login.salesforce.com");  // the default
  EXPECT_EQ(sf.api_version, "60.0");
  EXPECT_TRUE(sf.client_secret.empty());
}

TEST(ConfigErrors, SalesforceJwtKeysGoTogetherAndTheKeyMustBeReadable) {
  const auto lone = only_error(R"(connectors:
  sf:
    type: salesforce
    base_url: https://acme.my.salesforce.com
    client_id: id
    client_secret: s
    username: integration@acme.example
    webhook_secret: w
)");
  EXPECT_EQ(lone.to_string(),
            "test.yaml:2: connectors.sf: username and private_key_file go together (JWT bearer "
            "flow)");
  const auto audience = only_error(R"(connectors:
  sf:
    type: salesforce
    base_url: https://acme.my.salesforce.com
    client_id: id
    client_secret: s
    audience: https://test.salesforce.com
    webhook_secret: w
)");
  EXPECT_EQ(audience.where.line, 7);
  EXPECT_NE(audience.message.find("audience applies only to the JWT bearer flow"),
            std::string::npos);
  const auto unreadable = only_error(R"(connectors:
  sf:
    type: salesforce
    base_url: https://acme.my.salesforce.com
    client_id: id
    username: u@acme.example
    private_key_file: /nonexistent/sf.pem
    webhook_secret: w
)");
  EXPECT_EQ(unreadable.to_string(),
            "test.yaml:7: connectors.sf.private_key_file cannot be read (got "
            "'/nonexistent/sf.pem')");
}

TEST(ConfigErrors, SalesforceApiVersionMustLookLikeOne) {
  const auto with_version = [](const std::string& version) {
    return "connectors:\n  sf:\n    type: salesforce\n    base_url: http://h\n"
           "    client_id: i\n    client_secret: s\n    webhook_secret: w\n"
           "    api_version: " +
           version + "\n";
  };
  EXPECT_TRUE(errors_of(with_version("\"61.0\"")).empty());
  EXPECT_TRUE(errors_of(with_version("v61.0")).empty());
  const auto e = only_error(with_version("latest"));
  EXPECT_EQ(e.to_string(),
            "test.yaml:8: connectors.sf.api_version must be a Salesforce API version such as "
            "v61.0 (got 'latest')");
}

TEST(ConfigDefaults, ConnectorTypesAreTheFourPlatformsAndGenericHttp) {
  EXPECT_EQ(connector_types(),
            (std::vector<std::string>{"stripe", "zendesk", "netsuite", "salesforce", "http"}));
}

}  // namespace
}  // namespace weft::config

namespace weft::config {
namespace {

TEST(ConfigPolling, OffByDefaultAndReadWhenGiven) {
  auto plain = parse(kValidStripe, "test.yaml", "/srv/weft");
  ASSERT_TRUE(plain) << format_errors(plain.error());
  EXPECT_EQ(plain->connectors.at("stripe").poll_interval_seconds, 0);
  EXPECT_EQ(plain->connectors.at("stripe").poll_look_back_seconds, 3600);

  auto polled = parse(kValidStripe + "    poll_interval_seconds: 60\n    poll_look_back_seconds: 86400\n",
                      "test.yaml", "/srv/weft");
  ASSERT_TRUE(polled) << format_errors(polled.error());
  EXPECT_EQ(polled->connectors.at("stripe").poll_interval_seconds, 60);
  EXPECT_EQ(polled->connectors.at("stripe").poll_look_back_seconds, 86400);
}

TEST(ConfigPolling, OutOfRangeAndOutboundOnlyTypesAreRefused) {
  const auto too_far = only_error(kValidStripe + "    poll_look_back_seconds: 9999999\n");
  EXPECT_EQ(too_far.where.line, 7);
  EXPECT_NE(too_far.message.find("poll_look_back_seconds"), std::string::npos) << too_far.message;

  const auto http = only_error(
      "connectors:\n  svc:\n    type: http\n    base_url: http://svc.test\n"
      "    poll_interval_seconds: 60\n");
  EXPECT_EQ(http.where.line, 5);
  EXPECT_NE(http.message.find("does not apply to type http"), std::string::npos) << http.message;
}

}  // namespace
}  // namespace weft::config

namespace weft::config {
namespace {

TEST(ConfigHubTls, AbsentMeansPlainHttpAndPathsAreRelativeToTheFile) {
  EXPECT_FALSE(parse("hub:\n  listen: 127.0.0.1:7070\n", "test.yaml")->hub.tls.has_value());
  const TempDir dir;
  dir.write("tls/server.pem", "x");
  dir.write("tls/server.key", "x");
  dir.write("tls/ca.pem", "x");
  const auto parsed = parse(R"(hub:
  listen: 0.0.0.0:7443
  tls:
    cert_file: tls/server.pem
    key_file: tls/server.key
    client_ca_file: tls/ca.pem
    min_version: "1.3"
)",
                            "test.yaml", dir.path().string());
  ASSERT_TRUE(parsed) << format_errors(parsed.error());
  ASSERT_TRUE(parsed->hub.tls.has_value());
  const TlsConfig& tls = *parsed->hub.tls;
  EXPECT_EQ(tls.cert_file, (dir.path() / "tls/server.pem").string());
  EXPECT_EQ(tls.key_file, (dir.path() / "tls/server.key").string());
  EXPECT_EQ(tls.client_ca_file, (dir.path() / "tls/ca.pem").string());
  EXPECT_EQ(tls.min_version, "1.3");
  EXPECT_EQ(tls.where.line, 3);
  EXPECT_EQ(tls.cert_file_line, 4);
  EXPECT_EQ(tls.key_file_line, 5);
  EXPECT_EQ(tls.client_ca_file_line, 6);

  const auto defaults = parse("hub:\n  tls:\n    cert_file: tls/server.pem\n    key_file: tls/server.key\n",
                              "test.yaml", dir.path().string());
  ASSERT_TRUE(defaults) << format_errors(defaults.error());
  EXPECT_EQ(defaults->hub.tls->min_version, "1.2");
  EXPECT_TRUE(defaults->hub.tls->client_ca_file.empty());
}

TEST(ConfigHubTls, EveryMistakeAtItsLine) {
  const auto errors = errors_of(R"(hub:
  tls:
    cert_file: /nonexistent/server.pem
    client_ca_file: ""
    min_version: "1.1"
    ciphers: ALL
)");
  ASSERT_EQ(errors.size(), 5u) << format_errors(errors);
  EXPECT_EQ(errors[0].to_string(), "test.yaml:2: hub.tls: missing required key 'key_file'");
  EXPECT_EQ(errors[1].to_string(),
            "test.yaml:3: hub.tls.cert_file names a file that does not exist (got '/nonexistent/server.pem')");
  EXPECT_EQ(errors[2].where.line, 4);
  EXPECT_NE(errors[2].message.find("hub.tls.client_ca_file is empty"), std::string::npos);
  EXPECT_EQ(errors[3].where.line, 5);
  EXPECT_NE(errors[3].message.find("hub.tls.min_version must be one of 1.2, 1.3"), std::string::npos)
      << errors[3].message;
  EXPECT_EQ(errors[4].to_string(), "test.yaml:6: unknown key 'ciphers' in hub.tls");

  EXPECT_EQ(only_error("hub:\n  tls: yes\n").to_string(),
            "test.yaml:2: hub.tls must be a mapping with cert_file and key_file (leave it out for plain "
            "HTTP)");
  EXPECT_NE(only_error("tls:\n  cert_file: a\n").message.find("it belongs under hub:"), std::string::npos);
}

}  // namespace
}  // namespace weft::config
