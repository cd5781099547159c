// "A 2xx means committed", across kill -9.
//
// A real `weft serve` takes signed Stripe webhooks from 8 keep-alive clients (good events,
// re-posts of events accepted before a crash, bad signatures, malformed bodies) while a
// controller kills it with SIGKILL at random points of the stream and restarts it on the same
// port and database. Afterwards the event log must hold every event that got a 2xx, exactly
// once and byte for byte; no event that was rejected; and nothing else except events whose
// answer was lost in a crash. Re-posting an event accepted before a crash must answer
// "duplicate".
//
// Randomness is seeded: the seed is printed, and WEFT_TEST_SEED=<n> replays the same choices
// (the interleaving with the kills still depends on timing). WEFT_BINARY=<path> runs it
// against another build of weft; WEFT_TEST_KEEP_DIRS=1 keeps the database and server logs.
//
// A request whose answer was lost ("unknown") may or may not be in the log; one that never
// left the client is re-sent; one that curl re-sent by itself on a fresh connection (it does
// so when a kept connection dies after the request was written) may legitimately be answered
// "duplicate" on its first post.

#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "connectors/stripe/stripe_webhook.hpp"
#include "support/http_client.hpp"
#include "support/process.hpp"
#include "support/serve_runner.hpp"
#include "weft/store.hpp"

namespace weft::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr int kClients = 8;
constexpr int kKills = 5;
constexpr std::size_t kBodyBytes = 2048;
constexpr const char* kConnector = "stripe";
constexpr const char* kSecret = "whsec_crash_test_secret";
constexpr const char* kHookPath = "/hooks/stripe";
// Each phase between kills: this many answered requests, drawn at random.
constexpr int kMinPhaseRequests = 200;
constexpr int kMaxPhaseRequests = 1200;
// Guards so that a hub that stops answering fails the test instead of hanging it.
constexpr auto kPhaseDeadline = 15s;
constexpr auto kStartDeadline = 10s;

std::uint64_t choose_seed() {
  if (const char* env = std::getenv("WEFT_TEST_SEED"); env != nullptr && *env != '\0') {
    return std::strtoull(env, nullptr, 10);
  }
  return std::random_device{}();
}

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A Stripe event of about kBodyBytes.
std::string event_body(const std::string& id, std::mt19937_64& rng) {
  static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  nlohmann::json event = {{"id", id},
                          {"object", "event"},
                          {"type", "invoice.created"},
                          {"created", unix_now()},
                          {"data",
                           {{"object",
                             {{"id", "in_" + id},
                              {"object", "invoice"},
                              {"customer", "cus_" + std::to_string(rng() % 50)},
                              {"description", ""}}}}}};
  const std::size_t base = event.dump().size();
  std::string padding(kBodyBytes > base ? kBodyBytes - base : 0, 'x');
  for (char& c : padding) c = kAlphabet[rng() % (sizeof kAlphabet - 1)];
  event["data"]["object"]["description"] = std::move(padding);
  return event.dump();
}

// Whether the hub is up, as the controller sees it; clients wait on it after "connection
// refused" instead of spinning.
struct ServerState {
  std::mutex mutex;
  std::condition_variable cv;
  bool up = false;
  // Incremented just before every kill. A 2xx that arrived while the epoch was e came from a
  // process started in epoch e or earlier, so an event whose 2xx arrived in an earlier epoch
  // than now was committed by a process that has since been killed.
  int epoch = 0;
  bool stop = false;

  int current_epoch() {
    std::lock_guard lock(mutex);
    return epoch;
  }
  bool stopping() {
    std::lock_guard lock(mutex);
    return stop;
  }
};

// Answered requests so far; the controller kills the hub when it reaches a random target.
struct Progress {
  std::mutex mutex;
  std::condition_variable cv;
  std::int64_t answered = 0;

  void bump() {
    {
      std::lock_guard lock(mutex);
      ++answered;
    }
    cv.notify_all();
  }
  std::int64_t now() {
    std::lock_guard lock(mutex);
    return answered;
  }
  bool wait_until_at_least(std::int64_t target, Clock::time_point deadline) {
    std::unique_lock lock(mutex);
    return cv.wait_until(lock, deadline, [&] { return answered >= target; });
  }
};

