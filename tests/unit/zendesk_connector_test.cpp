// The Zendesk connector's outbound side: the request each action builds, how answers are read
// (pagination, the read-before-write private comment), and how Zendesk's errors are classified.
#include "connectors/zendesk/zendesk_connector.hpp"

#include <gtest/gtest.h>

#include "connectors/outbound_registry.hpp"
#include "weft/manual_clock.hpp"

namespace weft::connectors::zendesk {
namespace {

using delivery::FailureClass;
using delivery::OutboundRequest;
using nlohmann::json;
using namespace std::chrono_literals;

const std::string kApi = "https://acme.zendesk.com/api/v2";
// base64("ops@acme.example/token:tok123"), computed independently.
const std::string kBasic = "Basic b3BzQGFjbWUuZXhhbXBsZS90b2tlbjp0b2sxMjM=";
// The first 16 hex of sha256("wf-1/step-note"), computed independently.
const std::string kMarker = "weft-ref: 146207ae039ef9d7";

config::ConnectorConfig zendesk_config() {
  config::ConnectorConfig c;
  c.name = "zendesk";
  c.type = "zendesk";
  c.base_url = "https://acme.zendesk.com";
  c.email = "ops@acme.example";
  c.api_token = config::Secret("tok123");
  c.timeout_seconds = 20;
  return c;
}

class ZendeskConnectorTest : public ::testing::Test {
 protected:
  std::shared_ptr<ManualClock> clock_ = std::make_shared<ManualClock>();
  ZendeskConnector connector_{zendesk_config(), clock_};

  static engine::ActionRequest action(std::string name, json input,
                                      std::string key = "wf-1/step-note") {
    engine::ActionRequest r;
    r.connector = "zendesk";
    r.action = std::move(name);
    r.input = std::move(input);
    r.idempotency_key = std::move(key);
    return r;
  }

  OutboundRequest prepared(const std::string& name, const json& input) const {
    auto out = connector_.prepare(action(name, input));
    EXPECT_TRUE(out) << (out ? "" : out.error().message);
    return out ? *out : OutboundRequest{};
  }

  std::string refused(const std::string& name, const json& input,
                      const std::string& key = "wf-1/step-note") const {
    auto out = connector_.prepare(action(name, input, key));
    EXPECT_FALSE(out) << name << " " << input.dump();
    if (out) return {};
    EXPECT_EQ(out.error().cls, FailureClass::validation);
    return out.error().message;
  }

