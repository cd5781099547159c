#include "demo/demo_runner.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <memory>
#include <ostream>

#include "config/config.hpp"
#include "delivery/curl_transport.hpp"
#include "demo/demo_summary.hpp"
#include "demo/fault_schedule.hpp"
#include "hub/hub.hpp"
#include "sandbox/sandbox_runtime.hpp"
#include "scenario/admin_client.hpp"
#include "scenario/hub_metrics.hpp"
#include "scenario/scenario_player.hpp"
#include "scenario/scenario_plan.hpp"
#include "scenario/scenario_verify.hpp"
#include "weft/log.hpp"

namespace weft::demo {

using nlohmann::json;
namespace fs = std::filesystem;

namespace {

std::string http_url(const std::string& host, std::uint16_t port) {
  const bool v6 = host.find(':') != std::string::npos;
  return "http://" + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

// A port the kernel says is free on `host` now. Another process may take it before the hub
// listens (the hub then fails to start, saying so): the hub's port must be known before the
// sandbox starts, since the sandbox's webhooks go to it.
Result<std::uint16_t, std::string> free_port(const std::string& host) {
  const bool v6 = host.find(':') != std::string::npos;
  const int fd = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return fail(std::string("no socket for a free port"));
  sockaddr_storage address{};
  socklen_t length = 0;
  if (v6) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&address);
    a->sin6_family = AF_INET6;
    length = sizeof *a;
    if (::inet_pton(AF_INET6, host.c_str(), &a->sin6_addr) != 1) length = 0;
  } else {
    auto* a = reinterpret_cast<sockaddr_in*>(&address);
    a->sin_family = AF_INET;
    length = sizeof *a;
    if (::inet_pton(AF_INET, host.c_str(), &a->sin_addr) != 1) length = 0;
  }
  std::uint16_t port = 0;
  if (length != 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&address), length) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    port = ntohs(v6 ? reinterpret_cast<sockaddr_in6*>(&address)->sin6_port
                    : reinterpret_cast<sockaddr_in*>(&address)->sin_port);
  }
  ::close(fd);
  if (port == 0) return fail("no free port on " + host + " (a numeric address is needed for port 0)");
  return port;
}

// Every instance the hub recorded, page by page.
Result<std::vector<InstanceRecord>, std::string> all_instances(const std::string& storage_url) {
  auto storage = open_storage(storage_url);
  if (!storage) return fail("open the hub's database: " + storage.error().message);
  std::vector<InstanceRecord> out;
  InstanceQuery query;
  query.limit = 1000;
  for (;;) {
    auto page = storage->workflows->query_instances(query);
    if (!page) return fail("read the hub's instances: " + page.error().message);
    if (page->empty()) break;
    query.after_id = page->back().id;
    const bool last = page->size() < static_cast<std::size_t>(query.limit);
    out.insert(out.end(), std::make_move_iterator(page->begin()), std::make_move_iterator(page->end()));
    if (last) break;
  }
  return out;
}

class Demo {
 public:
  Demo(const DemoOptions& options, std::ostream& out, std::ostream& err) : options_(options), out_(out), err_(err) {}

  int run(const std::function<void()>& wait_for_stop) {
    if (int bad = prepare(); bad != 0) return bad;
    if (int failed = start(); failed != 0) return failed;
    const int code = play_and_report();
    if (code == 1 && !report_) return stop(1);
    if (options_.once) return stop(code);
    err_ << "Serving until Ctrl-C.\n" << std::flush;
    wait_for_stop();
    return stop(code);
  }

 private:
  // Options, the scenario's plan and the config, all checked before anything starts.
  int prepare() {
    if (!std::isfinite(options_.timeout_seconds) || options_.timeout_seconds <= 0 || options_.timeout_seconds > 86400) {
      err_ << "--timeout: expected seconds between 0 and 86400, got " << options_.timeout_seconds << '\n';
      return 2;
    }
    auto plan = scenario::plan_scenario({options_.seed, options_.customers});
    if (!plan) {
      err_ << plan.error() << '\n';
      return 2;
    }
    plan_ = std::move(plan).value();
    auto sandbox_listen = config::parse_listen(options_.sandbox_listen);
    if (!sandbox_listen) {
      err_ << "--sandbox-listen " << sandbox_listen.error() << '\n';
      return 2;
    }
    sandbox_listen_ = *sandbox_listen;
    auto loaded = config::load(options_.config_path);
    if (!loaded) {
      for (const auto& error : loaded.error()) err_ << error.to_string() << '\n';
      return 1;
    }
    config_ = std::move(loaded).value();
    if (!options_.listen.empty()) {
      auto listen = config::parse_listen(options_.listen);
      if (!listen) {
        err_ << "--listen " << listen.error() << '\n';
        return 2;
      }
      config_.hub.listen_host = listen->host;
      config_.hub.listen_port = listen->port;
    }
    const auto database = config::sqlite_path(config_.storage.url);
    if (!options_.data_dir.empty()) {
      data_dir_ = fs::absolute(options_.data_dir);
    } else if (database) {
      data_dir_ = fs::path(*database).parent_path();
    } else {
      err_ << "weft demo keeps the hub on SQLite: the config's storage is not a SQLite file; pass --data DIR\n";
      return 2;
    }
    return 0;
  }

