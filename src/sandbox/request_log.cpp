#include "sandbox/request_log.hpp"

#include <vector>

#include "core/time_format.hpp"

namespace weft::sandbox {

nlohmann::json to_json(const RequestRecord& r) {
  return nlohmann::json{{"seq", r.seq},
                        {"time", format_iso8601_ms(r.unix_ms)},
                        {"platform", r.platform},
                        {"method", r.method},
                        {"path", r.path},
                        {"query", r.query},
                        {"idempotency_key", r.idempotency_key.empty() ? nlohmann::json() : nlohmann::json(r.idempotency_key)},
                        {"status", r.status},
                        {"replayed", r.replayed},
                        {"fault", r.fault.empty() ? nlohmann::json() : nlohmann::json(r.fault)},
                        {"correlation_id", r.correlation_id}};
}

void RequestLog::add(RequestRecord record) {
  std::lock_guard lock(mutex_);
  record.seq = next_seq_++;
  records_.push_back(std::move(record));
  while (records_.size() > capacity_) {
    records_.pop_front();
    ++dropped_;
  }
}

void RequestLog::clear() {
  std::lock_guard lock(mutex_);
  records_.clear();
  dropped_ = 0;
}

std::size_t RequestLog::size() const {
  std::lock_guard lock(mutex_);
  return records_.size();
}

nlohmann::json RequestLog::to_json(const RequestQuery& query) const {
  std::lock_guard lock(mutex_);
  // Newest first while collecting, so that `limit` keeps the newest; then oldest first.
  std::vector<const RequestRecord*> picked;
  for (auto it = records_.rbegin(); it != records_.rend() && picked.size() < query.limit; ++it) {
    if (it->seq <= query.after_seq) break;
    if (!query.platform.empty() && it->platform != query.platform) continue;
    picked.push_back(&*it);
  }
  nlohmann::json list = nlohmann::json::array();
  for (auto it = picked.rbegin(); it != picked.rend(); ++it) list.push_back(sandbox::to_json(**it));
  return nlohmann::json{{"requests", std::move(list)},
                        {"total", records_.size()},
                        {"dropped", dropped_},
                        {"last_seq", next_seq_ - 1}};
}

}  // namespace weft::sandbox
