#include "api/lineage.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "api/resource_json.hpp"

namespace weft::api {

namespace {

using nlohmann::json;

constexpr int kPerSource = 200;  // rows read per query: a lineage is a page of history, not a dump

struct Entry {
  std::int64_t at_ms = 0;
  int order = 0;  // within one millisecond: received, mapped, started, stepped
  json body;
};

class Timeline {
 public:
  void add(std::int64_t at_ms, int order, json body) {
    entries_.push_back({at_ms, order, std::move(body)});
  }

  json finish(std::string_view key, std::size_t max_entries) {
    std::stable_sort(entries_.begin(), entries_.end(), [](const Entry& a, const Entry& b) {
      return a.at_ms != b.at_ms ? a.at_ms < b.at_ms : a.order < b.order;
    });
    json out = json::array();
    for (std::size_t i = 0; i < entries_.size() && i < max_entries; ++i)
      out.push_back(std::move(entries_[i].body));
    return {
        {"key", key}, {"entries", std::move(out)}, {"truncated", entries_.size() > max_entries}};
  }

 private:
  std::vector<Entry> entries_;
};

// The step event as a timeline entry: a call's outcome is an outbound request, a decision on
// an approval a human decision, anything else a step.
json step_entry(const InstanceRecord& instance, const StepEventRecord& e) {
  const json detail = parse_or_null(e.detail_json);
  json entry = {{"at", time_json(e.at_ms)},
                {"workflow", instance.workflow},
                {"instance_id", instance.id},
                {"step", e.step_id},
                {"event", e.kind},
                {"attempt", e.attempt}};
  if (e.kind == "approved" || e.kind == "rejected") {
    entry["kind"] = "decision";
    entry["by"] = detail.is_object() ? detail.value("by", json()) : json();
    entry["comment"] = detail.is_object() ? detail.value("comment", json()) : json();
  } else if (detail.is_object() && detail.contains("idempotency_key")) {
    entry["kind"] = "outbound";
    entry["idempotency_key"] = detail["idempotency_key"];
    entry["action"] = detail.value("action", json());
    entry["outcome"] = e.kind;  // completed, retry_scheduled, failed, …
    entry["detail"] = detail;
  } else {
    entry["kind"] = "step";
    entry["detail"] = detail;
  }
  return entry;
}

}  // namespace

StoreResult<json> lineage(Store& events, WorkflowStore& workflows, std::string_view key,
                          std::size_t max_entries) {
  const std::string k(key);
  // Instances: of the key, of the correlation id, or the instance the key names.
  std::map<std::string, InstanceRecord> instances;
  for (bool by_correlation : {false, true}) {
    InstanceQuery q;
    (by_correlation ? q.correlation_id : q.business_key) = k;
    q.limit = kPerSource;
    auto found = workflows.query_instances(q);
    if (!found) return fail(std::move(found).error());
    for (auto& r : *found) instances.emplace(r.id, std::move(r));
  }
  if (auto one = workflows.load_instance(k); !one) {
    return fail(std::move(one).error());
  } else if (one->has_value()) {
    instances.emplace((*one)->id, **one);
  }

  // Canonical events: of the key and of each instance's key.
  std::set<std::string> keys{k};
  for (const auto& [id, r] : instances) keys.insert(r.business_key);
  std::map<std::string, CanonicalEventRecord> canonical;
  for (const std::string& business_key : keys) {
    auto found = workflows.canonical_events(business_key, kPerSource);
    if (!found) return fail(std::move(found).error());
    for (auto& e : *found) canonical.emplace(e.id, std::move(e));
  }

  // Raw events: of the key, and those the canonical events came from (by a correlation id, the
  // raw events are reached through the instances it started: the event log is not indexed by
  // correlation id, which would cost every ingest insert).
  std::map<std::int64_t, RawEvent> raw;
  const auto read_raw = [&](RawEventQuery q) -> StoreResult<void> {
    auto found = events.query_raw_events(q);
    if (!found) return fail(std::move(found).error());
    for (auto& e : *found) raw.emplace(e.seq, std::move(e));
    return {};
  };
  {
    RawEventQuery q;
    q.business_key = k;
    q.limit = kPerSource;
    if (auto read = read_raw(q); !read) return fail(std::move(read).error());
  }
  for (const auto& [id, e] : canonical) {
    if (raw.count(e.raw_seq) != 0 || e.raw_seq <= 0) continue;
    RawEventQuery q;
    q.after_seq = e.raw_seq - 1;
    q.limit = 1;
    if (auto read = read_raw(q); !read) return fail(std::move(read).error());
  }

  Timeline timeline;
  for (const auto& [seq, e] : raw) {
    timeline.add(e.received_at_ms, 0,
                 {{"at", time_json(e.received_at_ms)},
                  {"kind", "raw_event"},
                  {"connector", e.connector},
                  {"type", e.event_type},
                  {"event_id", e.event_id},
                  {"seq", e.seq},
                  {"business_key", e.business_key},
                  {"correlation_id", e.correlation_id}});
  }
  for (const auto& [id, e] : canonical) {
    // Placed just after the raw event it came from (its own time is the platform's).
    const auto from = raw.find(e.raw_seq);
    const std::int64_t at = from != raw.end() ? from->second.received_at_ms : e.occurred_at_ms;
    timeline.add(at, 1,
                 {{"at", time_json(at)},
                  {"kind", "canonical_event"},
                  {"type", e.type},
                  {"id", e.id},
                  {"business_key", e.business_key},
                  {"raw_seq", e.raw_seq}});
  }
  for (const auto& [id, r] : instances) {
    timeline.add(r.created_at_ms, 2,
                 {{"at", time_json(r.created_at_ms)},
                  {"kind", "workflow"},
                  {"event", "started"},
                  {"workflow", r.workflow},
                  {"instance_id", r.id},
                  {"business_key", r.business_key},
                  {"status", to_string(r.status)}});
    auto history = workflows.history(r.id);
    if (!history) return fail(std::move(history).error());
    for (const StepEventRecord& e : *history) timeline.add(e.at_ms, 3, step_entry(r, e));
  }
  return timeline.finish(key, max_entries);
}

}  // namespace weft::api