  int start() {
    // The sandbox starts empty, so the hub does too: a database left by an earlier run would
    // disagree with it.
    std::error_code ec;
    fs::create_directories(data_dir_, ec);
    if (ec) {
      err_ << "weft demo: cannot create " << data_dir_.string() << ": " << ec.message() << '\n';
      return 1;
    }
    const fs::path database = data_dir_ / "weft.db";
    for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(database.string() + suffix, ec);
    config_.storage.url = "sqlite:" + database.string();
    log_path_ = (data_dir_ / "weft.log").string();
    config_.log.sink = log_path_;
    log::Level level = log::Level::info;
    log::parse_level(config_.log.level, level);
    log::configure(level, log_path_);

    if (config_.hub.listen_port == 0) {
      auto port = free_port(config_.hub.listen_host);
      if (!port) {
        err_ << "weft demo: " << port.error() << '\n';
        return 1;
      }
      config_.hub.listen_port = *port;
    }
    hub_url_ = http_url(config_.hub.listen_host, config_.hub.listen_port);

    sandbox::RuntimeOptions sandbox_options;
    sandbox_options.host = sandbox_listen_.host;
    sandbox_options.port = sandbox_listen_.port;
    sandbox_options.hub_url = hub_url_;
    sandbox_options.seed = options_.seed;
    sandbox_ = std::make_unique<sandbox::SandboxRuntime>(sandbox_options);
    if (auto started = sandbox_->start(); !started) {
      err_ << "weft demo: the sandbox: " << started.error() << '\n';
      return 1;
    }
    sandbox_url_ = http_url(sandbox_listen_.host, sandbox_->port());
    // The demo's platforms are the sandbox's, whatever the config names.
    for (auto& [name, connector] : config_.connectors) {
      connector.base_url = sandbox_url_;
      connector.login_url.clear();
    }
    hub_ = std::make_unique<hub::Hub>(config_);
    if (auto started = hub_->start(); !started) {
      err_ << "weft demo: the hub: " << started.error() << '\n';
      return 1;
    }
    err_ << "weft demo: hub " << hub_url_ << ", sandbox " << sandbox_url_ << ", data " << data_dir_.string()
         << ", log " << log_path_ << '\n';
    return 0;
  }

  // 0 consistent, 1 not (or a failure before the report).
  int play_and_report() {
    const scenario::Plan& plan = plan_;
    err_ << "weft demo: playing the scenario: seed " << options_.seed << ", " << options_.customers << " customers, "
         << plan.operations.size() << " operations" << (options_.faults ? ", with faults" : "") << '\n'
         << std::flush;
    delivery::CurlTransport transport;
    scenario::AdminClient admin(transport);
    std::unique_ptr<FaultSchedule> faults;
    if (options_.faults) {
      faults = std::make_unique<FaultSchedule>(
          demo_fault_phases(std::chrono::seconds(8)),
          [&](const json& body) {
            if (auto posted = admin.post_json(sandbox_url_ + "/_sandbox/faults", body); !posted) {
              err_ << "weft demo: faults: " << posted.error() << '\n';
            }
          },
          [&](const std::string& line) { err_ << "weft demo: " << line << '\n' << std::flush; });
    }
    scenario::PlayOptions play;
    play.sandbox_url = sandbox_url_;
    const std::size_t step = std::max<std::size_t>(1, plan.operations.size() / 10);
    play.progress = [&](std::size_t done, std::size_t total) {
      if (faults) faults->progress(done, total);
      if (done % step == 0 || done == total) err_ << "weft demo: " << done << "/" << total << " operations\n" << std::flush;
    };
    auto played = scenario::play_scenario(plan, play);
    if (faults) faults->finish();
    if (!played) {
      err_ << "weft demo: " << played.error() << '\n';
      return 1;
    }

    scenario::VerifyOptions verify;
    verify.sandbox_url = sandbox_url_;
    verify.hub_url = hub_url_;
    verify.timeout = std::chrono::milliseconds(static_cast<std::int64_t>(options_.timeout_seconds * 1000));
    std::size_t polls = 0;
    verify.progress = [&](const std::string& line) {
      if (polls++ % 10 == 0) err_ << "weft demo: waiting for quiescence: " << line << '\n' << std::flush;
    };
    auto report = scenario::verify_scenario(verify);
    if (!report) {
      err_ << "weft demo: " << report.error() << '\n';
      return 1;
    }
    auto rows = summary(admin);
    if (!rows) {
      err_ << "weft demo: " << rows.error() << '\n';
      return 1;
    }
    report_ = std::move(report).value();
    report_->json["summary"] = to_json(*rows);
    report_->json["scenario"] = {{"seed", options_.seed},
                                 {"customers", options_.customers},
                                 {"faults", options_.faults},
                                 {"operations", played->operations},
                                 {"retries", played->retries},
                                 {"activity", plan.counts}};
    if (options_.json) {
      out_ << report_->json.dump(2) << std::endl;
    } else {
      print_table(*rows);
    }
    return report_->consistent ? 0 : 1;
  }

