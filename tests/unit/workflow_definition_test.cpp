// The workflow language: parsing into the model, every error at the line to edit, versions
// side by side in a catalog. YAML documents are written inline, starting on line 1 right after
// R"(, so the line numbers in the expectations can be counted in this file.

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "engine/definition.hpp"
#include "engine/definition_parser.hpp"
#include "engine/definition_validator.hpp"
#include "engine/workflow_catalog.hpp"
#include "support/process.hpp"

namespace weft::engine {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

using test::TempDir;

// The checks of the language alone, with real jq: no config, no catalogues.
ValidationOptions dsl_only() { return ValidationOptions{}; }

// What `weft check` would print for this document: "wf.yaml:LINE: message", one per error.
std::vector<std::string> errors_of(const std::string& yaml,
                                   const ValidationOptions& options = dsl_only()) {
  auto loaded = load_definition(yaml, "wf.yaml", options);
  std::vector<std::string> out;
  if (loaded) return out;
  for (const auto& error : loaded.error()) out.push_back(error.to_string());
  return out;
}

// The one error a document produces; fails the test when there is not exactly one.
std::string only_error(const std::string& yaml, const ValidationOptions& options = dsl_only()) {
  const auto errors = errors_of(yaml, options);
  EXPECT_EQ(errors.size(), 1u) << ::testing::PrintToString(errors);
  return errors.empty() ? std::string() : errors.front();
}

WorkflowDefinition load_ok(const std::string& yaml, const ValidationOptions& options = dsl_only()) {
  auto loaded = load_definition(yaml, "wf.yaml", options);
  if (!loaded) {
    ADD_FAILURE() << config::format_errors(loaded.error());
    return {};
  }
  return std::move(loaded).value();
}

// --- a full workflow ------------------------------------------------------------------------

const std::string kServiceCredit = R"(name: service-credit
version: 3
description: Support-driven service credit
trigger:
  event: case.credit_requested
  filter: '.payload.amount > 0'
  key: '.payload.account_id'
deadline: 7d
vars:
  auto_approve_limit: 500
  currency: "EUR"
  tiers: [gold, silver]
slas:
  - {name: approval-to-erp, from: approved, to: erp_posted, limit: 15m}
steps:
  - id: enrich
    description: Look up the account's invoices
    call: stripe.list_invoices
    with: '{customer: .event.payload.customer_id}'
    output: invoices
    retry: {max_attempts: 3, initial_delay: 500ms, multiplier: 3, max_delay: 1m, jitter: equal}
  - id: route
    decide:
      - when: '.event.payload.amount <= .vars.auto_approve_limit'
        milestone: approved
        steps: []
      - otherwise: true
        steps:
          - id: approval
            wait:
              approval: {role: finance-ops, title: 'Credit of {{ .event.payload.amount }} for {{.event.payload.customer_id}}'}
              timeout: 72h
              on_timeout:
                - id: expired
                  fail: approval timed out
          - id: check_decision
            decide:
              - when: '.approval.approved'
                milestone: approved
                steps: []
              - otherwise: true
                steps:
                  - {id: rejected, fail: finance rejected the credit}
  - id: credit_note
    call: stripe.create_credit_note
    with: '{invoice: .invoices.data[0].id, amount: .event.payload.amount}'
    compensate:
      call: stripe.void_credit_note
      with: '{id: .credit_note.id}'
  - id: post_everywhere
    milestone: erp_posted
    parallel:
      - name: erp
        steps:
          - {id: erp_memo, call: netsuite.create_credit_memo, with: '{amount: .event.payload.amount}'}
      - name: ticket
        steps:
          - id: paid
            output: payment
            wait:
              event: {type: invoice.paid, key: '.invoices.data[0].id', match: '.event.payload.amount > 0'}
              timeout: 1h
              on_timeout: []
          - {id: note_ticket, call: zendesk.add_comment, with: '{body: "credited"}'}
)";

