#pragma once
// Poller: runs every configured PollSource on its interval, on one thread. A round reads
// pages through the connector's listing action (the same ActionInvoker as workflow calls, so
// polls respect the connector's rate limit, concurrency cap and circuit breaker), turns each
// item into a raw event with the connector's own identify() — the webhook path's — and
// appends it through the same group commit as webhooks; de-duplication by (connector, event
// id) drops what a webhook already brought. The source's cursor is saved only after the
// events it covers are committed: a crash in between re-reads them, and they are dropped as
// duplicates, so nothing is lost and nothing is processed twice.
//
// Metrics: weft_poll_rounds_total{connector,outcome}  outcome: completed, deferred, failed
//          weft_poll_events_total{connector,outcome}  outcome: inserted, duplicate, unreadable
// Logs: poll.* lines with connector and source.
//
// Threads: start() spawns the poller thread; stop() joins it (a round in flight finishes its
// current call first). poll_once() is for tests and must not run while the thread does.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "engine/action_invoker.hpp"
#include "ingest/webhook_ingest.hpp"
#include "pollers/poll_source.hpp"
#include "weft/clock.hpp"
#include "weft/metrics.hpp"
#include "weft/store.hpp"

namespace weft::pollers {

struct PollerEntry {
  PollSourcePtr source;
  std::chrono::seconds interval{60};
};

struct RoundResult {
  enum class Outcome { completed, deferred, failed };
  Outcome outcome = Outcome::completed;
  std::size_t pages = 0;
  std::size_t inserted = 0;
  std::size_t duplicates = 0;
  std::size_t unreadable = 0;
  bool cursor_saved = false;
  std::string error;                    // failed: why
  std::chrono::milliseconds retry_in{0};  // deferred: how long the connector asked to wait
};
const char* to_string(RoundResult::Outcome outcome);

class Poller {
 public:
  // At most this many pages per round; a source with more is read on across rounds only if
  // it saves cursors per page, so the bound protects against a runaway listing.
  static constexpr std::size_t kMaxPagesPerRound = 1000;

  Poller(std::vector<PollerEntry> entries, engine::ActionInvoker& invoker, Store& store,
         ingest::RawEventCommitter& committer, const ingest::ConnectorMap& inbound,
         metrics::Registry& registry, ClockPtr clock);
  ~Poller();
  Poller(const Poller&) = delete;
  Poller& operator=(const Poller&) = delete;

  void start();
  void stop();
  std::size_t source_count() const { return entries_.size(); }

  RoundResult poll_once(const PollSource& source);

 private:
  struct Commit;
  void run();
  // Appends and waits for the commit; false (with `error`) when storage refused.
  bool append(const PollSource& source, const std::vector<std::string>& bodies,
              RoundResult& result);

  std::vector<PollerEntry> entries_;
  engine::ActionInvoker& invoker_;
  Store& store_;
  ingest::RawEventCommitter& committer_;
  const ingest::ConnectorMap& inbound_;
  metrics::Family<metrics::Counter>& rounds_;
  metrics::Family<metrics::Counter>& events_;
  ClockPtr clock_;

  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace weft::pollers