  delivery::Failure classified(
      int status, std::string body,
      std::vector<std::pair<std::string, std::string>> headers = {}) const {
    delivery::Attempt attempt;
    attempt.response.status = status;
    attempt.response.body = std::move(body);
    for (auto& [k, v] : headers) attempt.response.headers.add(k, v);
    const auto failure = connector_.classifier().classify(attempt);
    EXPECT_TRUE(failure.has_value());
    return failure.value_or(delivery::Failure{});
  }
};

http::Response answer(int status, std::string body) {
  http::Response r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

std::string header(const OutboundRequest& r, std::string_view name) {
  return std::string(r.headers.get(name).value_or("<absent>"));
}

TEST_F(ZendeskConnectorTest, RegistryBuildsAZendeskConnectorForTheType) {
  config::Config config;
  config.connectors.emplace("zendesk", zendesk_config());
  std::vector<std::string> skipped;
  const auto connectors = make_outbound_connectors(config, clock_, &skipped);
  ASSERT_EQ(connectors.count("zendesk"), 1u);
  EXPECT_EQ(connectors.at("zendesk")->type(), "zendesk");
  EXPECT_TRUE(skipped.empty());
}

TEST_F(ZendeskConnectorTest, AuthenticatesWithEmailSlashTokenBasicAuth) {
  const auto r = prepared("get_ticket", {{"id", 35436}});
  EXPECT_EQ(header(r, "Authorization"), kBasic);
  EXPECT_EQ(header(r, "Accept"), "application/json");
  EXPECT_EQ(r.timeout, 20s);
}

TEST_F(ZendeskConnectorTest, AnOAuthTokenIsSentAsBearerInstead) {
  auto c = zendesk_config();
  c.oauth_token = config::Secret("oauth-abc");
  const ZendeskConnector oauth(c, clock_);
  const auto r = oauth.prepare(action("get_ticket", {{"id", 1}}));
  ASSERT_TRUE(r);
  EXPECT_EQ(header(*r, "Authorization"), "Bearer oauth-abc");
}

TEST_F(ZendeskConnectorTest, GetTicketReadsOneTicketByIdGivenAsNumberOrDigits) {
  const auto r = prepared("get_ticket", {{"id", 35436}});
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.url, kApi + "/tickets/35436.json");
  EXPECT_TRUE(r.body.empty());
  EXPECT_EQ(header(r, "Idempotency-Key"), "<absent>");
  EXPECT_EQ(prepared("get_ticket", {{"id", "35436"}}).url, kApi + "/tickets/35436.json");
  // Other input is Zendesk's own query parameters.
  EXPECT_EQ(prepared("get_ticket", {{"id", 7}, {"include", json::array({"users", "groups"})}}).url,
            kApi + "/tickets/7.json?include=users%2Cgroups");
}

TEST_F(ZendeskConnectorTest, IdsMustBePositiveIntegers) {
  EXPECT_NE(refused("get_ticket", json::object()).find("id is required"), std::string::npos);
  for (const json& bad : {json(0), json(-3), json(1.5), json("12a"), json("../1"), json(""),
                          json(true), json::array({1})}) {
    const std::string message = refused("get_ticket", {{"id", bad}});
    EXPECT_NE(message.find("id must be a positive integer"), std::string::npos) << message;
  }
  EXPECT_NE(refused("get_ticket", json::array({1})).find("input must be an object"),
            std::string::npos);
  EXPECT_NE(refused("get_ticket", {{"id", 1}, {"include", {{"a", 1}}}}).find("include must be"),
            std::string::npos);
}

TEST_F(ZendeskConnectorTest, CreateTicketPostsTheFieldsWithTheStepsIdempotencyKey) {
  const json input{{"subject", "Refund"},
                   {"comment", {{"body", "Customer asked for a refund"}}},
                   {"requester_id", 20978392}};
  const auto r = prepared("create_ticket", input);
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.url, kApi + "/tickets.json");
  EXPECT_EQ(r.body, R"({"ticket":{"comment":{"body":"Customer asked for a refund"},)"
                    R"("requester_id":20978392,"subject":"Refund"}})");
  EXPECT_EQ(header(r, "Content-Type"), "application/json");
  EXPECT_EQ(header(r, "Idempotency-Key"), "wf-1/step-note");
  // Every attempt of the step builds the same request.
  const auto again = prepared("create_ticket", input);
  EXPECT_EQ(again.body, r.body);
  EXPECT_EQ(header(again, "Idempotency-Key"), header(r, "Idempotency-Key"));
}

TEST_F(ZendeskConnectorTest, AKeyLongerThanZendeskKeepsIsSentAsItsSha256) {
  const auto r =
      connector_.prepare(action("create_ticket", {{"subject", "x"}}, std::string(300, 'k')));
  ASSERT_TRUE(r);
  EXPECT_EQ(header(*r, "Idempotency-Key"),
            "17b16d8ef494060fefa36a6a41567b8c32d213a17e02b7eeae86158cc4495461");
}

TEST_F(ZendeskConnectorTest, AKeyThatIsNotPlainHeaderTextIsSentAsItsSha256) {
  const auto r = connector_.prepare(action("create_ticket", {{"subject", "x"}}, "wf-1\r\nX: y"));
  ASSERT_TRUE(r);
  const std::string sent = header(*r, "Idempotency-Key");
  EXPECT_EQ(sent.size(), 64u);
  EXPECT_EQ(sent.find_first_not_of("0123456789abcdef"), std::string::npos) << sent;
}

TEST_F(ZendeskConnectorTest, CreateTicketRefusesAnIdNoFieldsOrNoKey) {
  EXPECT_NE(refused("create_ticket", {{"id", 1}, {"subject", "x"}}).find("no id"),
            std::string::npos);
  EXPECT_NE(refused("create_ticket", json::object()).find("ticket's fields"), std::string::npos);
  EXPECT_NE(refused("create_ticket", {{"subject", "x"}}, "").find("idempotency key"),
            std::string::npos);
}

TEST_F(ZendeskConnectorTest, UpdateTicketPutsConvergentFieldsWrappedInTicket) {
  const auto r = prepared("update_ticket", {{"id", 35436},
                                            {"status", "pending"},
                                            {"priority", "high"},
                                            {"custom_fields", {{{"id", 27642}, {"value", "745"}}}},
                                            {"additional_tags", {"credit_issued"}},
                                            {"remove_tags", {"awaiting_finance"}}});
  EXPECT_EQ(r.method, "PUT");
  EXPECT_EQ(r.url, kApi + "/tickets/35436.json");
  EXPECT_EQ(r.body, R"({"ticket":{"additional_tags":["credit_issued"],)"
                    R"("custom_fields":[{"id":27642,"value":"745"}],"priority":"high",)"
                    R"("remove_tags":["awaiting_finance"],"status":"pending"}})");
  EXPECT_EQ(header(r, "Content-Type"), "application/json");
}

TEST_F(ZendeskConnectorTest, UpdateTicketRefusesACommentAndAnEmptyUpdate) {
  EXPECT_NE(refused("update_ticket", {{"id", 1}, {"comment", {{"body", "x"}}}})
                .find("use add_private_comment"),
            std::string::npos);
  EXPECT_NE(refused("update_ticket", {{"id", 1}}).find("nothing to update"), std::string::npos);
}

// --- add_private_comment: read before write -------------------------------------------------

std::string comments_url(const std::string& after = "") {
  std::string url = kApi + "/tickets/35436/comments.json?sort_order=desc&page%5Bsize%5D=100";
  if (!after.empty()) url += "&page%5Bafter%5D=" + after;
  return url;
}

std::string comments_page(const json& comments, bool has_more = false,
                          const std::string& after = "") {
  return json{
      {"comments", comments},
      {"meta",
       {{"has_more", has_more}, {"after_cursor", after.empty() ? json(nullptr) : json(after)}}}}
      .dump();
}

const json kNote{{"id", 35436}, {"body", "Credit CN-1 issued: 25.00 EUR"}};
const std::string kPutBody =
    R"({"ticket":{"comment":{"body":"Credit CN-1 issued: 25.00 EUR\n\nweft-ref: 146207ae039ef9d7",)"
    R"("public":false}}})";
const std::string kPutAnswer =
    R"({"ticket":{"id":35436,"status":"open"},"audit":{"id":9,"events":[)"
    R"({"id":1,"type":"Change","field_name":"status"},)"
    R"({"id":2,"type":"Comment","body":"Credit CN-1 issued: 25.00 EUR\n\nweft-ref: 146207ae039ef9d7","public":false}]}})";

TEST_F(ZendeskConnectorTest, PrivateCommentFirstLooksForItsMarkerAmongTheNewestComments) {
  const auto r = prepared("add_private_comment", kNote);
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.url, comments_url());
  EXPECT_TRUE(r.body.empty());
  EXPECT_EQ(header(r, "Authorization"), kBasic);
}