TEST(WorkflowDefinition, FullWorkflowParsesIntoTheModel) {
  ValidationOptions options;
  options.connectors = std::map<std::string, std::string, std::less<>>{
      {"stripe", "stripe"}, {"netsuite", "netsuite"}, {"zendesk", "zendesk"}};
  options.action_known = [](std::string_view, std::string_view) { return true; };
  options.event_known = [](std::string_view) { return true; };
  const WorkflowDefinition d = load_ok(kServiceCredit, options);

  EXPECT_EQ(d.name, "service-credit");
  EXPECT_EQ(d.version, 3);
  EXPECT_EQ(d.description, "Support-driven service credit");
  EXPECT_EQ(d.where.file, "wf.yaml");
  EXPECT_EQ(d.where.line, 1);
  EXPECT_EQ(d.trigger.events, std::vector<std::string>{"case.credit_requested"});
  EXPECT_EQ(d.trigger.event_where.line, 5);
  ASSERT_TRUE(d.trigger.filter);
  EXPECT_EQ(d.trigger.filter->text, ".payload.amount > 0");
  EXPECT_EQ(d.trigger.filter->where.line, 6);
  EXPECT_EQ(d.trigger.key.text, ".payload.account_id");
  EXPECT_EQ(d.deadline, std::chrono::hours(7 * 24));
  EXPECT_EQ(d.deadline_where.line, 8);
  // Quoted "EUR" stays text, plain 500 is a number, lists carry over.
  EXPECT_EQ(nlohmann::json::parse(d.vars_json),
            nlohmann::json(
                {{"auto_approve_limit", 500}, {"currency", "EUR"}, {"tiers", {"gold", "silver"}}}));

  ASSERT_EQ(d.slas.size(), 1u);
  EXPECT_EQ(d.slas[0].name, "approval-to-erp");
  EXPECT_EQ(d.slas[0].from, "approved");
  EXPECT_EQ(d.slas[0].to, "erp_posted");
  EXPECT_EQ(d.slas[0].limit, 15min);
  EXPECT_EQ(d.slas[0].where.line, 14);

  ASSERT_EQ(d.steps.size(), 4u);
  const Step& enrich = d.steps[0];
  EXPECT_EQ(enrich.id, "enrich");
  EXPECT_EQ(enrich.where.line, 16);
  EXPECT_EQ(enrich.description, "Look up the account's invoices");
  EXPECT_EQ(kind_name(enrich.body), "call");
  const auto* call = enrich.as<CallStep>();
  ASSERT_NE(call, nullptr);
  EXPECT_EQ(call->call.connector, "stripe");
  EXPECT_EQ(call->call.action, "list_invoices");
  EXPECT_EQ(call->call.where.line, 18);
  ASSERT_TRUE(call->with);
  EXPECT_EQ(call->with->text, "{customer: .event.payload.customer_id}");
  EXPECT_EQ(call->with->where.line, 19);
  EXPECT_EQ(call->output, "invoices");
  EXPECT_EQ(call->retry.max_attempts, 3);
  EXPECT_EQ(call->retry.initial_delay, 500ms);
  EXPECT_EQ(call->retry.multiplier, 3.0);
  EXPECT_EQ(call->retry.max_delay, 1min);
  EXPECT_EQ(call->retry.jitter, delivery::Jitter::equal);
  EXPECT_EQ(call->retry_where.line, 21);
  EXPECT_FALSE(call->compensate);

  const auto* route = d.steps[1].as<DecideStep>();
  ASSERT_NE(route, nullptr);
  ASSERT_EQ(route->branches.size(), 2u);
  EXPECT_FALSE(route->branches[0].otherwise());
  EXPECT_EQ(route->branches[0].when->text, ".event.payload.amount <= .vars.auto_approve_limit");
  EXPECT_EQ(route->branches[0].milestone, "approved");
  EXPECT_TRUE(route->branches[0].steps.empty());
  EXPECT_TRUE(route->branches[1].otherwise());
  EXPECT_EQ(route->branches[1].where.line, 27);
  ASSERT_EQ(route->branches[1].steps.size(), 2u);

  const Step& approval_step = route->branches[1].steps[0];
  const auto* wait = approval_step.as<WaitStep>();
  ASSERT_NE(wait, nullptr);
  EXPECT_EQ(wait->output, "approval");  // the step id by default
  EXPECT_EQ(wait->timeout, 72h);
  EXPECT_EQ(wait->timeout_where.line, 32);
  const auto* approval = std::get_if<ApprovalWait>(&wait->on);
  ASSERT_NE(approval, nullptr);
  EXPECT_EQ(approval->role, "finance-ops");
  ASSERT_TRUE(approval->title);
  EXPECT_EQ(approval->title->literals, (std::vector<std::string>{"Credit of ", " for ", ""}));
  ASSERT_EQ(approval->title->exprs.size(), 2u);
  EXPECT_EQ(approval->title->exprs[0].text, ".event.payload.amount");
  EXPECT_EQ(approval->title->exprs[1].text, ".event.payload.customer_id");
  ASSERT_TRUE(wait->on_timeout);
  ASSERT_EQ(wait->on_timeout->size(), 1u);
  EXPECT_EQ((*wait->on_timeout)[0].as<FailStep>()->reason, "approval timed out");

  const auto* credit = d.steps[2].as<CallStep>();
  ASSERT_NE(credit, nullptr);
  EXPECT_EQ(credit->output, "credit_note");
  EXPECT_EQ(credit->retry.max_attempts, delivery::RetryPolicy{}.max_attempts);
  EXPECT_EQ(credit->retry_where.line, 0);  // defaults
  ASSERT_TRUE(credit->compensate);
  EXPECT_EQ(credit->compensate->call.connector, "stripe");
  EXPECT_EQ(credit->compensate->call.action, "void_credit_note");
  EXPECT_EQ(credit->compensate->with->text, "{id: .credit_note.id}");
  EXPECT_EQ(credit->compensate->where.line, 47);

  const Step& post = d.steps[3];
  EXPECT_EQ(post.milestone, "erp_posted");
  const auto* parallel = post.as<ParallelStep>();
  ASSERT_NE(parallel, nullptr);
  ASSERT_EQ(parallel->branches.size(), 2u);
  EXPECT_EQ(parallel->branches[0].name, "erp");
  EXPECT_EQ(parallel->branches[0].steps[0].as<CallStep>()->call.connector, "netsuite");
  EXPECT_EQ(parallel->branches[1].name, "ticket");
  const auto* paid = parallel->branches[1].steps[0].as<WaitStep>();
  ASSERT_NE(paid, nullptr);
  EXPECT_EQ(paid->output, "payment");
  const auto* event = std::get_if<EventWait>(&paid->on);
  ASSERT_NE(event, nullptr);
  EXPECT_EQ(event->type, "invoice.paid");
  EXPECT_EQ(event->key->text, ".invoices.data[0].id");
  EXPECT_EQ(event->match->text, ".event.payload.amount > 0");
  ASSERT_TRUE(paid->on_timeout);
  EXPECT_TRUE(paid->on_timeout->empty());

  // Every step, nested ones included, in document order.
  std::vector<std::string> ids;
  for_each_step(d.steps, [&](const Step& step) { ids.push_back(step.id); });
  EXPECT_EQ(ids, (std::vector<std::string>{"enrich", "route", "approval", "expired",
                                           "check_decision", "rejected", "credit_note",
                                           "post_everywhere", "erp_memo", "paid", "note_ticket"}));
  ASSERT_NE(find_step(d, "note_ticket"), nullptr);
  EXPECT_EQ(find_step(d, "note_ticket")->where.line, 64);
  EXPECT_EQ(find_step(d, "nope"), nullptr);
}