// What one client saw. Merged after the clients have finished.
struct Ledger {
  struct Committed {
    std::string body;
    int epoch = 0;  // the epoch when its 2xx arrived
  };
  std::map<std::string, Committed> committed;  // good events answered 2xx
  std::vector<std::string> committed_order;    // for picking re-posts
  std::set<std::string> unknown;               // good events sent, answer lost
  std::set<std::string> never_sent;            // good events not sent when the test stopped
  std::set<std::string> rejected;              // bad events (whatever the answer): must be absent
  std::int64_t accepted = 0;                   // first posts answered "accepted"
  std::int64_t first_post_duplicate = 0;       // first posts answered "duplicate" (curl retried)
  std::int64_t reposts = 0;                    // re-posts answered
  std::int64_t reposts_after_crash = 0;        // ... of events committed before a kill
  std::int64_t repost_unknown = 0;
  std::int64_t bad_signature_401 = 0;
  std::int64_t malformed_400 = 0;
  std::int64_t bad_unknown = 0;
  std::int64_t not_sent_retries = 0;
  std::int64_t resent = 0;  // requests curl wrote twice (dead kept connection)
  std::int64_t connections = 0;
  std::vector<std::string> violations;

  void merge(Ledger&& other) {
    for (auto& [id, c] : other.committed) {
      if (!committed.emplace(id, std::move(c)).second) violations.push_back("id reused: " + id);
    }
    unknown.merge(other.unknown);
    never_sent.merge(other.never_sent);
    rejected.merge(other.rejected);
    accepted += other.accepted;
    first_post_duplicate += other.first_post_duplicate;
    reposts += other.reposts;
    reposts_after_crash += other.reposts_after_crash;
    repost_unknown += other.repost_unknown;
    bad_signature_401 += other.bad_signature_401;
    malformed_400 += other.malformed_400;
    bad_unknown += other.bad_unknown;
    not_sent_retries += other.not_sent_retries;
    resent += other.resent;
    connections += other.connections;
    for (auto& v : other.violations) violations.push_back(std::move(v));
  }
};

enum class Kind { fresh, repost, bad_signature, malformed };

class Client {
 public:
  Client(int index, std::uint64_t seed, std::string base_url, ServerState& server,
         Progress& progress)
      : index_(index),
        rng_(seed * 1000003ULL + static_cast<std::uint64_t>(index)),
        http_(std::move(base_url)),
        server_(server),
        progress_(progress) {}

  Ledger run() {
    while (!server_.stopping()) {
      step();
      progress_.bump();
    }
    ledger_.connections = http_.connections_opened();
    return std::move(ledger_);
  }

 private:
  struct Outgoing {
    Kind kind = Kind::fresh;
    std::string id;
    std::string body;
    std::string signed_body;  // what the signature covers (differs when tampering)
    std::string secret = kSecret;
    int committed_epoch = 0;  // repost: the epoch in which it was committed
  };

  Outgoing choose() {
    Outgoing out;
    const unsigned roll = static_cast<unsigned>(rng_() % 100);
    const int epoch = server_.current_epoch();
    if (roll < 8) {
      // Re-post an event committed by a process that has been killed since, when there is one.
      for (int tries = 0; tries < 4 && !ledger_.committed_order.empty(); ++tries) {
        const std::string& id = ledger_.committed_order[rng_() % ledger_.committed_order.size()];
        const auto& c = ledger_.committed.at(id);
        if (c.epoch < epoch) {
          out.kind = Kind::repost;
          out.id = id;
          out.body = c.body;
          out.signed_body = c.body;
          out.committed_epoch = c.epoch;
          return out;
        }
      }
    }
    const std::string n = std::to_string(index_) + "_" + std::to_string(++counter_);
    if (roll >= 8 && roll < 15) {
      out.kind = Kind::bad_signature;
      out.id = "evt_badsig_" + n;
      out.body = event_body(out.id, rng_);
      if (rng_() % 2 == 0) {
        out.signed_body = out.body;
        out.secret = "whsec_not_the_secret";
      } else {
        out.signed_body = out.body;
        out.body[out.body.size() / 2] =
            out.body[out.body.size() / 2] == 'a' ? 'b' : 'a';  // tampered
      }
      return out;
    }
    if (roll >= 15 && roll < 22) {
      out.kind = Kind::malformed;
      out.id = "evt_malformed_" + n;
      switch (rng_() % 3) {
        case 0:  // truncated JSON
          out.body = event_body(out.id, rng_);
          out.body.resize(out.body.size() - 3);
          break;
        case 1:  // valid JSON, but no "type"
          out.body = nlohmann::json{{"id", out.id}, {"object", "event"}}.dump();
          break;
        default:  // "id" is not a string
          out.body = nlohmann::json{{"id", 42}, {"type", "invoice.created"}, {"x", out.id}}.dump();
          break;
      }
      out.signed_body = out.body;
      return out;
    }
    out.kind = Kind::fresh;
    out.id = "evt_" + n;
    out.body = event_body(out.id, rng_);
    out.signed_body = out.body;
    return out;
  }

