// InstanceRuntime::to_text: the stored runtime as text, exactly what printing to_json() gives
// (members in key order, compact, invalid UTF-8 replaced) but without building that tree:
// every transition writes it, and the tree's allocations and printing were a tenth of the
// engine's time. Debug builds check each text against the printed tree (InstanceRun::record).

#include <charconv>
#include <ranges>
#include <string>

#include "engine/instance_runtime.hpp"
#include "engine/state_document.hpp"

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
  Writer& value(const json& v) {
    out_ += persisted_text(v);
    return *this;
  }
  // [a,b,...]: the separators are written here, each element by `each(element)`.
  template <class Range, class Each>
  Writer& array(Range&& range, Each each) {
    return sequence('[', ']', range, each);
  }
  Writer& path(const std::vector<int>& p) {
    return array(p, [&](int i) { number(i); });
  }
  // {"key":value,...} of a map in its (key) order.
  template <class Map>
  Writer& object(const Map& map) {
    return sequence('{', '}', map, [&](const auto& member) {
      string(member.first).raw(":").number(member.second);
    });
  }

 private:
  // Takes the range by reference: a filtered view is iterated through a non-const begin().
  template <class Range, class Each>
  Writer& sequence(char open, char close, Range& range, Each each) {
    out_ += open;
    bool first = true;
    for (const auto& element : range) {
      if (!first) out_ += ',';
      first = false;
      each(element);
    }
    out_ += close;
    return *this;
  }

  std::string& out_;
};

}  // namespace

std::string InstanceRuntime::to_text() const {
  std::string out;
  out.reserve(256);
  Writer w(out);
  // Members in key order, as an object prints.
  w.raw(R"({"compensations":)").array(compensations, [&](const Compensation& c) {
    w.raw(R"({"attempt":)").number(c.attempt).raw(R"(,"due":)").number(c.due_ms);
    w.raw(R"(,"first_attempt":)").number(c.first_attempt_ms);
    w.raw(R"(,"step":)").string(c.step_id).raw("}");
  });
  auto unfinished = cursors | std::views::filter([](const Cursor& c) { return !c.finished; });
  w.raw(R"(,"cursors":)").array(unfinished, [&](const Cursor& c) {
    w.raw("{");
    // See to_json(): attempt and first_attempt only once an attempt has failed.
    if (c.attempt != 0) w.raw(R"("attempt":)").number(c.attempt).raw(",");
    w.raw(R"("due":)").number(c.due_ms).raw(R"(,"entered":)").number(c.entered_ms);
    if (c.attempt != 0 && c.first_attempt_ms != 0)
      w.raw(R"(,"first_attempt":)").number(c.first_attempt_ms);
    if (c.input_override) w.raw(R"(,"input_override":)").value(*c.input_override);
    w.raw(R"(,"path":)").path(c.path);
    if (c.waiting)
      w.raw(R"(,"wait_deadline":)").number(c.wait_deadline_ms).raw(R"(,"waiting":true)");
    w.raw("}");
  });
  w.raw(R"(,"done_calls":)").array(done_calls, [&](const DoneCall& d) {
    w.raw(R"({"path":)").path(d.path).raw(R"(,"step":)").string(d.step_id).raw("}");
  });
  if (!failure.is_null()) w.raw(R"(,"failure":)").value(failure);
  w.raw(R"(,"generation":)").object(generation);
  w.raw(R"(,"joins":)").object(joins);
  w.raw(R"(,"milestones":)").object(milestones);
  w.raw(R"(,"phase":)").string(phase);
  w.raw(R"(,"sla_breached":)").array(sla_breached, [&](const std::string& sla) { w.string(sla); });
  w.raw(R"(,"waits":)").array(waits, [&](const EventWaitRecord& e) {
    w.raw(R"({"key":)").string(e.business_key).raw(R"(,"step":)").string(e.step_id);
    w.raw(R"(,"type":)").string(e.event_type).raw("}");
  });
  w.raw("}");
  return out;
}

}  // namespace weft::engine
