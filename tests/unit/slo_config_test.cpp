// The slos: and alerts: sections of the config: what they accept, every mistake reported at
// its line, the secret never quoted, and SLOs checked against the loaded workflows (unknown
// workflow or SLA named, with a suggestion) as `weft check` and `weft serve` do.

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "config/config.hpp"
#include "engine/workflow_catalog.hpp"
#include "slo/slo_validation.hpp"

namespace weft::config {
namespace {

std::vector<ConfigError> errors_of(const std::string& yaml) {
  auto result = parse(yaml, "weft.yaml", "/srv/weft");
  if (result) return {};
  return result.error();
}

std::string all(const std::vector<ConfigError>& errors) { return format_errors(errors); }

TEST(SloConfig, ReadsSlaObjectivesBacklogsAndAlerts) {
  ::setenv("WEFT_TEST_ALERT_SECRET", "s3cret-alerts", 1);
  auto cfg = parse(R"(slos:
  - name: credits-posted-fast
    workflow: service-credit
    sla: approval-to-erp
    objective: 0.99
    window: 1h
  - name: exception-backlog
    exceptions: {workflow: service-credit, max_open: 20}
alerts:
  webhook_url: https://alerts.example.com/weft/
  secret: ${WEFT_TEST_ALERT_SECRET}
  timeout: 5s
  repeat_after: 30m
)",
                   "weft.yaml");
  ASSERT_TRUE(cfg.ok()) << all(cfg.error());
  ASSERT_EQ(cfg->slos.size(), 2u);
  const SloConfig& fast = cfg->slos[0];
  EXPECT_EQ(fast.name, "credits-posted-fast");
  EXPECT_EQ(fast.workflow, "service-credit");
  EXPECT_EQ(fast.sla, "approval-to-erp");
  EXPECT_DOUBLE_EQ(fast.objective, 0.99);
  EXPECT_EQ(fast.window_ms, 3'600'000);
  EXPECT_FALSE(fast.backlog());
  EXPECT_EQ(fast.where.line, 2);
  EXPECT_EQ(fast.sla_where.line, 4);
  const SloConfig& backlog = cfg->slos[1];
  EXPECT_TRUE(backlog.backlog());
  EXPECT_EQ(backlog.workflow, "service-credit");
  EXPECT_EQ(backlog.max_open, 20);
  ASSERT_TRUE(cfg->alerts.has_value());
  EXPECT_EQ(cfg->alerts->webhook_url, "https://alerts.example.com/weft");
  EXPECT_EQ(cfg->alerts->secret.reveal(), "s3cret-alerts");
  EXPECT_EQ(cfg->alerts->timeout_seconds, 5);
  EXPECT_EQ(cfg->alerts->repeat_after_ms, 30 * 60'000);
  ::unsetenv("WEFT_TEST_ALERT_SECRET");
}

TEST(SloConfig, WithoutTheSectionsThereAreNoSlosAndNoAlerts) {
  auto cfg = parse("hub: {listen: '127.0.0.1:0'}\n", "weft.yaml");
  ASSERT_TRUE(cfg.ok());
  EXPECT_TRUE(cfg->slos.empty());
  EXPECT_FALSE(cfg->alerts.has_value());
}

TEST(SloConfig, EveryMistakeIsReportedAtItsLine) {
  const auto errors = errors_of(R"(slos:
  - name: Bad Name
    workflow: w
    sla: s
    objective: 1
  - name: no-window
    workflow: w
    sla: s
    objective: 0.9
    window: soon
  - name: both
    workflow: w
    sla: s
    objective: 0.9
    exceptions: {workflow: w, max_open: 3}
  - name: half
    workflow: w
  - name: backlog
    exceptions: {workflow: w, max_open: -1, colour: red}
  - name: no-window
    workflow: w
    sla: s
    objective: 0.5
  - just text
)");
  const std::string text = all(errors);
  EXPECT_NE(text.find("weft.yaml:2: slos[0].name may use only a-z"), std::string::npos) << text;
  EXPECT_NE(text.find("weft.yaml:5: slos[0].objective must be above 0 and below 1"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("weft.yaml:10: slos[1].window must be a number followed by a unit"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("weft.yaml:11: slos[2] has both exceptions: and sla:"), std::string::npos)
      << text;
  EXPECT_NE(text.find("weft.yaml:16: slos[3] has no sla"), std::string::npos) << text;
  EXPECT_NE(text.find("weft.yaml:16: slos[3] has no objective"), std::string::npos) << text;
  EXPECT_NE(text.find("weft.yaml:19: slos[4].exceptions.max_open must be an integer from 0"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("weft.yaml:19: unknown key 'colour' in slos[4].exceptions"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("weft.yaml:20: slos[5]: SLO name 'no-window' is used already (line 6)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("weft.yaml:24: slos[6] must be a mapping"), std::string::npos) << text;
}

TEST(SloConfig, AlertsNeedAWebhookAndASecretWhichIsNeverQuoted) {
  ::setenv("WEFT_TEST_ALERT_SECRET", "do-not-print-me", 1);
  const auto errors = errors_of(R"(alerts:
  webhook_url: ftp://alerts.example.com
  timeout: 1h
  repeat_after: 10s
  colour: red
)");
  const std::string text = all(errors);
  EXPECT_NE(text.find("weft.yaml:2: alerts.webhook_url must start with http:// or https://"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("weft.yaml:3: alerts.timeout must be at most 5m"), std::string::npos) << text;
  EXPECT_NE(text.find("weft.yaml:4: alerts.repeat_after must be at least 1m"), std::string::npos)
      << text;
  EXPECT_NE(text.find("weft.yaml:5: unknown key 'colour' in alerts"), std::string::npos) << text;
  EXPECT_NE(text.find("weft.yaml:1: alerts has no secret"), std::string::npos) << text;

  const auto bad_url = errors_of(
      "alerts:\n  webhook_url: ${WEFT_TEST_ALERT_SECRET}\n  secret: ${WEFT_TEST_ALERT_SECRET}\n");
  EXPECT_EQ(all(bad_url).find("do-not-print-me"), std::string::npos) << all(bad_url);
  EXPECT_FALSE(bad_url.empty());
  ::unsetenv("WEFT_TEST_ALERT_SECRET");
}

constexpr const char* kWorkflow = R"(name: service-credit
version: 1
trigger: {event: case.credit_requested}
slas:
  - {name: approval-to-erp, from: started, to: posted, limit: 15m}
steps:
  - id: post
    call: erp.create_credit_memo
    milestone: posted
)";

TEST(SloValidation, NamesAnUnknownWorkflowOrSlaAtItsLineWithASuggestion) {
  engine::WorkflowCatalog catalog;
  auto def = engine::load_definition(kWorkflow, "service-credit.yaml", engine::ValidationOptions{});
  ASSERT_TRUE(def.ok()) << all(def.error());
  ASSERT_TRUE(catalog.add(*def).ok());
  auto cfg = parse(R"(slos:
  - name: good
    workflow: service-credit
    sla: approval-to-erp
    objective: 0.99
  - name: typo-workflow
    workflow: service-credits
    sla: approval-to-erp
    objective: 0.99
  - name: typo-sla
    workflow: service-credit
    sla: approval-to-ERP
    objective: 0.99
  - name: unknown-sla
    workflow: service-credit
    sla: shipped
    objective: 0.99
  - name: backlog
    exceptions: {workflow: refund, max_open: 3}
)",
                   "weft.yaml");
  ASSERT_TRUE(cfg.ok()) << all(cfg.error());
  const std::string text = all(slo::validate_slos(cfg->slos, catalog));
  EXPECT_NE(
      text.find(
          "weft.yaml:7: SLO 'typo-workflow': no workflow named 'service-credits' (did you mean "
          "'service-credit'?)"),
      std::string::npos)
      << text;
  EXPECT_NE(text.find("weft.yaml:12: SLO 'typo-sla': workflow 'service-credit' has no SLA named "
                      "'approval-to-ERP'"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("weft.yaml:16: SLO 'unknown-sla': workflow 'service-credit' has no SLA named "
                      "'shipped' (its "
                      "SLAs: approval-to-erp)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("weft.yaml:19: SLO 'backlog': no workflow named 'refund'"), std::string::npos)
      << text;
  EXPECT_EQ(text.find("'good'"), std::string::npos) << text;

  auto none = slo::validate_slos(cfg->slos, engine::WorkflowCatalog());
  EXPECT_EQ(none.size(), 5u);
  EXPECT_NE(all(none).find("no workflows are loaded"), std::string::npos);
}

}  // namespace
}  // namespace weft::config