TEST(WorkflowDefinition, DefaultsFillWhatIsLeftOut) {
  const WorkflowDefinition d = load_ok(R"(name: minimal
version: 1
trigger: case.opened
steps:
  - id: note
    call: zendesk.add_comment
)");
  EXPECT_EQ(d.trigger.events, std::vector<std::string>{"case.opened"});
  EXPECT_EQ(d.trigger.key.text, ".business_key");
  EXPECT_FALSE(d.trigger.filter);
  EXPECT_FALSE(d.deadline);
  EXPECT_EQ(d.vars_json, "{}");
  const auto* call = d.steps[0].as<CallStep>();
  ASSERT_NE(call, nullptr);
  EXPECT_FALSE(call->with);
  EXPECT_EQ(call->output, "note");
}

TEST(WorkflowDefinition, TriggerMayListSeveralEventTypes) {
  const WorkflowDefinition d = load_ok(R"(name: posting
version: 1
trigger:
  event: [invoice.issued, invoice.paid]
steps:
  - {id: post, call: netsuite.upsert_invoice}
)");
  EXPECT_EQ(d.trigger.events, (std::vector<std::string>{"invoice.issued", "invoice.paid"}));
  EXPECT_EQ(d.trigger.event_where.line, 4);
}

TEST(WorkflowDefinition, TriggerEventListsAreChecked) {
  const std::string steps = "steps:\n  - {id: post, call: netsuite.upsert_invoice}\n";
  EXPECT_EQ(only_error("name: p\nversion: 1\ntrigger: {event: []}\n" + steps),
            "wf.yaml:3: trigger: event lists no event type");
  EXPECT_EQ(only_error("name: p\nversion: 1\ntrigger:\n  event:\n    - invoice.paid\n    - invoice.paid\n" + steps),
            "wf.yaml:6: trigger: event type 'invoice.paid' is listed twice");
  EXPECT_EQ(only_error("name: p\nversion: 1\ntrigger:\n  event:\n    - invoice.paid\n    - Invoice Paid\n" + steps),
            "wf.yaml:6: trigger: event must be a canonical event type such as case.credit_requested (got 'Invoice Paid')");
  ValidationOptions options;
  options.event_known = [](std::string_view type) { return type != "invoice.payed"; };
  EXPECT_EQ(only_error("name: p\nversion: 1\ntrigger: {event: [invoice.issued, invoice.payed]}\n" + steps, options),
            "wf.yaml:3: trigger: unknown canonical event type 'invoice.payed'");
}

