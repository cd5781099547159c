// slos: and alerts: in the config (docs/configuration.md, "SLOs and alerts").

#include <yaml-cpp/yaml.h>

#include <array>
#include <chrono>
#include <set>

#include "config/loader.hpp"
#include "core/duration.hpp"

namespace weft::config::detail {

namespace {

constexpr std::array<std::string_view, 6> kSloKeys{"name",      "workflow", "sla",
                                                   "objective", "window",   "exceptions"};
constexpr std::array<std::string_view, 2> kBacklogKeys{"workflow", "max_open"};
constexpr std::array<std::string_view, 4> kAlertKeys{"webhook_url", "secret", "timeout",
                                                     "repeat_after"};

}  // namespace

void Loader::parse_duration_ms(const Entry& e, const std::string& s, std::int64_t& out_ms,
                               std::int64_t min_ms) {
  auto duration = parse_duration(s);
  if (!duration) {
    error(e.line, e.field + " " + duration.error() + got(e));
    return;
  }
  if (duration->count() < min_ms) {
    error(e.line, e.field + " must be at least " +
                      format_duration(std::chrono::milliseconds(min_ms)) + got(e));
    return;
  }
  out_ms = duration->count();
}

void Loader::read_slos(const Entry& section, std::vector<SloConfig>& slos) {
  auto list = items(section);
  if (!list) return;
  std::map<std::string, int> seen;  // name -> line
  for (const Entry& item : *list) {
    // Names are checked for repeats even in an item with other mistakes.
    const YAML::Node name =
        item.value.IsMap() ? static_cast<const YAML::Node&>(item.value)["name"] : YAML::Node();
    bool repeated = false;
    if (name.IsScalar()) {
      const auto [first, inserted] = seen.emplace(name.Scalar(), item.line);
      if (!inserted) {
        error(item.line, item.field + ": SLO name '" + name.Scalar() + "' is used already (line " +
                             std::to_string(first->second) + ")");
        repeated = true;
      }
    }
    auto slo = read_slo(item);
    if (slo && !repeated) slos.push_back(std::move(*slo));
  }
}

// One item of slos:, nullopt when it is unusable (reported).
std::optional<SloConfig> Loader::read_slo(const Entry& item) {
  SloConfig slo;
  slo.where = Location{file_, item.line};
  if (!item.value.IsMap()) {
    error(item.line,
          item.field +
              " must be a mapping with name, workflow, sla and objective (or name and exceptions)");
    return std::nullopt;
  }
  const std::size_t errors_before = errors_.size();
  std::set<std::string> given;
  for_each_entry(item.value, item.line, item.field, kSloKeys, [&](const Entry& e) {
    given.insert(e.key);
    if (e.key == "exceptions") {
      for_each_entry(e.value, e.line, e.field, kBacklogKeys, [&](const Entry& b) {
        given.insert("exceptions." + b.key);
        const auto s = text(b);
        if (!s) return;
        if (b.key == "workflow") {
          slo.workflow = *s;
          slo.workflow_where = Location{file_, b.line};
        } else {
          int max_open = 0;
          parse_int(b, *s, max_open, 0, 1'000'000);
          slo.max_open = max_open;
        }
      });
      return;
    }
    const auto s = text(e);
    if (!s) return;
    if (e.key == "name") {
      if (!is_connector_name(*s)) {
        error(e.line,
              e.field + " may use only a-z, 0-9, '_' and '-' (it is a metric label)" + got(e));
      }
      slo.name = *s;
    } else if (e.key == "workflow") {
      slo.workflow = *s;
      slo.workflow_where = Location{file_, e.line};
    } else if (e.key == "sla") {
      slo.sla = *s;
      slo.sla_where = Location{file_, e.line};
    } else if (e.key == "objective") {
      const std::size_t before = errors_.size();
      parse_double(e, *s, slo.objective, 0, 1);
      if (slo.objective <= 0 || slo.objective >= 1) {
        if (errors_.size() == before) {
          error(e.line, e.field +
                            " must be above 0 and below 1 (0.99 is 99% of outcomes met; 1 leaves "
                            "no error budget)" +
                            got(e));
        }
      }
    } else if (e.key == "window") {
      parse_duration_ms(e, *s, slo.window_ms, 60'000);
    }
  });
  const auto missing = [&](const std::string& what) {
    error(item.line, item.field + " has no " + what);
  };
  if (!given.count("name")) missing("name");
  if (given.count("exceptions")) {
    for (const char* key : {"sla", "objective", "window", "workflow"}) {
      if (given.count(key)) {
        error(item.line, item.field + " has both exceptions: and " + key +
                             ": (an SLO is either an SLA objective or an exception backlog)");
      }
    }
    if (!given.count("exceptions.workflow")) missing("exceptions.workflow");
    if (!given.count("exceptions.max_open")) missing("exceptions.max_open");
  } else {
    for (const char* key : {"workflow", "sla", "objective"}) {
      if (!given.count(key))
        missing(std::string(key) + " (or exceptions: {workflow, max_open} for a backlog SLO)");
    }
  }
  if (errors_.size() != errors_before) return std::nullopt;
  return slo;
}

void Loader::read_alerts(const Entry& section, AlertsConfig& alerts) {
  alerts.where = Location{file_, section.line};
  if (!section.value.IsMap()) {
    error(section.line, "alerts must be a mapping with webhook_url and secret");
    return;
  }
  for_each_entry(section.value, section.line, "alerts", kAlertKeys, [&](const Entry& e) {
    const auto s = text(e);
    if (!s) return;
    if (e.key == "webhook_url") {
      alerts.webhook_url = *s;
      check_http_url(e, alerts.webhook_url);
    } else if (e.key == "secret") {
      alerts.secret = Secret(*s);
    } else if (e.key == "timeout") {
      std::int64_t ms = 0;
      parse_duration_ms(e, *s, ms, 1000);
      if (ms > 300'000)
        error(e.line, e.field + " must be at most 5m" + got(e));
      else if (ms > 0)
        alerts.timeout_seconds = static_cast<int>(ms / 1000);
    } else if (e.key == "repeat_after") {
      parse_duration_ms(e, *s, alerts.repeat_after_ms, 60'000);
    }
  });
  if (alerts.webhook_url.empty()) error(section.line, "alerts has no webhook_url");
  if (alerts.secret.empty()) {
    error(section.line,
          "alerts has no secret (the key that signs each alert; e.g. secret: ${ALERT_SECRET})");
  }
}

}  // namespace weft::config::detail