  Result<std::vector<WorkflowSummary>, std::string> summary(scenario::AdminClient& admin) {
    auto text = admin.get_text(hub_url_ + "/metrics");
    if (!text) return fail("the hub: " + text.error());
    auto samples = scenario::parse_prometheus(*text);
    if (!samples) return fail("the hub's /metrics: " + samples.error());
    std::map<std::string, std::int64_t> breaches;
    for (const scenario::Sample& s : *samples) {
      if (s.name != "weft_sla_breaches_total") continue;
      const auto workflow = s.labels.find("workflow");
      if (workflow != s.labels.end()) breaches[workflow->second] += static_cast<std::int64_t>(s.value);
    }
    auto instances = all_instances(config_.storage.url);
    if (!instances) return fail(instances.error());
    return summarise(*instances, scenario::hub_status(*samples).loaded(), breaches);
  }

  void print_table(const std::vector<WorkflowSummary>& rows) {
    const json& report = report_->json;
    out_ << '\n' << format_table(rows) << '\n';
    const json& exceptions = report["exceptions"];
    out_ << "Exceptions open: ";
    if (exceptions.empty()) out_ << "none";
    for (auto it = exceptions.begin(); it != exceptions.end(); ++it) {
      out_ << (it == exceptions.begin() ? "" : ", ") << it.key() << " " << it.value().dump();
    }
    out_ << '\n';
    const json& checks = report["consistency"]["checks"];
    const auto passed = std::count_if(checks.begin(), checks.end(), [](const json& c) { return c.value("ok", false); });
    out_ << "Consistency: " << (report_->consistent ? "consistent" : "NOT consistent") << " (" << passed << "/"
         << checks.size() << " checks passed)\n";
    for (const json& check : checks) {
      if (check.value("ok", false)) continue;
      out_ << "  failed " << check.value("name", "") << ": expected " << check["expected"].dump() << ", actual "
           << check["actual"].dump() << '\n';
    }
    for (const json& note : report["notes"]) out_ << "Note: " << note.get<std::string>() << '\n';
    out_ << "\nHub:      " << hub_url_ << "  (metrics: /metrics, health: /healthz, readiness: /readyz)\n"
         << "Console:  " << hub_url_ << "/console/  (sign in with a key: weft keys create -c " << options_.config_path
         << " --storage sqlite:" << (data_dir_ / "weft.db").string() << " --name NAME --role finance-ops)\n"
         << "Sandbox:  " << sandbox_url_ << "  (state: /_sandbox/state, requests: /_sandbox/requests)\n"
         << "Data:     " << data_dir_.string() << "  (database weft.db, log weft.log)\n"
         << std::flush;
  }

  int stop(int code) {
    if (hub_) hub_->stop();
    if (sandbox_) sandbox_->stop();
    log::flush();
    return code;
  }

  const DemoOptions& options_;
  std::ostream& out_;
  std::ostream& err_;
  scenario::Plan plan_;
  config::ListenAddress sandbox_listen_;
  config::Config config_;
  fs::path data_dir_;
  std::string log_path_, hub_url_, sandbox_url_;
  std::unique_ptr<sandbox::SandboxRuntime> sandbox_;
  std::unique_ptr<hub::Hub> hub_;
  std::optional<scenario::VerifyReport> report_;
};

}  // namespace

int run_demo(const DemoOptions& options, std::ostream& out, std::ostream& err,
             const std::function<void()>& wait_for_stop) {
  return Demo(options, out, err).run(wait_for_stop);
}

}  // namespace weft::demo
