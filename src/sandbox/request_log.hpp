#pragma once
// The log of requests the emulators received (GET /_sandbox/requests), so that a scenario can
// check from outside what each platform saw: every request once, with its idempotency key,
// its status, whether it was answered from a saved response, and which fault was injected.
// Bounded: the oldest entries go first; `dropped` says how many.
//
// Threads: every method may be called from any thread.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace weft::sandbox {

struct RequestRecord {
  std::uint64_t seq = 0;  // 1, 2, … in arrival order; set by the log
  std::int64_t unix_ms = 0;
  std::string platform;
  std::string method;
  std::string path;
  std::string query;
  std::string idempotency_key;  // empty: none
  int status = 0;
  bool replayed = false;  // an idempotent replay of an earlier answer
  std::string fault;      // "", "outage", "rate_limit", "error"
  std::string correlation_id;
};

struct RequestQuery {
  std::string platform;            // empty: all
  std::size_t limit = 1000;        // the newest `limit` matching entries
  std::uint64_t after_seq = 0;     // only entries with seq > after_seq (to poll)
};

class RequestLog {
 public:
  explicit RequestLog(std::size_t capacity = 100'000) : capacity_(capacity) {}

  void add(RequestRecord record);
  void clear();
  // {"requests": [oldest first…], "total": <entries kept>, "dropped": N, "last_seq": N}
  nlohmann::json to_json(const RequestQuery& query) const;
  std::size_t size() const;

 private:
  mutable std::mutex mutex_;
  std::size_t capacity_;
  std::deque<RequestRecord> records_;
  std::uint64_t next_seq_ = 1;
  std::uint64_t dropped_ = 0;
};

nlohmann::json to_json(const RequestRecord& record);

}  // namespace weft::sandbox