TEST_F(ZendeskConnectorTest, PrivateCommentIsAddedWithItsMarkerWhenNotThere) {
  const auto request = action("add_private_comment", kNote);
  std::vector<http::Response> answers{answer(
      200, comments_page({{{"id", 1}, {"body", "Other note\n\nweft-ref: 0000000000000000"}}}))};
  auto reading = connector_.read_exchange(request, answers);
  ASSERT_TRUE(reading) << reading.error().message;
  const auto* follow = std::get_if<FollowUp>(&reading.value());
  ASSERT_NE(follow, nullptr);
  EXPECT_EQ(follow->request.method, "PUT");
  EXPECT_EQ(follow->request.url, kApi + "/tickets/35436.json");
  EXPECT_EQ(follow->request.body, kPutBody);
  EXPECT_EQ(header(follow->request, "Authorization"), kBasic);
  EXPECT_EQ(header(follow->request, "Content-Type"), "application/json");

  answers.push_back(answer(200, kPutAnswer));
  reading = connector_.read_exchange(request, answers);
  ASSERT_TRUE(reading) << reading.error().message;
  const auto* output = std::get_if<json>(&reading.value());
  ASSERT_NE(output, nullptr);
  EXPECT_EQ((*output)["deduplicated"], false);
  EXPECT_EQ((*output)["comment"]["id"], 2);
  EXPECT_EQ((*output)["ticket"]["id"], 35436);
}