// The example in the language reference is what users copy: it must stay valid.
TEST(WorkflowDefinition, ReferenceExampleIsValid) {
  std::ifstream in(std::string(WEFT_SOURCE_DIR) + "/docs/workflows.md");
  ASSERT_TRUE(in);
  const std::string doc((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::size_t section = doc.find("## A complete example");
  ASSERT_NE(section, std::string::npos);
  const std::size_t start = doc.find("```yaml\n", section);
  ASSERT_NE(start, std::string::npos);
  const std::size_t body = start + 8;
  const std::size_t end = doc.find("```", body);
  ValidationOptions options;
  options.connectors = std::map<std::string, std::string, std::less<>>{
      {"stripe", "stripe"}, {"netsuite", "netsuite"}, {"zendesk", "zendesk"}};
  const WorkflowDefinition d = load_ok(doc.substr(body, end - body), options);
  EXPECT_EQ(d.name, "service-credit");
  EXPECT_EQ(d.slas.size(), 2u);
}

// --- one error, one line ---------------------------------------------------------------------

const std::string kHead = R"(name: w
version: 1
trigger: case.opened
steps:
)";  // steps start on line 5

TEST(WorkflowErrors, YamlSyntaxErrorCarriesItsLine) {
  EXPECT_EQ(only_error(kHead + "  - id: a\n    call: [stripe.x\n"),
            "wf.yaml:7: invalid YAML: end of sequence flow not found");
}

TEST(WorkflowErrors, UnknownTopLevelKeySuggestsTheNearestOne) {
  EXPECT_EQ(only_error(R"(name: w
version: 1
trigger: case.opened
deadlne: 1h
steps:
  - {id: a, call: stripe.x}
)"),
            "wf.yaml:4: unknown key 'deadlne' (did you mean 'deadline'?)");
}

TEST(WorkflowErrors, MissingRequiredKeysAreReportedAtTheTop) {
  EXPECT_EQ(errors_of("name: w\ndescription: nothing else\n"),
            (std::vector<std::string>{
                "wf.yaml:1: missing 'version' (a positive integer, raised with each change)",
                "wf.yaml:1: missing 'trigger' (the event that starts it)",
                "wf.yaml:1: missing 'steps'"}));
}

TEST(WorkflowErrors, EmptyFileHasNoLine) {
  EXPECT_EQ(only_error(""),
            "wf.yaml: the file is empty; a workflow needs name, version, trigger and steps");
}

TEST(WorkflowErrors, BadNameAndVersion) {
  EXPECT_EQ(errors_of(R"(name: Service Credit
version: 0
trigger: case.opened
steps: [{id: a, call: stripe.x}]
)"),
            (std::vector<std::string>{
                "wf.yaml:1: name must be lowercase letters, digits and '-' (got 'Service Credit')",
                "wf.yaml:2: version must be an integer from 1 to 1000000 (got '0')"}));
}

TEST(WorkflowErrors, BadTriggerEventType) {
  EXPECT_EQ(
      only_error(
          "name: w\nversion: 1\ntrigger:\n  event: CaseOpened\nsteps: [{id: a, call: s.x}]\n"),
      "wf.yaml:4: trigger: event must be a canonical event type such as "
      "case.credit_requested (got 'CaseOpened')");
}

TEST(WorkflowErrors, BadDurationSaysWhy) {
  EXPECT_EQ(
      only_error(
          "name: w\nversion: 1\ntrigger: case.opened\ndeadline: 24\nsteps: [{id: a, call: s.x}]\n"),
      "wf.yaml:4: deadline needs a unit after the number: ms, s, m, h or d (e.g. 30s) (got '24')");
  EXPECT_EQ(
      only_error(
          "name: w\nversion: 1\ntrigger: case.opened\ndeadline: 0s\nsteps: [{id: a, call: s.x}]\n"),
      "wf.yaml:4: deadline must be longer than 0 (got '0s')");
}

TEST(WorkflowErrors, StepWithoutAKind) {
  EXPECT_EQ(
      only_error(kHead + "  - id: a\n    description: does nothing\n"),
      "wf.yaml:5: step 'a': needs one of call, decide, parallel, wait, fail (what the step does)");
}

TEST(WorkflowErrors, MisspeltKindIsOneErrorWithASuggestion) {
  EXPECT_EQ(only_error(kHead + "  - id: a\n    cal: stripe.x\n"),
            "wf.yaml:6: step 'a': unknown key 'cal' (did you mean 'call'?)");
}

TEST(WorkflowErrors, StepWithTwoKinds) {
  EXPECT_EQ(only_error(kHead + R"(  - id: a
    call: stripe.x
    fail: no
)"),
            "wf.yaml:7: step 'a': has both 'call' (line 6) and 'fail'; a step does one thing, so "
            "split it into two steps");
}

TEST(WorkflowErrors, KeyOfAnotherKind) {
  EXPECT_EQ(only_error(kHead + R"(  - id: a
    wait: {approval: {role: ops}, timeout: 1h}
    retry: {max_attempts: 2}
)"),
            "wf.yaml:7: step 'a': 'retry' applies only to call steps, not to a wait step");
}

TEST(WorkflowErrors, MissingId) {
  EXPECT_EQ(only_error(kHead + "  - call: stripe.x\n"),
            "wf.yaml:5: step: missing 'id' (unique in the workflow)");
}

TEST(WorkflowErrors, DuplicateKey) {
  EXPECT_EQ(only_error(kHead + "  - id: a\n    call: stripe.x\n    call: stripe.y\n"),
            "wf.yaml:7: duplicate key 'call' (first at line 6)");
}

TEST(WorkflowErrors, BadCallTarget) {
  EXPECT_EQ(only_error(kHead + "  - id: a\n    call: create_credit_note\n"),
            "wf.yaml:6: step 'a': call must be CONNECTOR.ACTION, e.g. stripe.create_credit_note "
            "(got 'create_credit_note')");
}

TEST(WorkflowErrors, UnquotedJqObjectGetsAQuotingHint) {
  EXPECT_EQ(only_error(kHead + "  - id: a\n    call: stripe.x\n    with: {id: .event.id}\n"),
            "wf.yaml:7: step 'a': with must be a jq program in a string; quote it, e.g. with: "
            "'{id: .event.payload.id}'");
}

TEST(WorkflowErrors, RetryValuesOutOfRange) {
  EXPECT_EQ(
      errors_of(kHead + R"(  - id: a
    call: stripe.x
    retry:
      max_attempts: 0
      multiplier: 0.5
      jiter: full
)"),
      (std::vector<std::string>{
          "wf.yaml:8: step 'a' retry: max_attempts must be an integer from 1 to 100 (got '0')",
          "wf.yaml:9: step 'a' retry: multiplier must be a number from 1 to 10 (got '0.5')",
          "wf.yaml:10: step 'a' retry: unknown key 'jiter' (did you mean 'jitter'?)"}));
}

TEST(WorkflowErrors, RetryMaxDelayBelowInitialDelay) {
  EXPECT_EQ(only_error(kHead + R"(  - id: a
    call: stripe.x
    retry: {initial_delay: 10s, max_delay: 1s}
)"),
            "wf.yaml:7: step 'a' retry: max_delay must be at least initial_delay (initial_delay "
            "10s, max_delay 1s)");
}

TEST(WorkflowErrors, RetryBadJitterAndBadRelationAreBothReported) {
  EXPECT_EQ(errors_of(kHead + R"(  - id: a
    call: stripe.x
    retry: {initial_delay: 10s, max_delay: 1s, jitter: ful}
)"),
            (std::vector<std::string>{
                "wf.yaml:7: step 'a' retry: jitter must be none, full or equal (got 'ful') (did "
                "you mean 'full'?)",
                "wf.yaml:7: step 'a' retry: max_delay must be at least initial_delay "
                "(initial_delay 10s, max_delay 1s)"}));
}

TEST(WorkflowErrors, DuplicateStepIdAcrossNesting) {
  EXPECT_EQ(only_error(kHead + R"(  - id: check
    call: stripe.x
  - id: route
    decide:
      - when: '.x'
        steps:
          - id: check
            call: stripe.y
      - otherwise: true
        steps: []
)"),
            "wf.yaml:11: step id 'check' is already used (line 5); ids must be unique in the "
            "workflow, nested steps included");
}

TEST(WorkflowErrors, OtherwiseMustBeLast) {
  EXPECT_EQ(only_error(kHead + R"(  - id: route
    decide:
      - otherwise: true
        steps: []
      - when: '.x'
        steps: []
)"),
            "wf.yaml:7: step 'route' branch 1: 'otherwise' must be the last branch; the branches "
            "after it could never run");
}

TEST(WorkflowErrors, DecideBranchShape) {
  EXPECT_EQ(
      errors_of(kHead + R"(  - id: route
    decide:
      - when: '.x'
        otherwise: true
        steps: []
      - steps: []
      - when: '.y'
)"),
      (std::vector<std::string>{
          "wf.yaml:7: step 'route' branch 1: has both when and otherwise; give one",
          "wf.yaml:10: step 'route' branch 2: needs when: (a jq predicate) or otherwise: true",
          "wf.yaml:11: step 'route' branch 3: missing 'steps' (steps: [] to do nothing)"}));
}

TEST(WorkflowErrors, EmptyDecide) {
  EXPECT_EQ(only_error(kHead + "  - id: route\n    decide: []\n"),
            "wf.yaml:5: step 'route': decide needs at least one branch");
}

TEST(WorkflowErrors, ParallelBranchesMayNotRaceOnAStateKey) {
  EXPECT_EQ(only_error(kHead + R"(  - id: both
    parallel:
      - name: erp
        steps:
          - {id: post_erp, call: netsuite.post, output: posting}
      - name: ticket
        steps:
          - {id: post_ticket, call: zendesk.post, output: posting}
)"),
            "wf.yaml:12: step 'post_ticket': branches 'erp' and 'ticket' of step 'both' both "
            "write state key 'posting'; they run at the same time, so which value is kept would "
            "be chance (give one of them another output:)");
}

TEST(WorkflowErrors, WaitNeedsATimeoutAndOneThingToWaitFor) {
  EXPECT_EQ(
      errors_of(kHead + R"(  - id: a
    wait:
      approval: {role: ops}
      event: {type: invoice.paid}
)"),
      (std::vector<std::string>{
          "wf.yaml:6: step 'a': wait needs a timeout (e.g. timeout: 72h); nothing waits forever",
          "wf.yaml:8: step 'a': wait has both approval and event; a wait is for one of them"}));
}

TEST(WorkflowErrors, WaitLongerThanTheDeadline) {
  EXPECT_EQ(only_error(R"(name: w
version: 1
trigger: case.opened
deadline: 1d
steps:
  - id: approval
    wait:
      approval: {role: finance-ops}
      timeout: 72h
)"),
            "wf.yaml:9: step 'approval': timeout (3d) is longer than the workflow's deadline (1d "
            "(line 4)), which would end the instance first");
}

TEST(WorkflowErrors, ApprovalTitleTemplate) {
  EXPECT_EQ(only_error(kHead + R"(  - id: a
    wait:
      approval: {role: ops, title: 'Credit of {{ .amount'}
      timeout: 1h
)"),
            "wf.yaml:7: step 'a' approval: title has a '{{' without its '}}'");
}

TEST(WorkflowErrors, SlaNamesAnUnknownMilestone) {
  EXPECT_EQ(only_error(R"(name: w
version: 1
trigger: case.opened
slas:
  - name: approval-to-erp
    from: aproved
    to: completed
    limit: 15m
steps:
  - {id: a, call: stripe.x, milestone: approved}
)"),
            "wf.yaml:6: sla 'approval-to-erp': from names milestone 'aproved', which no step or "
            "branch marks (did you mean 'approved'?)");
}

TEST(WorkflowErrors, SlaMissingItsLimit) {
  EXPECT_EQ(only_error("name: w\nversion: 1\ntrigger: case.opened\nslas:\n  - {name: s, from: "
                       "started, to: completed}\nsteps: [{id: a, call: s.x}]\n"),
            "wf.yaml:5: sla 's': missing 'limit'");
}

TEST(WorkflowErrors, BuiltInMilestoneCannotBeMarkedByAStep) {
  EXPECT_EQ(only_error(kHead + "  - {id: a, call: stripe.x, milestone: started}\n"),
            "wf.yaml:5: step 'a': milestone 'started' is marked by the engine itself (at the "
            "start or the end of every instance); choose another name");
}

TEST(WorkflowErrors, StepAfterAFailCanNeverRun) {
  EXPECT_EQ(only_error(kHead + R"(  - id: stop
    fail: not allowed
  - id: after
    call: stripe.x
)"),
            "wf.yaml:7: step 'after' can never run: step 'stop' before it always fails");
}

TEST(WorkflowErrors, OutputMayNotTakeAReservedStateKey) {
  EXPECT_EQ(only_error(kHead + "  - {id: a, call: stripe.x, output: event}\n"),
            "wf.yaml:5: step 'a': output 'event' is a state key the engine fills in (event, "
            "vars, instance); choose another with output:");
}

TEST(WorkflowErrors, JqErrorIsReportedAtTheLineOfItsKey) {
  const auto error = only_error(kHead + R"(  - id: a
    call: stripe.x
    with: '{id: .event.id'
)");
  EXPECT_TRUE(error.starts_with("wf.yaml:7: step 'a': with is not valid jq: syntax error"))
      << error;
}

TEST(WorkflowErrors, JqErrorInABlockScalarNamesTheProgramLine) {
  const auto error = only_error(kHead + R"(  - id: a
    call: stripe.x
    with: |
      {
        id: .event.id,
        amount: (.event.payload.amount
      }
)");
  EXPECT_TRUE(error.starts_with("wf.yaml:7: step 'a': with is not valid jq: line ")) << error;
}

TEST(WorkflowErrors, JqHookCanBeReplaced) {
  ValidationOptions options;
  options.jq_error = [](const std::string& program) -> std::optional<std::string> {
    if (program == ".forbidden") return "not allowed here";
    return std::nullopt;
  };
  EXPECT_EQ(only_error("name: w\nversion: 1\ntrigger: {event: case.opened, filter: .forbidden}\n"
                       "steps: [{id: a, call: s.x}]\n",
                       options),
            "wf.yaml:3: trigger: filter is not valid jq: not allowed here");
}

TEST(WorkflowErrors, UnknownConnectorSuggestsAConfiguredOne) {
  ValidationOptions options;
  options.connectors =
      std::map<std::string, std::string, std::less<>>{{"stripe", "stripe"}, {"zendesk", "zendesk"}};
  EXPECT_EQ(only_error(kHead + "  - id: a\n    call: strpe.create_credit_note\n", options),
            "wf.yaml:6: step 'a': unknown connector 'strpe' (did you mean 'stripe'?); "
            "configured: stripe, zendesk");
}

TEST(WorkflowErrors, UnknownActionForTheConnectorsPlatform) {
  ValidationOptions options;
  options.connectors = std::map<std::string, std::string, std::less<>>{{"billing", "stripe"}};
  options.action_known = [](std::string_view type, std::string_view action) {
    return type == "stripe" && action == "create_credit_note";
  };
  EXPECT_EQ(errors_of(kHead + R"(  - id: a
    call: billing.create_credit_note
    compensate: {call: billing.void_credit_note}
)",
                      options),
            (std::vector<std::string>{"wf.yaml:7: step 'a' compensate: connector 'billing' "
                                      "(stripe) has no action 'void_credit_note'"}));
}

TEST(WorkflowErrors, UnknownCanonicalEventType) {
  ValidationOptions options;
  options.event_known = [](std::string_view type) { return type == "case.opened"; };
  EXPECT_EQ(only_error(kHead + R"(  - id: a
    wait:
      event: {type: invoice.payed}
      timeout: 1h
)",
                       options),
            "wf.yaml:7: step 'a' event: unknown canonical event type 'invoice.payed'");
}