  void violation(const Outgoing& out, const std::string& what) {
    ledger_.violations.push_back("client " + std::to_string(index_) + " " + out.id + ": " + what);
  }

  void step() {
    Outgoing out = choose();
    for (;;) {
      const HeaderList headers = {
          {"Stripe-Signature",
           connectors::stripe::SignatureVerifier::sign(out.secret, unix_now(), out.signed_body)}};
      auto result = http_.post(kHookPath, out.body, headers);
      if (!result && result.error().code == HttpErrc::not_sent) {
        // The hub is down (killed, not restarted yet): nothing reached it, so send the same
        // request again once it is back.
        ++ledger_.not_sent_retries;
        std::unique_lock lock(server_.mutex);
        server_.cv.wait_for(lock, 50ms, [this] { return server_.stop || server_.up; });
        if (server_.stop) {
          if (out.kind == Kind::fresh) ledger_.never_sent.insert(out.id);
          if (out.kind == Kind::bad_signature || out.kind == Kind::malformed) {
            ledger_.rejected.insert(out.id);
          }
          return;
        }
        continue;
      }
      const int epoch_now = server_.current_epoch();
      if ((result ? result->attempts : result.error().attempts) > 1) ++ledger_.resent;
      if (!result) {
        if (result.error().code == HttpErrc::other) {
          violation(out, std::string("client error: ") + result.error().message);
        }
        switch (out.kind) {
          case Kind::fresh:
            ledger_.unknown.insert(out.id);
            break;
          case Kind::repost:
            ++ledger_.repost_unknown;
            break;
          default:
            ++ledger_.bad_unknown;
            ledger_.rejected.insert(out.id);
            break;
        }
        return;
      }
      record(out, *result, epoch_now);
      return;
    }
  }

  void record(const Outgoing& out, const HttpResponse& response, int epoch_now) {
    const std::string answer = std::to_string(response.status) + " " + response.body.substr(0, 200);
    switch (out.kind) {
      case Kind::bad_signature:
        ledger_.rejected.insert(out.id);
        if (response.status == 401)
          ++ledger_.bad_signature_401;
        else
          violation(out, "bad signature answered " + answer);
        return;
      case Kind::malformed:
        ledger_.rejected.insert(out.id);
        if (response.status == 400)
          ++ledger_.malformed_400;
        else
          violation(out, "malformed body answered " + answer);
        return;
      case Kind::fresh:
      case Kind::repost:
        break;
    }
    if (response.status != 200) {
      if (out.kind == Kind::fresh) ledger_.rejected.insert(out.id);  // a non-2xx writes nothing
      violation(out, "good event answered " + answer);
      return;
    }
    const auto json = nlohmann::json::parse(response.body, nullptr, /*allow_exceptions=*/false);
    const std::string status = json.is_object() ? json.value("status", "") : "";
    if (!json.is_object() || json.value("event_id", "") != out.id) {
      violation(out, "unexpected 200 body " + answer);
    }
    if (out.kind == Kind::repost) {
      ++ledger_.reposts;
      if (out.committed_epoch < epoch_now) ++ledger_.reposts_after_crash;
      if (status != "duplicate") violation(out, "re-post of a committed event answered " + answer);
      return;
    }
    if (status == "accepted") {
      ++ledger_.accepted;
    } else if (status == "duplicate") {
      // Possible only when the request went out twice: curl wrote it on a kept connection,
      // the hub committed it and died before answering, and curl re-sent it to the
      // restarted hub. Otherwise the hub claims to have seen an event it never received.
      ++ledger_.first_post_duplicate;
      if (response.attempts < 2) violation(out, "first post answered " + answer);
    } else {
      violation(out, "unexpected 200 body " + answer);
    }
    ledger_.committed.emplace(out.id, Ledger::Committed{out.body, epoch_now});
    ledger_.committed_order.push_back(out.id);
  }

  int index_;
  std::mt19937_64 rng_;
  HttpClient http_;
  ServerState& server_;
  Progress& progress_;
  Ledger ledger_;
  int counter_ = 0;
};

class IngestCrashTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_url_ = "sqlite:" + (dir_ / "weft.db").string();
    config_path_ = dir_ / "weft.yaml";
    write_file(config_path_,
               "hub:\n"
               "  listen: \"127.0.0.1:" +
                   std::to_string(port_) +
                   "\"\n"
                   "  threads: 2\n"
                   "storage:\n"
                   "  url: \"" +
                   db_url_ +
                   "\"\n"
                   "  synchronous: full\n"
                   "log:\n"
                   "  level: warn\n"
                   "  sink: stderr\n"
                   "connectors:\n"
                   "  stripe:\n"
                   "    type: stripe\n"
                   "    base_url: http://127.0.0.1:7171\n"
                   "    api_key: sk_test_x\n"
                   "    webhook_secret: " +
                   std::string(kSecret) +
                   "\n"
                   "    signature_tolerance_seconds: 300\n");
  }

  void TearDown() override {
    if (HasFailure()) {
      dir_.keep();
      std::fprintf(stderr, "%s", runner_.log_tails().c_str());
    }
  }

  // Starts `weft serve` on the test's port and database and waits until /healthz answers.
  Process start_server() { return runner_.start(kStartDeadline); }

  TempDir dir_{"weft-ingest-crash"};
  std::uint16_t port_ = free_loopback_port();
  std::string base_url_ = "http://127.0.0.1:" + std::to_string(port_);
  std::string db_url_;
  std::filesystem::path config_path_;
  ServeRunner runner_{weft_binary(), dir_.path(), dir_ / "weft.yaml", base_url_};
};