TEST_F(ZendeskConnectorTest, PrivateCommentCarriesTheAuthorWhenGiven) {
  auto input = kNote;
  input["author_id"] = 123;
  const auto reading = connector_.read_exchange(action("add_private_comment", input),
                                                {answer(200, comments_page(json::array()))});
  ASSERT_TRUE(reading);
  const auto& put = std::get<FollowUp>(reading.value()).request;
  EXPECT_EQ(json::parse(put.body)["ticket"]["comment"]["author_id"], 123);
}

TEST_F(ZendeskConnectorTest, ARetriedPrivateCommentFindsTheOneItAddedAndAddsNoOther) {
  const auto request = action("add_private_comment", kNote);
  // The first attempt's PUT reached Zendesk but its answer was cut off: outcome unknown.
  const auto lost = connector_.read_exchange(
      request, {answer(200, comments_page(json::array())), answer(200, R"({"ticket":{"id":3)")});
  ASSERT_FALSE(lost);
  EXPECT_EQ(lost.error().cls, FailureClass::unknown_outcome);
  // The retry sees the comment (Zendesk renders it into html_body/plain_body too).
  const json mine{
      {"id", 77}, {"body", "Credit CN-1 issued: 25.00 EUR\n\n" + kMarker}, {"public", false}};
  const auto retry = connector_.read_exchange(
      request, {answer(200, comments_page({{{"id", 78}, {"body", "newer"}}, mine}))});
  ASSERT_TRUE(retry) << retry.error().message;
  const auto* output = std::get_if<json>(&retry.value());
  ASSERT_NE(output, nullptr);
  EXPECT_EQ((*output)["deduplicated"], true);
  EXPECT_EQ((*output)["comment"]["id"], 77);

  const json html_only{{"id", 79}, {"html_body", "<p>Credit</p><p>" + kMarker + "</p>"}};
  const auto by_html =
      connector_.read_exchange(request, {answer(200, comments_page(json::array({html_only})))});
  ASSERT_TRUE(by_html);
  EXPECT_EQ(std::get<json>(by_html.value())["comment"]["id"], 79);
}

TEST_F(ZendeskConnectorTest, PrivateCommentSearchFollowsTheCursorThenAdds) {
  const auto request = action("add_private_comment", kNote);
  std::vector<http::Response> answers{answer(200, comments_page(json::array(), true, "c2"))};
  auto reading = connector_.read_exchange(request, answers);
  ASSERT_TRUE(reading);
  EXPECT_EQ(std::get<FollowUp>(reading.value()).request.url, comments_url("c2"));
  EXPECT_EQ(std::get<FollowUp>(reading.value()).request.method, "GET");

  answers.push_back(answer(200, comments_page(json::array(), false)));
  reading = connector_.read_exchange(request, answers);
  ASSERT_TRUE(reading);
  EXPECT_EQ(std::get<FollowUp>(reading.value()).request.method, "PUT");

  answers.push_back(answer(200, kPutAnswer));
  reading = connector_.read_exchange(request, answers);
  ASSERT_TRUE(reading);
  EXPECT_EQ(std::get<json>(reading.value())["deduplicated"], false);
}

