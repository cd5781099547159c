#include "pollers/poller.hpp"

#include <algorithm>
#include <variant>

#include "core/thread_role.hpp"
#include "http/router.hpp"
#include "weft/log.hpp"

namespace weft::pollers {

const char* to_string(RoundResult::Outcome outcome) {
  switch (outcome) {
    case RoundResult::Outcome::completed: return "completed";
    case RoundResult::Outcome::deferred: return "deferred";
    case RoundResult::Outcome::failed: return "failed";
  }
  return "unknown";
}

Poller::Poller(std::vector<PollerEntry> entries, engine::ActionInvoker& invoker, Store& store,
               ingest::RawEventCommitter& committer, const ingest::ConnectorMap& inbound,
               metrics::Registry& registry, ClockPtr clock)
    : entries_(std::move(entries)),
      invoker_(invoker),
      store_(store),
      committer_(committer),
      inbound_(inbound),
      rounds_(registry.counter("weft_poll_rounds_total",
                               "Backfill poll rounds by connector and outcome "
                               "(completed, deferred, failed)",
                               {"connector", "outcome"})),
      events_(registry.counter("weft_poll_events_total",
                               "Events read by backfill polls by connector and outcome "
                               "(inserted, duplicate: a webhook or an earlier poll had it, "
                               "unreadable)",
                               {"connector", "outcome"})),
      clock_(std::move(clock)) {}

Poller::~Poller() { stop(); }

void Poller::start() {
  if (entries_.empty() || thread_.joinable()) return;
  thread_ = std::thread([this] {
    set_thread_role("poller");
    run();
  });
}

void Poller::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Poller::run() {
  using Clock = std::chrono::steady_clock;
  // Every source polls once soon after start, then on its interval.
  std::vector<Clock::time_point> due(entries_.size(), clock_->monotonic());
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    const auto next = std::min_element(due.begin(), due.end());
    const auto index = static_cast<std::size_t>(next - due.begin());
    const auto wait = *next - clock_->monotonic();
    if (wait > Clock::duration::zero()) {
      wake_.wait_for(lock, wait);
      continue;
    }
    lock.unlock();
    const PollerEntry& entry = entries_[index];
    const RoundResult result = poll_once(*entry.source);
    auto delay = std::chrono::duration_cast<Clock::duration>(entry.interval);
    if (result.outcome == RoundResult::Outcome::deferred) {
      delay = std::max<Clock::duration>(result.retry_in, std::chrono::seconds(1));
    }
    lock.lock();
    due[index] = clock_->monotonic() + delay;
  }
}

RoundResult Poller::poll_once(const PollSource& source) {
  RoundResult result;
  const std::string& connector = source.connector();
  const auto finish = [&](RoundResult::Outcome outcome) {
    result.outcome = outcome;
    rounds_.with({connector, to_string(outcome)}).inc();
    const auto level = outcome == RoundResult::Outcome::failed ? log::Level::warn : log::Level::info;
    if (log::enabled(level)) {
      log::write(level, "poll.round",
                 {{"connector", connector},
                  {"source", source.cursor_name()},
                  {"outcome", to_string(outcome)},
                  {"pages", static_cast<std::int64_t>(result.pages)},
                  {"inserted", static_cast<std::int64_t>(result.inserted)},
                  {"duplicates", static_cast<std::int64_t>(result.duplicates)},
                  {"unreadable", static_cast<std::int64_t>(result.unreadable)},
                  {"error", result.error}});
    }
    return result;
  };

  auto cursor = store_.load_cursor(source.cursor_name());
  if (!cursor) {
    result.error = "cannot read the poll cursor: " + cursor.error().message;
    return finish(RoundResult::Outcome::failed);
  }
  engine::ActionRequest request;
  request.connector = connector;
  request.action = source.action();
  request.input = source.first_input(*cursor, clock_->unix_seconds());
  request.correlation_id = http::correlation_id_for(http::Headers{});
  nlohmann::json round;
  std::vector<std::string> held;  // bodies waiting for a cursor to be saved with them

  while (result.pages < kMaxPagesPerRound) {
    // Reads carry no idempotency key: listing has no effect to guard.
    const engine::ActionOutcome outcome = invoker_.invoke(request);
    if (const auto* deferred = std::get_if<engine::Deferred>(&outcome)) {
      result.retry_in = deferred->wait;
      result.error = deferred->reason;
      return finish(RoundResult::Outcome::deferred);
    }
    if (const auto* failure = std::get_if<delivery::Failure>(&outcome)) {
      result.error = std::string(delivery::to_string(failure->cls)) + ": " + failure->message;
      return finish(RoundResult::Outcome::failed);
    }
    ++result.pages;
    auto page = source.read(request.input, std::get<engine::ActionSuccess>(outcome).output, round);
    if (!page) {
      result.error = page.error();
      return finish(RoundResult::Outcome::failed);
    }
    held.insert(held.end(), std::make_move_iterator(page->bodies.begin()),
                std::make_move_iterator(page->bodies.end()));
    if (page->cursor) {
      if (!append(source, held, result)) return finish(RoundResult::Outcome::failed);
      held.clear();
      if (auto saved = store_.save_cursor(source.cursor_name(), *page->cursor,
                                          clock_->unix_millis());
          !saved) {
        result.error = "cannot save the poll cursor: " + saved.error().message;
        return finish(RoundResult::Outcome::failed);
      }
      result.cursor_saved = true;
    }
    if (!page->next_input) break;
    request.input = std::move(*page->next_input);
    if (page->next_action) request.action = std::move(*page->next_action);
  }
  // Bodies never covered by a cursor are appended anyway (nothing is lost), but the next
  // round reads them again.
  if (!held.empty() && !append(source, held, result)) return finish(RoundResult::Outcome::failed);
  return finish(RoundResult::Outcome::completed);
}

