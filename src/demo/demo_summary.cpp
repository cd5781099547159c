#include "demo/demo_summary.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

namespace weft::demo {

using nlohmann::json;

std::optional<double> percentile(std::vector<double> values, double p) {
  if (values.empty()) return std::nullopt;
  std::sort(values.begin(), values.end());
  const double rank = std::ceil(p / 100.0 * static_cast<double>(values.size()));
  const auto index = static_cast<std::size_t>(std::clamp(rank, 1.0, static_cast<double>(values.size()))) - 1;
  return values[index];
}

std::vector<WorkflowSummary> summarise(const std::vector<InstanceRecord>& instances,
                                       const std::set<std::string>& loaded,
                                       const std::map<std::string, std::int64_t>& sla_breaches) {
  std::map<std::string, WorkflowSummary> rows;
  std::map<std::string, std::vector<double>> durations;
  for (const std::string& name : loaded) rows[name].workflow = name;
  for (const InstanceRecord& instance : instances) {
    WorkflowSummary& row = rows[instance.workflow];
    row.workflow = instance.workflow;
    switch (instance.status) {
      case InstanceStatus::completed:
        ++row.completed;
        durations[instance.workflow].push_back(
            static_cast<double>(instance.updated_at_ms - instance.created_at_ms) / 1000.0);
        break;
      case InstanceStatus::waiting: ++row.waiting; break;
      case InstanceStatus::running: ++row.running; break;
      case InstanceStatus::failed: ++row.failed; break;
      case InstanceStatus::discarded: ++row.discarded; break;
    }
  }
  std::vector<WorkflowSummary> out;
  for (auto& [name, row] : rows) {
    row.p50_seconds = percentile(durations[name], 50);
    row.p99_seconds = percentile(durations[name], 99);
    if (const auto it = sla_breaches.find(name); it != sla_breaches.end()) row.sla_breaches = it->second;
    out.push_back(std::move(row));
  }
  return out;
}

namespace {

std::string seconds_text(const std::optional<double>& seconds) {
  if (!seconds) return "-";
  char text[32];
  if (*seconds < 10) {
    std::snprintf(text, sizeof text, "%.2fs", *seconds);
  } else {
    std::snprintf(text, sizeof text, "%.1fs", *seconds);
  }
  return text;
}

}  // namespace

std::string format_table(const std::vector<WorkflowSummary>& rows) {
  const std::vector<std::string> header{"workflow", "completed", "waiting approval/event", "running",
                                        "in exception", "p50", "p99", "SLA breaches"};
  std::vector<std::vector<std::string>> cells{header};
  for (const WorkflowSummary& r : rows) {
    cells.push_back({r.workflow, std::to_string(r.completed), std::to_string(r.waiting), std::to_string(r.running),
                     std::to_string(r.failed), seconds_text(r.p50_seconds), seconds_text(r.p99_seconds),
                     std::to_string(r.sla_breaches)});
  }
  std::vector<std::size_t> width(header.size(), 0);
  for (const auto& line : cells) {
    for (std::size_t i = 0; i < line.size(); ++i) width[i] = std::max(width[i], line[i].size());
  }
  std::ostringstream out;
  for (const auto& line : cells) {
    for (std::size_t i = 0; i < line.size(); ++i) {
      // The name left-aligned, the figures right-aligned under their headings.
      const std::string pad(width[i] - line[i].size(), ' ');
      out << (i == 0 ? line[i] + pad : pad + line[i]) << (i + 1 < line.size() ? "  " : "\n");
    }
  }
  return out.str();
}

json to_json(const std::vector<WorkflowSummary>& rows) {
  json out = json::array();
  auto seconds = [](const std::optional<double>& s) { return s ? json(*s) : json(); };
  for (const WorkflowSummary& r : rows) {
    out.push_back({{"workflow", r.workflow},
                   {"completed", r.completed},
                   {"waiting", r.waiting},
                   {"running", r.running},
                   {"failed", r.failed},
                   {"discarded", r.discarded},
                   {"p50_seconds", seconds(r.p50_seconds)},
                   {"p99_seconds", seconds(r.p99_seconds)},
                   {"sla_breaches", r.sla_breaches}});
  }
  return out;
}

}  // namespace weft::demo