TEST_F(ZendeskConnectorTest, PrivateCommentSearchStopsInTimeToAddWithinOneAttempt) {
  const auto request = action("add_private_comment", kNote);
  std::vector<http::Response> answers;
  for (int page = 1; page < kMaxExchanges; ++page) {
    answers.push_back(answer(200, comments_page(json::array(), true, "c" + std::to_string(page))));
  }
  const auto reading = connector_.read_exchange(request, answers);
  ASSERT_TRUE(reading);
  EXPECT_EQ(std::get<FollowUp>(reading.value()).request.method, "PUT");
}

TEST_F(ZendeskConnectorTest, PrivateCommentRefusesBadInput) {
  EXPECT_NE(refused("add_private_comment", {{"id", 1}}).find("body is required"),
            std::string::npos);
  EXPECT_NE(refused("add_private_comment", {{"id", 1}, {"body", ""}}).find("body is required"),
            std::string::npos);
  EXPECT_NE(refused("add_private_comment", {{"id", 1}, {"body", 5}}).find("body is required"),
            std::string::npos);
  const std::string typo = refused("add_private_comment", {{"id", 1}, {"body", "x"}, {"bdy", 1}});
  EXPECT_NE(typo.find("unknown input key 'bdy' (did you mean 'body'?)"), std::string::npos) << typo;
  EXPECT_NE(refused("add_private_comment", {{"id", 1}, {"body", "x"}, {"author_id", "me"}})
                .find("author_id must be a positive integer"),
            std::string::npos);
  EXPECT_NE(refused("add_private_comment", kNote, "").find("idempotency key"), std::string::npos);
}

TEST_F(ZendeskConnectorTest, AnUnreadableCommentsPageIsTransient) {
  const auto reading = connector_.read_exchange(action("add_private_comment", kNote),
                                                {answer(200, "<html>maintenance</html>")});
  ASSERT_FALSE(reading);
  EXPECT_EQ(reading.error().cls, FailureClass::transient);
  EXPECT_EQ(reading.error().http_status, 200);
}

TEST_F(ZendeskConnectorTest, TheMarkerIsStablePerKeyAndDiffersBetweenKeys) {
  EXPECT_EQ(ZendeskConnector::comment_marker("wf-1/step-note"), kMarker);
  EXPECT_EQ(ZendeskConnector::comment_marker("wf-1/step-note"),
            ZendeskConnector::comment_marker("wf-1/step-note"));
  EXPECT_NE(ZendeskConnector::comment_marker("wf-1/step-note"),
            ZendeskConnector::comment_marker("wf-2/step-note"));
}

// --- lists and pagination -------------------------------------------------------------------

TEST_F(ZendeskConnectorTest, ListTicketCommentsPagesWithTheAfterCursor) {
  EXPECT_EQ(prepared("list_ticket_comments", {{"id", 5}}).url,
            kApi + "/tickets/5/comments.json?page%5Bsize%5D=100");
  const json input{{"id", 5}, {"page_size", 10}, {"cursor", "xyz="}, {"sort_order", "desc"}};
  EXPECT_EQ(
      prepared("list_ticket_comments", input).url,
      kApi + "/tickets/5/comments.json?page%5Bsize%5D=10&page%5Bafter%5D=xyz%3D&sort_order=desc");

  const auto request = action("list_ticket_comments", {{"id", 5}, {"page_size", 10}});
  const auto next =
      connector_.next_page(request, json::parse(comments_page(json::array(), true, "abc")));
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(*next, (json{{"id", 5}, {"page_size", 10}, {"cursor", "abc"}}));
  EXPECT_FALSE(
      connector_.next_page(request, json::parse(comments_page(json::array(), false))).has_value());
  EXPECT_FALSE(connector_.next_page(request, json::object()).has_value());

  EXPECT_NE(refused("list_ticket_comments", {{"id", 5}, {"page_size", 101}}).find("page_size"),
            std::string::npos);
  EXPECT_NE(refused("list_ticket_comments", {{"id", 5}, {"cursor", 3}}).find("cursor"),
            std::string::npos);
}

