#include "scenario/hub_metrics.hpp"

#include <cstdlib>
#include <sstream>

namespace weft::scenario {

namespace {

// name{a="x",b="y\"z"} value [timestamp]
bool parse_line(const std::string& line, Sample& out) {
  std::size_t at = line.find_first_of("{ ");
  if (at == std::string::npos || at == 0) return false;
  out.name = line.substr(0, at);
  out.labels.clear();
  if (line[at] == '{') {
    ++at;
    while (at < line.size() && line[at] != '}') {
      const auto eq = line.find('=', at);
      if (eq == std::string::npos || eq + 1 >= line.size() || line[eq + 1] != '"') return false;
      const std::string key = line.substr(at, eq - at);
      std::string value;
      std::size_t i = eq + 2;
      for (; i < line.size() && line[i] != '"'; ++i) {
        if (line[i] == '\\' && i + 1 < line.size()) {
          ++i;
          value += line[i] == 'n' ? '\n' : line[i];
        } else {
          value += line[i];
        }
      }
      if (i >= line.size()) return false;
      out.labels[key] = value;
      at = i + 1;
      if (at < line.size() && line[at] == ',') ++at;
    }
    if (at >= line.size()) return false;
    ++at;  // '}'
  }
  while (at < line.size() && line[at] == ' ') ++at;
  const std::string number = line.substr(at, line.find(' ', at) - at);
  if (number.empty()) return false;
  char* end = nullptr;
  out.value = std::strtod(number.c_str(), &end);
  return end != nullptr && *end == '\0';
}

}  // namespace

Result<std::vector<Sample>, std::string> parse_prometheus(const std::string& text) {
  std::vector<Sample> out;
  std::istringstream lines(text);
  std::string line;
  for (int number = 1; std::getline(lines, line); ++number) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    Sample sample;
    if (!parse_line(line, sample)) return fail("metrics line " + std::to_string(number) + " is not a sample: " + line);
    out.push_back(std::move(sample));
  }
  return out;
}

std::set<std::string> HubStatus::loaded() const {
  std::set<std::string> out;
  for (const auto& [name, counts] : workflows) out.insert(name);
  return out;
}

HubStatus hub_status(const std::vector<Sample>& samples) {
  HubStatus status;
  auto label = [](const Sample& s, const char* key) {
    const auto it = s.labels.find(key);
    return it == s.labels.end() ? std::string() : it->second;
  };
  for (const Sample& s : samples) {
    if (s.name == "weft_workflows_running") {
      auto& counts = status.workflows[label(s, "workflow")];
      if (counts.is_null()) counts = nlohmann::json::object();
      counts["running"] = static_cast<std::int64_t>(s.value);
      status.running += s.value;
    } else if (s.name == "weft_workflows_total") {
      auto& counts = status.workflows[label(s, "workflow")];
      if (counts.is_null()) counts = nlohmann::json::object();
      counts[label(s, "status")] = static_cast<std::int64_t>(s.value);
    } else if (s.name == "weft_exceptions_open") {
      status.exceptions_open[label(s, "class")] = s.value;
    } else if (s.name == "weft_events_unprocessed") {
      status.events_unprocessed = s.value;
    } else if (s.name == "weft_tasks_due") {
      status.tasks_due = s.value;
    }
  }
  return status;
}

}  // namespace weft::scenario
