// POST /hooks/{connector} end to end inside one process: verification, parsing, group
// commit and the answers, with an in-memory store and a manual clock.
#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "connectors/stripe/stripe_webhook.hpp"
#include "ingest/webhook_ingest.hpp"
#include "store/memory/memory_store.hpp"
#include "weft/manual_clock.hpp"

namespace weft::ingest {
namespace {

constexpr const char* kSecret = "whsec_unit";

// Waits for an asynchronous answer.
class Answer {
 public:
  http::Responder responder() {
    return [this](http::Response r) {
      std::lock_guard lock(mutex_);
      response_ = std::move(r);
      cv_.notify_all();
    };
  }
  http::Response get() {
    std::unique_lock lock(mutex_);
    cv_.wait_for(lock, std::chrono::seconds(10), [this] { return response_.has_value(); });
    EXPECT_TRUE(response_.has_value()) << "no answer";
    return response_.value_or(http::Response{});
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::optional<http::Response> response_;
};

class WebhookIngestTest : public ::testing::Test {
 protected:
  WebhookIngestTest()
      : faulty_(memory_),
        committer_("ingest", append_to(faulty_),
                   GroupCommitMetrics{&metrics_.commit_seconds, &metrics_.commit_batch_size}, clock_,
                   GroupCommitOptions{64, 1000}) {
    connectors_.emplace("stripe", std::make_unique<connectors::stripe::InboundConnector>(
                                      "stripe", kSecret, std::chrono::seconds(300)));
    ingest_ = std::make_unique<WebhookIngest>(connectors_, committer_, metrics_, clock_, 4096);
  }

  static std::string event(const std::string& id) {
    return R"({"id":")" + id + R"(","object":"event","type":"invoice.created","created":1700000000,)"
           R"("data":{"object":{"id":"in_1","object":"invoice","customer":"cus_1"}}})";
  }

  http::Request signed_request(const std::string& body, std::int64_t t = -1) {
    http::Request r;
    r.method = "POST";
    r.path = "/hooks/stripe";
    r.correlation_id = "corr-1";
    r.body = body;
    r.headers.add("Stripe-Signature", connectors::stripe::SignatureVerifier::sign(
                                          kSecret, t < 0 ? clock_->unix_seconds() : t, body));
    return r;
  }

  http::Response post(http::Request request, std::string connector = "stripe") {
    http::PathParams params;
    params.add("connector", std::move(connector));
    Answer answer;
    ingest_->handle(std::move(request), params, answer.responder());
    return answer.get();
  }

  double count(const std::string& outcome) {
    return metrics_.webhooks.with({"stripe", outcome}).value();
  }
  std::int64_t stored() { return memory_.count_unprocessed().value(); }