TEST(WorkflowErrors, SecondYamlDocument) {
  EXPECT_EQ(only_error(kHead + "  - {id: a, call: s.x}\n---\nname: other\n"),
            "wf.yaml:7: one workflow per file: a second YAML document starts here");
}

TEST(WorkflowErrors, VarsNamesMustBeReachableFromJq) {
  EXPECT_EQ(only_error("name: w\nversion: 1\ntrigger: case.opened\nvars:\n  auto-limit: 5\n"
                       "steps: [{id: a, call: s.x}]\n"),
            "wf.yaml:5: vars: 'auto-limit' must be a name jq can reach as .vars.NAME (letters, "
            "digits, '_')");
}

// --- several at once -------------------------------------------------------------------------

TEST(WorkflowErrors, EveryErrorOfAFileIsReportedInLineOrder) {
  ValidationOptions options;
  options.connectors = std::map<std::string, std::string, std::less<>>{{"stripe", "stripe"}};
  const auto errors = errors_of(R"(name: service-credit
version: two
trigger:
  event: case.credit_requested
  filter: '.payload.amount >'
slas:
  - {name: s, from: approved, to: posted, limit: 15m}
steps:
  - id: enrich
    call: stripe.list_invoices
    retry: {max_attempts: 500}
  - id: enrich
    call: netsuite.post
  - id: route
    decide:
      - otherwise: true
        steps: []
      - when: '.x'
        steps: []
)",
                                options);
  ASSERT_EQ(errors.size(), 8u) << ::testing::PrintToString(errors);
  EXPECT_EQ(errors[0], "wf.yaml:2: version must be an integer from 1 to 1000000 (got 'two')");
  EXPECT_TRUE(errors[1].starts_with("wf.yaml:5: trigger: filter is not valid jq: ")) << errors[1];
  EXPECT_EQ(errors[2],
            "wf.yaml:7: sla 's': from names milestone 'approved', which no step or branch marks");
  EXPECT_EQ(errors[3],
            "wf.yaml:7: sla 's': to names milestone 'posted', which no step or branch marks");
  EXPECT_EQ(errors[4],
            "wf.yaml:11: step 'enrich' retry: max_attempts must be an integer from 1 to 100 "
            "(got '500')");
  EXPECT_EQ(errors[5],
            "wf.yaml:12: step id 'enrich' is already used (line 9); ids must be unique in the "
            "workflow, nested steps included");
  EXPECT_TRUE(errors[6].starts_with("wf.yaml:13: step 'enrich': unknown connector 'netsuite'"))
      << errors[6];
  EXPECT_EQ(errors[7],
            "wf.yaml:16: step 'route' branch 1: 'otherwise' must be the last branch; the branches "
            "after it could never run");
}