TEST_F(ZendeskConnectorTest, IncrementalTicketsStartsAtATimeThenFollowsTheCursorToTheEnd) {
  const json first{{"start_time", 1700000000}, {"per_page", 1000}};
  EXPECT_EQ(prepared("incremental_tickets", first).url,
            kApi + "/incremental/tickets/cursor.json?start_time=1700000000&per_page=1000");
  const auto request = action("incremental_tickets", first);
  const auto next = connector_.next_page(
      request, {{"tickets", json::array()}, {"after_cursor", "MTU3"}, {"end_of_stream", false}});
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(*next, (json{{"per_page", 1000}, {"cursor", "MTU3"}}));
  EXPECT_EQ(prepared("incremental_tickets", *next).url,
            kApi + "/incremental/tickets/cursor.json?cursor=MTU3&per_page=1000");
  EXPECT_FALSE(connector_
                   .next_page(request, {{"tickets", json::array()},
                                        {"after_cursor", "MTU4"},
                                        {"end_of_stream", true}})
                   .has_value());

  EXPECT_NE(refused("incremental_tickets", json::object()).find("either start_time"),
            std::string::npos);
  EXPECT_NE(refused("incremental_tickets", {{"start_time", 1}, {"cursor", "x"}}).find("not both"),
            std::string::npos);
  EXPECT_NE(refused("incremental_tickets", {{"start_time", "yesterday"}}).find("unix seconds"),
            std::string::npos);
}

TEST_F(ZendeskConnectorTest, TicketEventsPagesMoveOnFromEndTimeAndStopWhenAPageDoesNotMove) {
  const auto request = action("incremental_ticket_events", {{"start_time", 1700000000}});
  const auto next = connector_.next_page(
      request, {{"ticket_events", json::array()}, {"end_time", 1700000500}, {"end_of_stream", false}});
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ((*next)["start_time"], 1700000500);
  EXPECT_FALSE(connector_
                   .next_page(request, {{"ticket_events", json::array()}, {"end_time", 1700000500},
                                        {"end_of_stream", true}})
                   .has_value());
  // A full page of one second's events ends where it began: asking again would loop forever.
  EXPECT_FALSE(connector_
                   .next_page(request, {{"ticket_events", json::array()}, {"end_time", 1700000000},
                                        {"end_of_stream", false}})
                   .has_value());
  const auto as_text = action("incremental_ticket_events", {{"start_time", "1700000000"}});
  EXPECT_FALSE(connector_
                   .next_page(as_text, {{"ticket_events", json::array()}, {"end_time", 1700000000},
                                        {"end_of_stream", false}})
                   .has_value());
}

// --- organizations and users ----------------------------------------------------------------

TEST_F(ZendeskConnectorTest, OrganizationsAreReadByIdAndSearchedByExternalId) {
  EXPECT_EQ(prepared("get_organization", {{"id", 361}}).url, kApi + "/organizations/361.json");
  const auto search = prepared("search_organizations", {{"external_id", "cus 42&x"}});
  EXPECT_EQ(search.method, "GET");
  EXPECT_EQ(search.url, kApi + "/organizations/search.json?external_id=cus%2042%26x");
  EXPECT_NE(refused("search_organizations", json::object()).find("external_id is required"),
            std::string::npos);
}

TEST_F(ZendeskConnectorTest, TicketsAreListedByExternalId) {
  const auto r = prepared("list_tickets", {{"external_id", "dp_1 &x"}});
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.url, kApi + "/tickets.json?external_id=dp_1%20%26x");
  EXPECT_NE(refused("list_tickets", {{"external_id", {{"nested", 1}}}}).find("external_id must be"),
            std::string::npos);
}