  std::shared_ptr<ManualClock> clock_ = std::make_shared<ManualClock>();
  metrics::Registry registry_;
  IngestMetrics metrics_{registry_};
  MemoryStore memory_;
  FaultInjectingStore faulty_;
  RawEventCommitter committer_;
  ConnectorMap connectors_;
  std::unique_ptr<WebhookIngest> ingest_;
};

TEST_F(WebhookIngestTest, AcceptsASignedEventAfterCommitting) {
  const http::Response r = post(signed_request(event("evt_1")));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(nlohmann::json::parse(r.body)["status"], "accepted");
  auto e = memory_.find_raw_event("stripe", "evt_1");
  ASSERT_TRUE(e.ok());
  ASSERT_TRUE(e->has_value());
  EXPECT_EQ((*e)->event_type, "invoice.created");
  EXPECT_EQ((*e)->business_key, "cus_1");
  EXPECT_EQ((*e)->correlation_id, "corr-1");
  EXPECT_EQ((*e)->body, event("evt_1"));
  EXPECT_EQ(count("accepted"), 1);
  EXPECT_EQ(metrics_.events_unprocessed.value(), 1);
}

TEST_F(WebhookIngestTest, DuplicateAnswers200AndWritesNothing) {
  ASSERT_EQ(post(signed_request(event("evt_1"))).status, 200);
  clock_->advance(std::chrono::seconds(30));  // a redelivery is signed anew
  const http::Response r = post(signed_request(event("evt_1")));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(nlohmann::json::parse(r.body)["status"], "duplicate");
  EXPECT_EQ(stored(), 1);
  EXPECT_EQ(count("duplicate"), 1);
}

TEST_F(WebhookIngestTest, BadSignatureIs401AndWritesNothing) {
  http::Request r = signed_request(event("evt_1"));
  r.body = event("evt_2");  // body swapped after signing
  const http::Response resp = post(std::move(r));
  EXPECT_EQ(resp.status, 401);
  EXPECT_EQ(resp.headers.get("Content-Type"), "application/problem+json");
  EXPECT_EQ(nlohmann::json::parse(resp.body)["type"], "urn:weft:problem:invalid-signature");
  EXPECT_EQ(stored(), 0);
  EXPECT_EQ(count("rejected_signature"), 1);
}

TEST_F(WebhookIngestTest, MissingSignatureIs401) {
  http::Request r = signed_request(event("evt_1"));
  r.headers = http::Headers{};
  EXPECT_EQ(post(std::move(r)).status, 401);
  EXPECT_EQ(stored(), 0);
}

TEST_F(WebhookIngestTest, StaleTimestampIs401) {
  const http::Response resp = post(signed_request(event("evt_1"), clock_->unix_seconds() - 301));
  EXPECT_EQ(resp.status, 401);
  EXPECT_EQ(nlohmann::json::parse(resp.body)["type"], "urn:weft:problem:stale-timestamp");
  EXPECT_EQ(stored(), 0);
}

TEST_F(WebhookIngestTest, MalformedJsonIs400) {
  const http::Response resp = post(signed_request(R"({"id":"evt_1","type":)"));
  EXPECT_EQ(resp.status, 400);
  EXPECT_EQ(nlohmann::json::parse(resp.body)["type"], "urn:weft:problem:malformed-event");
  EXPECT_EQ(stored(), 0);
  EXPECT_EQ(count("rejected_malformed"), 1);
}

TEST_F(WebhookIngestTest, OversizedBodyIs413) {
  http::Request big = signed_request(std::string(5000, ' ') + event("evt_1"));
  EXPECT_EQ(post(std::move(big)).status, 413);
  http::Request cut = signed_request(event("evt_2"));
  cut.body.clear();
  cut.body_too_large = true;  // as the server reports a body over its own limit
  EXPECT_EQ(post(std::move(cut)).status, 413);
  EXPECT_EQ(stored(), 0);
  EXPECT_EQ(count("rejected_too_large"), 2);
}

TEST_F(WebhookIngestTest, UnknownConnectorIs404) {
  EXPECT_EQ(post(signed_request(event("evt_1")), "chargebee").status, 404);
  EXPECT_EQ(stored(), 0);
}

TEST_F(WebhookIngestTest, StorageDownIs503WithRetryAfterAndNothingWritten) {
  faulty_.fail_with(StoreError{StoreErrc::full, "database or disk is full"});
  const http::Response resp = post(signed_request(event("evt_1")));
  EXPECT_EQ(resp.status, 503);
  EXPECT_EQ(resp.headers.get("Retry-After"), "1");
  faulty_.fail_with(std::nullopt);
  EXPECT_EQ(stored(), 0);
  // The platform's retry then lands.
  EXPECT_EQ(post(signed_request(event("evt_1"))).status, 200);
  EXPECT_EQ(stored(), 1);
}

TEST_F(WebhookIngestTest, ConcurrentRequestsShareCommits) {
  constexpr int kThreads = 8, kEach = 50;
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        if (post(signed_request(event("evt_" + std::to_string(t) + "_" + std::to_string(i)))).status == 200) ++ok;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok, kThreads * kEach);
  EXPECT_EQ(stored(), kThreads * kEach);
  EXPECT_EQ(metrics_.commit_batch_size.sum(), kThreads * kEach);
  EXPECT_LE(metrics_.commit_batch_size.count(), static_cast<std::uint64_t>(kThreads * kEach));
}

}  // namespace
}  // namespace weft::ingest
