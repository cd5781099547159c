#include "engine/instance_runtime.hpp"

namespace weft::engine {

using nlohmann::json;

namespace {

// The object under `key`, or an empty one. A reference into `j`, so that iterating its
// items() does not outlive a temporary.
const json& object_at(const json& j, const char* key) {
  static const json kEmpty = json::object();
  auto it = j.find(key);
  return it != j.end() && it->is_object() ? *it : kEmpty;
}

template <class Value>
void read_map(const json& stored, const char* key, std::map<std::string, Value>& into) {
  for (const auto& [k, v] : object_at(stored, key).items()) into[k] = v.template get<Value>();
}

}  // namespace

InstanceRuntime InstanceRuntime::from_json(const json& stored, const std::string& instance_id) {
  InstanceRuntime rt;
  rt.phase = stored.value("phase", "forward");
  for (const json& c : stored.value("cursors", json::array())) {
    Cursor cursor;
    cursor.path = c.at("path").get<std::vector<int>>();
    cursor.attempt = c.value("attempt", 0);
    cursor.first_attempt_ms = c.value("first_attempt", std::int64_t{0});
    cursor.due_ms = c.value("due", std::int64_t{0});
    cursor.waiting = c.value("waiting", false);
    cursor.wait_deadline_ms = c.value("wait_deadline", std::int64_t{0});
    cursor.entered_ms = c.value("entered", std::int64_t{0});
    if (c.contains("input_override")) cursor.input_override = c["input_override"];
    rt.cursors.push_back(std::move(cursor));
  }
  read_map(stored, "joins", rt.joins);
  for (const json& d : stored.value("done_calls", json::array())) {
    rt.done_calls.push_back(
        {d.at("step").get<std::string>(), d.at("path").get<std::vector<int>>()});
  }
  for (const json& c : stored.value("compensations", json::array())) {
    rt.compensations.push_back({c.at("step").get<std::string>(), c.value("attempt", 0),
                                c.value("first_attempt", std::int64_t{0}),
                                c.value("due", std::int64_t{0})});
  }
  read_map(stored, "generation", rt.generation);
  read_map(stored, "milestones", rt.milestones);
  for (const json& s : stored.value("sla_breached", json::array()))
    rt.sla_breached.insert(s.get<std::string>());
  rt.failure = stored.value("failure", json());
  for (const json& w : stored.value("waits", json::array())) {
    rt.waits.push_back({instance_id, w.at("step").get<std::string>(),
                        w.at("type").get<std::string>(), w.at("key").get<std::string>()});
  }
  return rt;
}

json InstanceRuntime::to_json() const {
  json stored_cursors = json::array();
  for (const Cursor& c : cursors) {
    if (c.finished) continue;
    json j = {{"path", c.path}, {"due", c.due_ms}, {"entered", c.entered_ms}};
    // The start of a step's first attempt is kept once an attempt has failed (retry limits
    // count from it). Before that it is not written: the transition that would only record
    // "the first attempt starts now" is then empty and skipped, so a call that follows a
    // persisted transition directly (the first step of a new instance) costs no commit. A
    // crash during that attempt repeats it, with the same idempotency key, as a first attempt.
    if (c.attempt != 0) {
      j["attempt"] = c.attempt;
      if (c.first_attempt_ms != 0) j["first_attempt"] = c.first_attempt_ms;
    }
    if (c.waiting) {
      j["waiting"] = true;
      j["wait_deadline"] = c.wait_deadline_ms;
    }
    if (c.input_override) j["input_override"] = *c.input_override;
    stored_cursors.push_back(std::move(j));
  }
  json done = json::array();
  for (const DoneCall& d : done_calls) done.push_back({{"step", d.step_id}, {"path", d.path}});
  json comps = json::array();
  for (const Compensation& c : compensations) {
    comps.push_back({{"step", c.step_id},
                     {"attempt", c.attempt},
                     {"first_attempt", c.first_attempt_ms},
                     {"due", c.due_ms}});
  }
  json stored_waits = json::array();
  for (const EventWaitRecord& w : waits) {
    stored_waits.push_back({{"step", w.step_id}, {"type", w.event_type}, {"key", w.business_key}});
  }
  json out = {
      {"phase", phase},           {"cursors", stored_cursors},    {"joins", joins},
      {"done_calls", done},       {"compensations", comps},       {"generation", generation},
      {"milestones", milestones}, {"sla_breached", sla_breached}, {"waits", stored_waits}};
  if (!failure.is_null()) out["failure"] = failure;
  return out;
}

}  // namespace weft::engine