// --- durations, templates, backoff -----------------------------------------------------------

TEST(Duration, ParsesEveryUnitAndCompounds) {
  EXPECT_EQ(parse_duration("250ms").value(), 250ms);
  EXPECT_EQ(parse_duration("30s").value(), 30s);
  EXPECT_EQ(parse_duration("15m").value(), 15min);
  EXPECT_EQ(parse_duration("24h").value(), 24h);
  EXPECT_EQ(parse_duration("7d").value(), std::chrono::hours(7 * 24));
  EXPECT_EQ(parse_duration("1h30m").value(), 90min);
  EXPECT_EQ(parse_duration("1m30s500ms").value(), 90500ms);
  EXPECT_EQ(parse_duration("0s").value(), 0ms);
}

TEST(Duration, RejectsWhatIsNotADuration) {
  EXPECT_EQ(parse_duration("").error(), "is empty (write e.g. 30s, 15m or 24h)");
  EXPECT_EQ(parse_duration("15").error(),
            "needs a unit after the number: ms, s, m, h or d (e.g. 30s)");
  EXPECT_EQ(parse_duration("15 m").error(), "has an unknown unit (use ms, s, m, h or d)");
  EXPECT_EQ(parse_duration("2w").error(), "has an unknown unit (use ms, s, m, h or d)");
  EXPECT_EQ(parse_duration("30sec").error(), "has an unknown unit (use ms, s, m, h or d)");
  EXPECT_EQ(parse_duration("-5s").error(), "cannot be negative");
  EXPECT_EQ(parse_duration("1.5h").error(), "has an unknown unit (use ms, s, m, h or d)");
  EXPECT_EQ(parse_duration("h").error(),
            "must be a number followed by a unit: ms, s, m, h or d (e.g. 30s)");
  EXPECT_EQ(parse_duration("30m1h").error(),
            "must give its units from largest to smallest, each once (e.g. 1h30m)");
  EXPECT_EQ(parse_duration("1m1m").error(),
            "must give its units from largest to smallest, each once (e.g. 1h30m)");
  EXPECT_EQ(parse_duration("3651d").error(), "must be at most 3650d");
  EXPECT_EQ(parse_duration("99999999999999999999999s").error(), "must be at most 3650d");
}