TEST_F(ZendeskConnectorTest, UpsertOrganizationPostsCreateOrUpdateByExternalId) {
  const auto r = prepared("upsert_organization", {{"external_id", "cus_42"},
                                                  {"name", "Acme GmbH"},
                                                  {"organization_fields", {{"credit_hold", true}}},
                                                  {"tags", {"hold"}}});
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.url, kApi + "/organizations/create_or_update.json");
  EXPECT_EQ(r.body, R"({"organization":{"external_id":"cus_42","name":"Acme GmbH",)"
                    R"("organization_fields":{"credit_hold":true},"tags":["hold"]}})");
  EXPECT_NE(refused("upsert_organization", {{"name", "Acme"}}).find("external_id is required"),
            std::string::npos);
  EXPECT_NE(refused("upsert_organization", {{"external_id", ""}}).find("external_id is required"),
            std::string::npos);
}

TEST_F(ZendeskConnectorTest, UpsertUserMatchesOnExternalIdOrEmail) {
  const auto r = prepared("upsert_user", {{"email", "a@b.example"}, {"name", "Ann"}});
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.url, kApi + "/users/create_or_update.json");
  EXPECT_EQ(r.body, R"({"user":{"email":"a@b.example","name":"Ann"}})");
  EXPECT_EQ(prepared("upsert_user", {{"external_id", 77}, {"name", "Ann"}}).body,
            R"({"user":{"external_id":77,"name":"Ann"}})");
  EXPECT_NE(refused("upsert_user", {{"name", "Ann"}}).find("external_id or email"),
            std::string::npos);
}

