// InstanceRun::runtime_text: an instance's cursors and bookkeeping as stored text, exactly what
// printing save_runtime()'s JSON gives (members in key order, compact, invalid UTF-8 replaced)
// but without building that tree: record() writes it at every transition, and the tree's
// allocations and printing were a tenth of the engine's time. Debug builds check each text
// against the printed tree (InstanceRun::record).

#include <charconv>
#include <string>

#include "engine/instance_run.hpp"

namespace weft::engine {

namespace {

using nlohmann::json;

class Writer {
 public:
  explicit Writer(std::string& out) : out_(out) {}

  Writer& raw(std::string_view text) {
    out_ += text;
    return *this;
  }
  Writer& number(std::int64_t n) {
    char buffer[24];
    const auto end = std::to_chars(buffer, buffer + sizeof buffer, n).ptr;
    out_.append(buffer, end);
    return *this;
  }
  // A JSON string as nlohmann prints it. Step ids and keys are plain ASCII almost always:
  // those are copied; anything else is printed by the library.
  Writer& string(std::string_view s) {
    for (const char c : s) {
      const auto u = static_cast<unsigned char>(c);
      if (u < 0x20 || u >= 0x80 || c == '"' || c == '\\') {
        out_ += persisted_text(json(s));
        return *this;
      }
    }
    out_ += '"';
    out_ += s;
    out_ += '"';
    return *this;
  }
  Writer& path(const std::vector<int>& p) {
    out_ += '[';
    for (std::size_t i = 0; i < p.size(); ++i) {
      if (i != 0) out_ += ',';
      number(p[i]);
    }
    out_ += ']';
    return *this;
  }
  Writer& value(const json& v) {
    out_ += persisted_text(v);
    return *this;
  }
  // {"key":value,...} of a map in its (key) order.
  template <class Map>
  Writer& object(const Map& map) {
    out_ += '{';
    bool first = true;
    for (const auto& [key, n] : map) {
      if (!first) out_ += ',';
      first = false;
      string(key).raw(":").number(n);
    }
    out_ += '}';
    return *this;
  }
  // [a,b,...] of elements each written by `each`.
  template <class Range, class Each>
  Writer& array(const Range& range, Each each) {
    out_ += '[';
    bool first = true;
    for (const auto& element : range) {
      if (!each(element, first)) continue;
      first = false;
    }
    out_ += ']';
    return *this;
  }

 private:
  std::string& out_;
};

}  // namespace

std::string InstanceRun::runtime_text() const {
  std::string out;
  out.reserve(256);
  Writer w(out);
  // Members in key order, as an object prints.
  w.raw(R"({"compensations":)").array(compensations_, [&](const Compensation& c, bool first) {
    w.raw(first ? "" : ",")
        .raw(R"({"attempt":)")
        .number(c.attempt)
        .raw(R"(,"due":)")
        .number(c.due_ms);
    w.raw(R"(,"first_attempt":)")
        .number(c.first_attempt_ms)
        .raw(R"(,"step":)")
        .string(c.step_id)
        .raw("}");
    return true;
  });
  w.raw(R"(,"cursors":)").array(cursors_, [&](const Cursor& c, bool first) {
    if (c.finished) return false;
    w.raw(first ? "{" : ",{");
    // See save_runtime(): attempt and first_attempt only once an attempt has failed.
    if (c.attempt != 0) w.raw(R"("attempt":)").number(c.attempt).raw(",");
    w.raw(R"("due":)").number(c.due_ms).raw(R"(,"entered":)").number(c.entered_ms);
    if (c.attempt != 0 && c.first_attempt_ms != 0)
      w.raw(R"(,"first_attempt":)").number(c.first_attempt_ms);
    if (c.input_override) w.raw(R"(,"input_override":)").value(*c.input_override);
    w.raw(R"(,"path":)").path(c.path);
    if (c.waiting)
      w.raw(R"(,"wait_deadline":)").number(c.wait_deadline_ms).raw(R"(,"waiting":true)");
    w.raw("}");
    return true;
  });
  w.raw(R"(,"done_calls":)").array(done_calls_, [&](const DoneCall& d, bool first) {
    w.raw(first ? "" : ",")
        .raw(R"({"path":)")
        .path(d.path)
        .raw(R"(,"step":)")
        .string(d.step_id)
        .raw("}");
    return true;
  });
  if (!failure_.is_null()) w.raw(R"(,"failure":)").value(failure_);
  w.raw(R"(,"generation":)").object(generation_);
  w.raw(R"(,"joins":)").object(joins_);
  w.raw(R"(,"milestones":)").object(milestones_);
  w.raw(R"(,"phase":)").string(phase_);
  w.raw(R"(,"sla_breached":)").array(sla_breached_, [&](const std::string& sla, bool first) {
    w.raw(first ? "" : ",").string(sla);
    return true;
  });
  w.raw(R"(,"waits":)").array(waits_, [&](const EventWaitRecord& e, bool first) {
    w.raw(first ? "" : ",")
        .raw(R"({"key":)")
        .string(e.business_key)
        .raw(R"(,"step":)")
        .string(e.step_id);
    w.raw(R"(,"type":)").string(e.event_type).raw("}");
    return true;
  });
  w.raw("}");
  return out;
}

}  // namespace weft::engine