TEST_F(IngestCrashTest, EveryTwoHundredIsCommittedAcrossSigkill) {
  const std::uint64_t seed = choose_seed();
  std::printf("seed %llu (WEFT_TEST_SEED=%llu replays the choices)\n",
              static_cast<unsigned long long>(seed), static_cast<unsigned long long>(seed));
  std::fflush(stdout);
  std::mt19937_64 rng(seed);
  const auto started = Clock::now();

  ServerState state;
  Progress progress;
  std::optional<Process> server;
  try {
    server = start_server();
  } catch (const std::exception& e) {
    FAIL() << e.what();
  }
  {
    std::lock_guard lock(state.mutex);
    state.up = true;
  }

  std::vector<Ledger> ledgers(kClients);
  std::vector<std::thread> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.emplace_back([&, i] {
      Client client(i, seed, base_url_, state, progress);
      ledgers[static_cast<std::size_t>(i)] = client.run();
    });
  }
  auto stop_clients = [&] {
    {
      std::lock_guard lock(state.mutex);
      state.stop = true;
    }
    state.cv.notify_all();
    for (auto& t : clients) {
      if (t.joinable()) t.join();
    }
  };

  int kills = 0;
  bool stalled = false;
  std::string failure;
  try {
    for (int k = 0; k <= kKills && !stalled; ++k) {
      const auto phase = static_cast<std::int64_t>(
          kMinPhaseRequests +
          static_cast<int>(rng() % (kMaxPhaseRequests - kMinPhaseRequests + 1)));
      if (!progress.wait_until_at_least(progress.now() + phase, Clock::now() + kPhaseDeadline)) {
        stalled = true;
        failure = "the clients stopped getting answers (phase " + std::to_string(k) + ")";
        break;
      }
      if (k == kKills) break;  // the last phase runs on the last restart; no kill after it
      {
        std::lock_guard lock(state.mutex);
        state.up = false;
        ++state.epoch;
      }
      server->kill(SIGKILL);
      const auto killed = server->wait_for(5s);
      if (!killed || !killed->signaled || killed->signal != SIGKILL) {
        failure = "weft serve did not die of SIGKILL: " +
                  (killed ? killed->to_string() : std::string("still running"));
        break;
      }
      ++kills;
      server = start_server();
      {
        std::lock_guard lock(state.mutex);
        state.up = true;
      }
      state.cv.notify_all();
    }
  } catch (const std::exception& e) {
    failure = e.what();
  }
  stop_clients();
  ASSERT_EQ(failure, "");
  EXPECT_EQ(kills, kKills);

  // A clean stop answers what is in flight and exits 0.
  const ExitStatus stopped = server->stop(SIGTERM, 15s);
  EXPECT_TRUE(stopped.exited && stopped.code == 0)
      << "weft serve after SIGTERM: " << stopped.to_string();

  Ledger all;
  for (auto& l : ledgers) all.merge(std::move(l));

  // Read the log back.
  auto opened = open_store(db_url_);
  ASSERT_TRUE(opened) << opened.error().message;
  Store& store = **opened;

  std::int64_t missing = 0;
  std::int64_t body_mismatch = 0;
  for (const auto& [id, c] : all.committed) {
    auto found = store.find_raw_event(kConnector, id);
    ASSERT_TRUE(found) << found.error().message;
    if (!found->has_value()) {
      if (++missing <= 10) ADD_FAILURE() << "answered 2xx but not in the log: " << id;
      continue;
    }
    if ((*found)->body != c.body || (*found)->event_type != "invoice.created") {
      if (++body_mismatch <= 10) ADD_FAILURE() << "stored differently than sent: " << id;
    }
  }
  std::int64_t rejected_present = 0;
  for (const auto& id : all.rejected) {
    auto found = store.find_raw_event(kConnector, id);
    ASSERT_TRUE(found) << found.error().message;
    if (found->has_value() && ++rejected_present <= 10) {
      ADD_FAILURE() << "rejected (or bad) event is in the log: " << id;
    }
  }
  for (const auto& id : all.never_sent) {
    auto found = store.find_raw_event(kConnector, id);
    ASSERT_TRUE(found) << found.error().message;
    EXPECT_FALSE(found->has_value()) << "never sent, yet in the log: " << id;
  }
  std::int64_t unknown_present = 0;
  for (const auto& id : all.unknown) {
    auto found = store.find_raw_event(kConnector, id);
    ASSERT_TRUE(found) << found.error().message;
    if (found->has_value()) ++unknown_present;
  }

  // The whole log, every connector: nothing but the events above, each once.
  std::int64_t rows = 0;
  std::set<std::pair<std::string, std::string>> seen;
  std::int64_t strangers = 0;
  RawEventQuery query;
  query.limit = 1000;
  for (;;) {
    auto page = store.query_raw_events(query);
    ASSERT_TRUE(page) << page.error().message;
    if (page->empty()) break;
    for (const auto& e : *page) {
      ++rows;
      EXPECT_TRUE(seen.emplace(e.connector, e.event_id).second)
          << "stored twice: " << e.connector << "/" << e.event_id;
      const bool known = e.connector == kConnector && (all.committed.count(e.event_id) != 0 ||
                                                       all.unknown.count(e.event_id) != 0);
      if (!known && ++strangers <= 10) {
        ADD_FAILURE() << "in the log but never answered 2xx nor lost: " << e.connector << "/"
                      << e.event_id;
      }
      query.after_seq = e.seq;
    }
  }

  const auto committed = static_cast<std::int64_t>(all.committed.size());
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
  std::printf(
      "kills %d | committed (2xx) %lld [accepted %lld, first-post duplicate %lld] | unknown %zu "
      "(in log %lld) | re-posts answered duplicate %lld (of events committed before a kill %lld, "
      "lost answers %lld) | bad signature 401 %lld | malformed 400 %lld | bad with lost answer "
      "%lld "
      "| never sent %zu | not-sent retries %lld | curl re-sends %lld | connections %lld | rows "
      "%lld "
      "| %lld ms\n",
      kills, static_cast<long long>(committed), static_cast<long long>(all.accepted),
      static_cast<long long>(all.first_post_duplicate), all.unknown.size(),
      static_cast<long long>(unknown_present), static_cast<long long>(all.reposts),
      static_cast<long long>(all.reposts_after_crash), static_cast<long long>(all.repost_unknown),
      static_cast<long long>(all.bad_signature_401), static_cast<long long>(all.malformed_400),
      static_cast<long long>(all.bad_unknown), all.never_sent.size(),
      static_cast<long long>(all.not_sent_retries), static_cast<long long>(all.resent),
      static_cast<long long>(all.connections), static_cast<long long>(rows),
      static_cast<long long>(took.count()));
  std::fflush(stdout);

  for (std::size_t i = 0; i < all.violations.size() && i < 20; ++i) {
    ADD_FAILURE() << all.violations[i];
  }
  EXPECT_EQ(all.violations.size(), 0U);
  EXPECT_EQ(missing, 0);
  EXPECT_EQ(body_mismatch, 0);
  EXPECT_EQ(rejected_present, 0);
  EXPECT_EQ(strangers, 0);
  EXPECT_EQ(rows, committed + unknown_present);
  // The test exercised what it claims to.
  EXPECT_GT(all.accepted, 0);
  EXPECT_GT(all.reposts_after_crash, 0) << "no event accepted before a kill was re-posted after it";
  EXPECT_GT(all.bad_signature_401, 0);
  EXPECT_GT(all.malformed_400, 0);
  // Keep-alive: far fewer connections than requests (one per client per incarnation, plus
  // reconnects after each kill).
  EXPECT_LT(all.connections, static_cast<std::int64_t>(kClients) * (kKills + 1) * 4);
}

}  // namespace
}  // namespace weft::test