TEST_F(ZendeskConnectorTest, AnUnknownActionListsTheKnownOnes) {
  const std::string message = refused("get_tiket", {{"id", 1}});
  EXPECT_NE(message.find("has no action 'get_tiket' (did you mean 'get_ticket'?)"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("incremental_tickets"), std::string::npos) << message;
  EXPECT_NE(message.find("incremental_ticket_events"), std::string::npos) << message;
  EXPECT_EQ(ZendeskConnector::action_names().size(), 12u);
}

// --- reading answers ------------------------------------------------------------------------

TEST_F(ZendeskConnectorTest, ASuccessfulAnswerIsThePlatformsObject) {
  const auto out = connector_.read_success(action("get_ticket", {{"id", 1}}),
                                           answer(200, R"({"ticket":{"id":1,"status":"open"}})"));
  ASSERT_TRUE(out);
  EXPECT_EQ((*out)["ticket"]["status"], "open");
}

TEST_F(ZendeskConnectorTest, AnUnreadable2xxIsTransientForAReadAndUnknownForAWrite) {
  for (const std::string body : {"", "{\"ticket\":{\"id\":1", "<html/>", "{\"other\":1}", "[1]"}) {
    const auto read = connector_.read_success(action("get_ticket", {{"id", 1}}), answer(200, body));
    ASSERT_FALSE(read) << body;
    EXPECT_EQ(read.error().cls, FailureClass::transient);
    const auto write =
        connector_.read_success(action("create_ticket", {{"subject", "x"}}), answer(201, body));
    ASSERT_FALSE(write) << body;
    EXPECT_EQ(write.error().cls, FailureClass::unknown_outcome);
    EXPECT_EQ(write.error().http_status, 201);
    EXPECT_NE(write.error().message.find("may have been made"), std::string::npos);
  }
}

// --- errors ---------------------------------------------------------------------------------

TEST_F(ZendeskConnectorTest, RefusedCredentialsAreAuth) {
  const auto f = classified(401, R"({"error":"Couldn't authenticate you"})");
  EXPECT_EQ(f.cls, FailureClass::auth);
  EXPECT_EQ(f.message, "Zendesk 401 Couldn't authenticate you");
  EXPECT_EQ(f.platform_code, "");
  EXPECT_EQ(f.message.find("tok123"), std::string::npos);
}

TEST_F(ZendeskConnectorTest, AMissingRecordIsValidation) {
  const auto f = classified(404, R"({"error":"RecordNotFound","description":"Not found"})");
  EXPECT_EQ(f.cls, FailureClass::validation);
  EXPECT_EQ(f.platform_code, "RecordNotFound");
  EXPECT_EQ(f.message, "Zendesk 404 RecordNotFound: Not found");
}

TEST_F(ZendeskConnectorTest, AnInvalidRecordNamesTheFields) {
  const auto f = classified(
      422, R"({"error":"RecordInvalid","description":"Record validation errors","details":{)"
           R"("subject":[{"description":"Subject: cannot be blank","error":"BlankValue"}],)"
           R"("requester":[{"description":"Requester: is invalid"}]}})");
  EXPECT_EQ(f.cls, FailureClass::validation);
  EXPECT_EQ(f.platform_code, "RecordInvalid");
  EXPECT_EQ(f.message,
            "Zendesk 422 RecordInvalid: Record validation errors; fields: requester (Requester: "
            "is invalid), subject (Subject: cannot be blank)");
}

TEST_F(ZendeskConnectorTest, AnUpdateConflictIsAConflict) {
  const auto f = classified(
      409, R"({"error":"UpdateConflict","description":"Safe Update prevented the update"})");
  EXPECT_EQ(f.cls, FailureClass::conflict);
  EXPECT_EQ(f.platform_code, "UpdateConflict");
}

TEST_F(ZendeskConnectorTest, AnIdempotencyKeyReusedWithAnotherBodyIsAConflict) {
  const auto f = classified(
      400,
      R"({"error":"IdempotentRequestError","description":"Request parameters don't match the given idempotency key"})");
  EXPECT_EQ(f.cls, FailureClass::conflict);
  EXPECT_EQ(f.platform_code, "IdempotentRequestError");
  EXPECT_NE(f.message.find("don't match"), std::string::npos);
}

TEST_F(ZendeskConnectorTest, TooManyRequestsIsRateLimitedWithRetryAfterEvenAsText) {
  const auto f = classified(429, "Number of allowed API requests per minute exceeded\n",
                            {{"Retry-After", "37"}, {"Content-Type", "text/plain"}});
  EXPECT_EQ(f.cls, FailureClass::rate_limited);
  EXPECT_EQ(f.retry_after, std::chrono::milliseconds(37s));
  EXPECT_EQ(f.message, "Zendesk 429: Number of allowed API requests per minute exceeded");
}

TEST_F(ZendeskConnectorTest, OtherErrorShapesStillReadWell) {
  const auto forbidden = classified(
      403, R"({"error":{"title":"Forbidden","message":"You do not have access to this page."}})");
  EXPECT_EQ(forbidden.cls, FailureClass::auth);
  EXPECT_EQ(forbidden.platform_code, "Forbidden");
  EXPECT_EQ(forbidden.message, "Zendesk 403 Forbidden: You do not have access to this page.");
  const auto unavailable = classified(503, "");
  EXPECT_EQ(unavailable.cls, FailureClass::transient);
  EXPECT_EQ(unavailable.message, "Zendesk 503");
  const auto odd = classified(500, R"({"unexpected":true})");
  EXPECT_EQ(odd.cls, FailureClass::transient);
  EXPECT_EQ(odd.message, R"(Zendesk 500: {"unexpected":true})");
}

TEST_F(ZendeskConnectorTest, TransportFailuresKeepTheGenericClass) {
  delivery::Attempt attempt;
  attempt.transport = delivery::Transport::timeout_after_send;
  const auto f = connector_.classifier().classify(attempt);
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->cls, FailureClass::unknown_outcome);
  delivery::Attempt ok;
  ok.response.status = 201;
  EXPECT_FALSE(connector_.classifier().classify(ok).has_value());
}

}  // namespace
}  // namespace weft::connectors::zendesk