TEST(Duration, FormatsInTheShortestFormItParses) {
  for (const char* text : {"250ms", "30s", "15m", "23h", "7d", "1h30m", "1m30s500ms", "0s"}) {
    EXPECT_EQ(format_duration(parse_duration(text).value()), text);
  }
  EXPECT_EQ(format_duration(90min), "1h30m");
  EXPECT_EQ(format_duration(72h), "3d");
  EXPECT_EQ(format_duration(24h), "1d");
}

TEST(Template, SplitsLiteralsAndExpressions) {
  const Location where{"wf.yaml", 9};
  auto t = parse_template("{{.a}} and {{ .b | tostring }}!", where);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->literals, (std::vector<std::string>{"", " and ", "!"}));
  ASSERT_EQ(t->exprs.size(), 2u);
  EXPECT_EQ(t->exprs[1].text, ".b | tostring");
  EXPECT_EQ(t->exprs[1].where.line, 9);
  EXPECT_EQ(parse_template("plain", where)->literals, (std::vector<std::string>{"plain"}));
  EXPECT_EQ(parse_template("{{ }}", where).error(), "has an empty '{{ }}'");
}

// --- the catalog -----------------------------------------------------------------------------

std::string credit_workflow(int version, const std::string& event = "case.credit_requested") {
  return "name: service-credit\nversion: " + std::to_string(version) + "\ntrigger: " + event +
         "\nsteps:\n  - {id: a, call: stripe.x}\n";
}

TEST(WorkflowCatalog, KnowsWhichEventTypesSomeVersionWaitsFor) {
  TempDir dir;
  // Version 1 waits (nested in a decide branch) for invoice.paid; version 2 no longer does,
  // but instances of version 1 may still be waiting.
  dir.write("v1.yaml",
            "name: w\nversion: 1\ntrigger: case.opened\nsteps:\n"
            "  - id: route\n    decide:\n      - otherwise: true\n        steps:\n"
            "          - id: paid\n            wait: {event: {type: invoice.paid}, timeout: 1d}\n");
  dir.write("v2.yaml", "name: w\nversion: 2\ntrigger: case.opened\nsteps: [{id: a, call: s.x}]\n");
  auto catalog = WorkflowCatalog::load(dir.path().string(), dsl_only());
  ASSERT_TRUE(catalog) << config::format_errors(catalog.error());
  EXPECT_TRUE(catalog->awaited("invoice.paid"));
  EXPECT_FALSE(catalog->awaited("case.opened")) << "a trigger is not a wait";
  EXPECT_FALSE(catalog->awaited("invoice.issued"));
}