struct Poller::Commit {
  std::mutex mutex;
  std::condition_variable done;
  std::size_t pending = 0;
  std::size_t inserted = 0;
  std::size_t duplicates = 0;
  std::string error;
};

bool Poller::append(const PollSource& source, const std::vector<std::string>& bodies,
                    RoundResult& result) {
  const std::string& connector = source.connector();
  const auto inbound = inbound_.find(connector);
  if (inbound == inbound_.end()) {
    result.error = "connector '" + connector + "' has no webhook side to read polled events with";
    return false;
  }
  auto commit = std::make_shared<Commit>();
  const std::int64_t now_ms = clock_->unix_millis();
  for (const std::string& body : bodies) {
    auto identity = inbound->second->identify(http::Headers{}, body);
    if (!identity) {
      // The webhook path would refuse the same document with a 400: count and log it,
      // rather than stall every later event behind it.
      ++result.unreadable;
      events_.with({connector, "unreadable"}).inc();
      log::warn("poll.unreadable_item", {{"connector", connector},
                                        {"source", source.cursor_name()},
                                        {"error", identity.error().message}});
      continue;
    }
    NewRawEvent event;
    event.connector = connector;
    event.event_id = std::move(identity->event_id);
    event.event_type = std::move(identity->event_type);
    event.business_key = std::move(identity->business_key);
    event.occurred_at_ms = identity->occurred_at_ms;
    event.received_at_ms = now_ms;
    event.correlation_id = http::correlation_id_for(http::Headers{});
    event.body = body;
    {
      std::lock_guard lock(commit->mutex);
      ++commit->pending;
    }
    committer_.submit(std::move(event), [commit](StoreResult<AppendOutcome> outcome) {
      std::lock_guard lock(commit->mutex);
      if (!outcome) {
        if (commit->error.empty()) commit->error = outcome.error().message;
      } else if (*outcome == AppendOutcome::inserted) {
        ++commit->inserted;
      } else {
        ++commit->duplicates;
      }
      if (--commit->pending == 0) commit->done.notify_all();
    });
  }
  std::unique_lock lock(commit->mutex);
  commit->done.wait(lock, [&] { return commit->pending == 0; });
  result.inserted += commit->inserted;
  result.duplicates += commit->duplicates;
  events_.with({connector, "inserted"}).inc(static_cast<double>(commit->inserted));
  events_.with({connector, "duplicate"}).inc(static_cast<double>(commit->duplicates));
  if (!commit->error.empty()) {
    result.error = "cannot append polled events: " + commit->error;
    return false;
  }
  return true;
}

}  // namespace weft::pollers