TEST(WorkflowCatalog, VersionsCoexistAndNewInstancesTakeTheLatest) {
  TempDir dir;
  dir.write("service-credit-v1.yaml", credit_workflow(1));
  dir.write("service-credit-v3.yaml", credit_workflow(3));
  dir.write("service-credit-v2.yml", credit_workflow(2, "case.escalated"));
  dir.write(
      "refund.yaml",
      "name: refund\nversion: 1\ntrigger: case.credit_requested\nsteps: [{id: a, call: s.x}]\n");
  dir.write("README.md", "not a workflow");

  auto catalog = WorkflowCatalog::load(dir.path().string(), dsl_only());
  ASSERT_TRUE(catalog) << config::format_errors(catalog.error());
  EXPECT_EQ(catalog->size(), 4u);
  EXPECT_EQ(catalog->versions("service-credit"), (std::vector<int>{1, 2, 3}));
  ASSERT_NE(catalog->latest("service-credit"), nullptr);
  EXPECT_EQ(catalog->latest("service-credit")->version, 3);
  // A running instance of version 2 still finds its definition.
  ASSERT_NE(catalog->find("service-credit", 2), nullptr);
  EXPECT_EQ(catalog->find("service-credit", 2)->trigger.events, std::vector<std::string>{"case.escalated"});
  EXPECT_EQ(catalog->find("service-credit", 4), nullptr);
  EXPECT_EQ(catalog->latest("nope"), nullptr);

  // Only latest versions start instances: version 2's trigger no longer does.
  EXPECT_TRUE(catalog->triggered_by("case.escalated").empty());
  const auto started = catalog->triggered_by("case.credit_requested");
  ASSERT_EQ(started.size(), 2u);
  EXPECT_EQ(started[0]->name, "refund");
  EXPECT_EQ(started[1]->name, "service-credit");
  EXPECT_EQ(started[1]->version, 3);
  EXPECT_EQ(catalog->latest_all().size(), 2u);
}

TEST(WorkflowCatalog, AWorkflowWithSeveralTriggerEventsIsTriggeredByEach) {
  TempDir dir;
  dir.write("posting.yaml",
            "name: posting\nversion: 1\ntrigger: {event: [invoice.issued, invoice.paid]}\n"
            "steps: [{id: a, call: s.x}]\n");
  auto catalog = WorkflowCatalog::load(dir.path().string(), dsl_only());
  ASSERT_TRUE(catalog) << config::format_errors(catalog.error());
  ASSERT_EQ(catalog->triggered_by("invoice.issued").size(), 1u);
  ASSERT_EQ(catalog->triggered_by("invoice.paid").size(), 1u);
  EXPECT_EQ(catalog->triggered_by("invoice.paid")[0]->name, "posting");
  EXPECT_TRUE(catalog->triggered_by("payment.failed").empty());
}

TEST(WorkflowCatalog, DuplicateNameAndVersionIsAnErrorNamingBothFiles) {
  TempDir dir;
  dir.write("a.yaml", credit_workflow(2));
  dir.write("b.yaml", "# copied from a.yaml\n" + credit_workflow(2));
  auto catalog = WorkflowCatalog::load(dir.path().string(), dsl_only());
  ASSERT_FALSE(catalog);
  ASSERT_EQ(catalog.error().size(), 1u);
  const std::string a = (dir.path() / "a.yaml").string();
  const std::string b = (dir.path() / "b.yaml").string();
  EXPECT_EQ(catalog.error()[0].to_string(),
            b + ":2: workflow 'service-credit' version 2 is already defined in " + a +
                ":1; raise the version of the newer one");
}

TEST(WorkflowCatalog, ErrorsOfEveryFileAreReported) {
  TempDir dir;
  dir.write("a.yaml", "name: a\nversion: 1\ntrigger: case.opened\nsteps: [{id: x, cal: s.x}]\n");
  dir.write("b.yaml", "name: b\nversion: 1\ntrigger: case.opened\nstepz: []\n");
  dir.write("c.yaml", credit_workflow(1));
  auto catalog = WorkflowCatalog::load(dir.path().string(), dsl_only());
  ASSERT_FALSE(catalog);
  std::vector<std::string> errors;
  for (const auto& error : catalog.error()) errors.push_back(error.to_string());
  const std::string a = (dir.path() / "a.yaml").string();
  const std::string b = (dir.path() / "b.yaml").string();
  EXPECT_EQ(errors,
            (std::vector<std::string>{a + ":4: step 'x': unknown key 'cal' (did you mean 'call'?)",
                                      b + ":1: missing 'steps'",
                                      b + ":4: unknown key 'stepz' (did you mean 'steps'?)"}));
}

TEST(WorkflowCatalog, MissingFolderIsAnError) {
  auto catalog = WorkflowCatalog::load("/nonexistent/weft-workflows", dsl_only());
  ASSERT_FALSE(catalog);
  EXPECT_EQ(catalog.error()[0].to_string(),
            "/nonexistent/weft-workflows: the workflows folder does not exist");
}

TEST(WorkflowCatalog, EmptyFolderHasNoWorkflows) {
  TempDir dir;
  auto catalog = WorkflowCatalog::load(dir.path().string(), dsl_only());
  ASSERT_TRUE(catalog);
  EXPECT_TRUE(catalog->empty());
}

TEST(WorkflowCatalog, ConfigConnectorsBecomeValidationOptions) {
  config::Config config;
  config.connectors["billing"].type = "stripe";
  const ValidationOptions options = validation_options(config);
  ASSERT_TRUE(options.connectors);
  EXPECT_EQ(options.connectors->at("billing"), "stripe");
  EXPECT_EQ(options.connectors->at("identity"), "identity");  // built in: no config entry
  EXPECT_TRUE(options.jq_error);
}

}  // namespace
}  // namespace weft::engine
