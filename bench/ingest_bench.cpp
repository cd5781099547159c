// Ingest benchmark: how many signed Stripe webhooks per second `weft serve` durably commits,
// and how fast it acknowledges them. Run by `make bench` (scripts/bench.sh), never by the tests.
// docs/benchmarks.md describes the method and records the figures.
//
// The hub runs as a real process (`weft serve`, release build) pinned to one core; this
// program pins itself to the other. Load is open-loop: request i is due at start + i/rate,
// whatever happened to the requests before it, and its latency is measured from that due
// time, so a slow hub cannot hide its slowness by slowing the generator down (no coordinated
// omission). A request that is due while every connection is waiting for an answer queues
// here, and that wait counts. Every body is generated and signed before the clock starts, so
// the generator's cost per request is one write and one response parse. `--null-hub` measures
// the generator alone.

#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "support/answering_server.hpp"
#include "support/cpu.hpp"
#include "support/hub_process.hpp"
#include "support/load_generator.hpp"
#include "support/metrics_scrape.hpp"
#include "support/report.hpp"
#include "support/stripe_workload.hpp"

namespace {

using namespace weft::bench;
namespace fs = std::filesystem;

constexpr std::string_view kConnector = "stripe";
constexpr std::string_view kSecret = "whsec_bench";

struct Options {
  std::string weft = WEFT_BINARY;
  double rate = 25000;
  double duration = 10;
  double latency_rate = 2000;
  double latency_duration = 10;
  double warmup = 2;  // seconds at latency_rate before the first phase, not reported
  int connections = 256;
  std::size_t body_bytes = 2048;
  double drain_timeout = 30;  // seconds to wait for answers after the last request is due
  std::string phases = "throughput,latency";
  int hub_cpu = 1;
  int client_cpu = 0;
  int hub_threads = 0;  // 0: the hub's default
  // Both processes (and, for the run, their session's autogroup) run at this nice value when
  // allowed (root or CAP_SYS_NICE), so that other work on a shared machine is less likely to
  // take the hub's core in the middle of a phase.
  int nice = -20;
  std::string dir;  // where the temporary directory (and the database) goes
  // Diagnostics: what the budget is measured with is the default, a file with synchronous=FULL.
  std::string storage;               // a storage URL instead of the temporary file
  std::string synchronous = "full";  // storage.synchronous
  double commit_interval_ms = -1;    // storage.commit_interval_ms; below 0: the hub's default
  // What the hub's mapping stage does with the events while ingest runs: "shipped" maps them with
  // the repository's mappings and canonical schemas, as a production hub does; "none" gives it no
  // mappings, so every event becomes a no_mapping exception (and a warning in the log).
  std::string mapping = "shipped";
  bool keep = false;
  bool json = false;
  bool check_budget = false;
  bool null_hub = false;
  double timeline = 0;  // seconds per line of the latency timeline; 0: none
};

// ---------------------------------------------------------------------------------------------
// The figures this benchmark reads from GET /metrics.

struct HubMetrics {
  double batch_sum = 0;    // events written by group commits
  double batch_count = 0;  // group commits, one fsync each
  double commit_seconds_sum = 0;
  double accepted = 0;  // weft_webhooks_total{connector="stripe",outcome="accepted"}
  // weft_ingest_ack_seconds: the hub's own view, from handing the request to ingest to
  // handing back the answer (no parsing, queueing in sockets or client time).
  double ack_sum = 0;
  double ack_count = 0;
  std::map<double, double> ack_buckets;  // le → cumulative count
  double unprocessed = 0;  // weft_events_unprocessed: accepted, not yet mapped
  bool ok = false;
};

HubMetrics scrape(std::uint16_t port) {
  HubMetrics m;
  const MetricsSample sample = MetricsSample::scrape(port);
  if (!sample.ok()) return m;
  m.batch_sum = sample.sum("weft_storage_commit_batch_size_sum");
  m.batch_count = sample.sum("weft_storage_commit_batch_size_count");
  m.commit_seconds_sum = sample.sum("weft_storage_commit_seconds_sum");
  m.ack_sum = sample.sum("weft_ingest_ack_seconds_sum");
  m.ack_count = sample.sum("weft_ingest_ack_seconds_count");
  m.ack_buckets = sample.buckets("weft_ingest_ack_seconds");
  m.unprocessed = sample.sum("weft_events_unprocessed");
  m.accepted = sample.sum("weft_webhooks_total", {"connector=\"" + std::string(kConnector) + "\"",
                                                  "outcome=\"accepted\""});
  m.ok = true;
  return m;
}

// ---------------------------------------------------------------------------------------------
// Requests: realistic Stripe invoice events of the four invoice types in turn, each with its
// own event id, signed as Stripe signs them.

// `count` webhooks, ids unique per (run, phase); request i is signed with the time it is
// due at (assuming the phase starts at `start_unix`), so that the 300 s signature tolerance
// holds for phases of any length.
Workload make_workload(std::string_view run_id, char phase, std::size_t count, double rate,
                       std::int64_t start_unix, std::uint16_t port, std::size_t body_bytes) {
  static constexpr const char* kRegions[] = {"emea", "amer", "apac"};
  std::mt19937_64 rng(0x5eed0000ULL + static_cast<unsigned char>(phase));
  const std::string host = "127.0.0.1:" + std::to_string(port);
  Workload w;
  w.requests.reserve(count);
  std::string body;
  InvoiceEvent e;
  for (std::size_t i = 0; i < count; ++i) {
    const std::int64_t due = start_unix + static_cast<std::int64_t>(static_cast<double>(i) / rate);
    const std::uint64_t customer = rng() % 20000;
    e.plan = static_cast<int>(rng() % 3);
    e.quantity = 1 + static_cast<int>(rng() % 5);
    e.kind = static_cast<InvoiceEvent::Kind>(i % 4);
    e.created = due;
    e.event_id = std::string("1Bn") + phase + std::string(run_id) + base36(i, 8);
    e.invoice_id = std::string("1Bn") + phase + base36(i / 4, 8) + std::string(run_id);
    e.customer_id = "Bench" + base36(customer, 6);
    e.charge_id = "Bn" + base36(i, 10);
    e.region = kRegions[customer % 3];
    e.number = base36(customer, 6) + "-" + std::to_string(i / 4 + 1);
    render_invoice_event(e, body_bytes, body);
    w.body_bytes += body.size();
    w.requests.push_back(stripe_webhook_request(host, kConnector, kSecret, due, body));
  }
  return w;
}

// ---------------------------------------------------------------------------------------------
// Phases and reporting.

struct PhaseReport {
  std::string name;
  double offered_rate = 0;
  double duration_s = 0;
  int connections = 0;
  RunResult run;
  std::size_t accepted = 0;  // 2xx
  double accepted_per_s = 0;
  double p50_ms = 0, p90_ms = 0, p99_ms = 0, p999_ms = 0, max_ms = 0;
  double wire_p99_ms = 0;
  double send_lag_p99_ms = 0;
  double events_per_fsync = 0;
  double fsyncs = 0;
  double commit_mean_ms = 0;
  double hub_accepted = 0;
  double unprocessed_after = 0;  // the mapping stage's backlog when the phase's answers are in
  double hub_ack_mean_ms = 0;
  double hub_ack_p99_ms = 0;
  long hub_peak_rss_kb = 0;
  double hub_cpu_pct = 0;
  double client_cpu_pct = 0;
  double hub_core_busy_pct = -1;  // everything that ran on the hub's CPU; -1: not pinned
  double mean_body_bytes = 0;
};

// Nearest-rank percentile of sorted values, in ms.
// latency. Stalls (a checkpoint, a slow fsync) show up as a few bad lines among good ones.
struct TimelineRow {
  double start_s = 0;
  std::size_t accepted = 0;
  std::size_t due = 0;
  double p99_ms = 0;
  double max_ms = 0;
};

std::vector<TimelineRow> timeline(const PhaseReport& r, double step_s) {
  std::vector<TimelineRow> rows;
  const auto& acks = r.run.ack_by_request;
  if (step_s <= 0 || acks.empty()) return rows;
  const auto per_row =
      std::max<std::size_t>(1, static_cast<std::size_t>(std::llround(step_s * r.offered_rate)));
  for (std::size_t begin = 0; begin < acks.size(); begin += per_row) {
    const std::size_t end = std::min(acks.size(), begin + per_row);
    std::vector<std::int64_t> ok;
    for (std::size_t i = begin; i < end; ++i) {
      if (acks[i] >= 0) ok.push_back(acks[i]);
    }
    std::sort(ok.begin(), ok.end());
    rows.push_back({static_cast<double>(begin) / r.offered_rate, ok.size(), end - begin,
                    percentile_ms(ok, 0.99), percentile_ms(ok, 1.0)});
  }
  return rows;
}

std::string errors_text(const PhaseReport& r) {
  std::string out;
  auto add = [&out](const std::string& what, std::size_t n) {
    if (n == 0) return;
    if (!out.empty()) out += ", ";
    out += what + ": " + std::to_string(n);
  };
  for (const auto& [status, n] : r.run.by_status) {
    if (status < 200 || status >= 300) add("HTTP " + std::to_string(status), n);
  }
  add("connection errors", r.run.transport_errors);
  add("unanswered", r.run.unanswered);
  add("never sent (all connections busy until the drain timeout)", r.run.unsent);
  return out.empty() ? "none" : out;
}

nlohmann::json to_json(const PhaseReport& r, double timeline_step_s) {
  nlohmann::json errors = nlohmann::json::object();
  for (const auto& [status, n] : r.run.by_status) {
    if (status < 200 || status >= 300) errors[std::to_string(status)] = n;
  }
  if (r.run.transport_errors) errors["connection"] = r.run.transport_errors;
  if (r.run.unanswered) errors["unanswered"] = r.run.unanswered;
  if (r.run.unsent) errors["unsent"] = r.run.unsent;
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& row : timeline(r, timeline_step_s)) {
    rows.push_back(nlohmann::json::array(
        {round3(row.start_s), row.accepted, row.due, round3(row.p99_ms), round3(row.max_ms)}));
  }
  nlohmann::json out = {{"phase", r.name},
                        {"offered_rate", r.offered_rate},
                        {"duration_s", r.duration_s},
                        {"connections", r.connections},
                        {"offered", r.run.offered},
                        {"sent", r.run.sent},
                        {"accepted", r.accepted},
                        {"accepted_per_s", round3(r.accepted_per_s)},
                        {"elapsed_s", round3(r.run.elapsed_s)},
                        {"errors", errors},
                        {"ack_ms",
                         {{"p50", round3(r.p50_ms)},
                          {"p90", round3(r.p90_ms)},
                          {"p99", round3(r.p99_ms)},
                          {"p999", round3(r.p999_ms)},
                          {"max", round3(r.max_ms)}}},
                        {"wire_p99_ms", round3(r.wire_p99_ms)},
                        {"send_lag_p99_ms", round3(r.send_lag_p99_ms)},
                        {"events_per_fsync", round3(r.events_per_fsync)},
                        {"fsyncs", r.fsyncs},
                        {"commit_mean_ms", round3(r.commit_mean_ms)},
                        {"hub_accepted", r.hub_accepted},
                        {"unprocessed_after", r.unprocessed_after},
                        {"hub_ack_mean_ms", round3(r.hub_ack_mean_ms)},
                        {"hub_ack_p99_ms", round3(r.hub_ack_p99_ms)},
                        {"hub_peak_rss_kb", r.hub_peak_rss_kb},
                        {"hub_cpu_pct", round3(r.hub_cpu_pct)},
                        {"client_cpu_pct", round3(r.client_cpu_pct)},
                        {"hub_core_busy_pct", round3(r.hub_core_busy_pct)},
                        {"mean_body_bytes", round3(r.mean_body_bytes)}};
  if (timeline_step_s > 0) out["timeline"] = rows;  // [start_s, accepted, due, p99_ms, max_ms]
  return out;
}

void print_human(const PhaseReport& r, double timeline_step_s) {
  std::printf("\n== %s: %.0f/s offered for %.0f s over %d connections ==\n", r.name.c_str(),
              r.offered_rate, r.duration_s, r.connections);
  std::printf("  accepted         %.0f/s  (%zu of %zu offered; last answer at %.2f s)\n",
              r.accepted_per_s, r.accepted, r.run.offered, r.run.elapsed_s);
  std::printf("  errors           %s\n", errors_text(r).c_str());
  std::printf("  ack latency ms   p50 %.2f  p90 %.2f  p99 %.2f  p99.9 %.2f  max %.2f\n", r.p50_ms,
              r.p90_ms, r.p99_ms, r.p999_ms, r.max_ms);
  std::printf(
      "                   from the actual write: p99 %.2f; inside the hub: mean %.2f, p99 ~%.2f\n",
      r.wire_p99_ms, r.hub_ack_mean_ms, r.hub_ack_p99_ms);
  std::printf("                   due to written (no free connection, or late timer): p99 %.2f\n",
              r.send_lag_p99_ms);
  std::printf("  events per fsync %.1f  (%.0f commits, mean commit %.2f ms)\n", r.events_per_fsync,
              r.fsyncs, r.commit_mean_ms);
  std::printf("  hub              peak RSS %.1f MB, CPU %.0f%% of one core, accepted %.0f\n",
              static_cast<double>(r.hub_peak_rss_kb) / 1024.0, r.hub_cpu_pct, r.hub_accepted);
  std::printf("  mapping backlog  %.0f events accepted and not yet mapped when the answers were in\n",
              r.unprocessed_after);
  std::printf("  client           CPU %.0f%% of one core, body %.0f bytes\n", r.client_cpu_pct,
              r.mean_body_bytes);
  if (r.hub_core_busy_pct >= 0) {
    std::printf("  hub's CPU        %.0f%% busy, of which %.0f%% not the hub\n",
                r.hub_core_busy_pct, std::max(0.0, r.hub_core_busy_pct - r.hub_cpu_pct));
    if (r.hub_core_busy_pct - r.hub_cpu_pct > 10) {
      std::printf(
          "  WARNING: other processes used the hub's CPU too; the figures may understate the "
          "hub\n");
    }
  }
  if (r.client_cpu_pct > 90) {
    std::printf("  WARNING: the client was CPU-bound; the figures understate the hub\n");
  }
  const auto rows = timeline(r, timeline_step_s);
  if (!rows.empty()) std::printf("  timeline (by due time)  accepted/due   p99 ms    max ms\n");
  for (const auto& row : rows) {
    std::printf("    %8.2f s %12zu/%-6zu %8.2f  %8.2f\n", row.start_s, row.accepted, row.due,
                row.p99_ms, row.max_ms);
  }
  std::fflush(stdout);
}

struct Bench {
  const Options& options;
  std::string run_id;
  std::uint16_t port;
  HubProcess& hub;
  bool pinned;

  // Waits until the hub has committed what the last phase left queued and mapped every event
  // it accepted (at most 120 s), so that one phase's backlog does not count against the next:
  // the mapping stage gives way to ingest while a burst lasts and catches up afterwards.
  // Reports how fast it caught up, unless printing JSON.
  void settle() {
    const auto start = Clock::now();
    const auto deadline = start + std::chrono::seconds(120);
    const double backlog = scrape(port).unprocessed;
    double last = -1;
    while (Clock::now() < deadline && hub.alive()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
      const HubMetrics m = scrape(port);
      if (m.batch_count == last && m.unprocessed == 0) break;
      last = m.batch_count;
    }
    const std::chrono::duration<double> took = Clock::now() - start;
    const double left = scrape(port).unprocessed;
    if (!options.json && backlog > 0) {
      std::printf("  (between phases: the mapping stage caught up with %.0f events in %.1f s%s)\n",
                  backlog - left, took.count(),
                  left > 0 ? (", " + std::to_string(static_cast<long>(left)) + " left").c_str() : "");
    }
  }

  PhaseReport phase(const std::string& name, char tag, double rate, double duration) {
    const auto count = static_cast<std::size_t>(std::llround(rate * duration));
    // Generation takes a moment; sign with the times the requests will be due at.
    const std::int64_t now_unix = std::chrono::duration_cast<std::chrono::seconds>(
                                      std::chrono::system_clock::now().time_since_epoch())
                                      .count();
    const Workload workload =
        make_workload(run_id, tag, count, rate, now_unix, port, options.body_bytes);
    if (!hub.alive()) throw std::runtime_error("the hub exited (" + hub.describe_exit() + ")");
    hub.reset_peak_rss();
    const HubMetrics before = scrape(port);
    const double hub_cpu_before = hub.cpu_seconds();
    const int hub_core = pinned ? options.hub_cpu : -1;
    const double core_before = cpu_busy_seconds(hub_core);
    LoadRun load(port, workload, rate, duration, options.connections, options.drain_timeout);
    PhaseReport r;
    r.name = name;
    r.offered_rate = rate;
    r.duration_s = duration;
    r.connections = options.connections;
    r.run = load.run();
    const double hub_cpu_after = hub.cpu_seconds();
    const double core_after = cpu_busy_seconds(hub_core);
    const HubMetrics after = scrape(port);
    r.hub_peak_rss_kb = hub.status_kb("VmHWM");
    if (!before.ok || !after.ok) std::fprintf(stderr, "ingest_bench: could not read /metrics\n");

    for (const auto& [status, n] : r.run.by_status) {
      if (status >= 200 && status < 300) r.accepted += n;
    }
    r.accepted_per_s = static_cast<double>(r.accepted) / r.run.elapsed_s;
    std::sort(r.run.ack_ns.begin(), r.run.ack_ns.end());
    std::sort(r.run.wire_ns.begin(), r.run.wire_ns.end());
    r.p50_ms = percentile_ms(r.run.ack_ns, 0.50);
    r.p90_ms = percentile_ms(r.run.ack_ns, 0.90);
    r.p99_ms = percentile_ms(r.run.ack_ns, 0.99);
    r.p999_ms = percentile_ms(r.run.ack_ns, 0.999);
    r.max_ms = percentile_ms(r.run.ack_ns, 1.0);
    r.wire_p99_ms = percentile_ms(r.run.wire_ns, 0.99);
    std::sort(r.run.send_lag_ns.begin(), r.run.send_lag_ns.end());
    r.send_lag_p99_ms = percentile_ms(r.run.send_lag_ns, 0.99);
    r.fsyncs = after.batch_count - before.batch_count;
    if (r.fsyncs > 0) {
      r.events_per_fsync = (after.batch_sum - before.batch_sum) / r.fsyncs;
      r.commit_mean_ms = (after.commit_seconds_sum - before.commit_seconds_sum) / r.fsyncs * 1e3;
    }
    r.hub_accepted = after.accepted - before.accepted;
    r.unprocessed_after = after.unprocessed;
    if (after.ack_count > before.ack_count) {
      r.hub_ack_mean_ms =
          (after.ack_sum - before.ack_sum) / (after.ack_count - before.ack_count) * 1e3;
      r.hub_ack_p99_ms = histogram_quantile(before.ack_buckets, after.ack_buckets, 0.99) * 1e3;
    }
    r.hub_cpu_pct = (hub_cpu_after - hub_cpu_before) / r.run.elapsed_s * 100;
    r.client_cpu_pct = r.run.client_cpu_s / r.run.elapsed_s * 100;
    if (hub_core >= 0) r.hub_core_busy_pct = (core_after - core_before) / r.run.elapsed_s * 100;
    r.mean_body_bytes =
        count ? static_cast<double>(workload.body_bytes) / static_cast<double>(count) : 0;
    return r;
  }
};

void write_config(const fs::path& path, const std::string& storage_url, const Options& options) {
  std::ofstream out(path);
  out << "hub:\n  listen: 127.0.0.1:0\n";
  if (options.hub_threads > 0) out << "  threads: " << options.hub_threads << "\n";
  out << "storage:\n  url: \"" << storage_url << "\"\n  synchronous: " << options.synchronous
      << "\n";
  if (options.commit_interval_ms >= 0) {
    out << "  commit_interval_ms: " << options.commit_interval_ms << "\n";
  }
  out << "connectors:\n  " << kConnector << ":\n    type: stripe\n"
      << "    base_url: http://127.0.0.1:7171\n    api_key: sk_test_bench\n"
      << "    webhook_secret: " << kSecret << "\n";
  if (options.mapping == "shipped") {
    out << "mappings_dir: " << WEFT_SOURCE_DIR << "/mappings\n"
        << "schemas_dir: " << WEFT_SOURCE_DIR << "/schemas\n";
  }
  if (!out.flush()) throw std::runtime_error("cannot write " + path.string());
}

int run(const Options& options) {
  std::vector<std::pair<std::string, std::pair<double, double>>> phases;
  {
    std::istringstream in(options.phases);
    std::string p;
    while (std::getline(in, p, ',')) {
      if (p == "throughput")
        phases.push_back({p, {options.rate, options.duration}});
      else if (p == "latency")
        phases.push_back({p, {options.latency_rate, options.latency_duration}});
      else if (!p.empty())
        throw std::runtime_error("unknown phase '" + p + "' (throughput, latency)");
    }
  }

  const fs::path dir = make_temp_dir(options.dir, "weft-bench-");
  const fs::path db = dir / "weft.db";
  const std::string storage_url =
      options.storage.empty() ? "sqlite:" + db.string() : options.storage;
  write_config(dir / "weft.yaml", storage_url, options);

  const bool pin = cpu_allowed(options.hub_cpu) && cpu_allowed(options.client_cpu) &&
                   options.hub_cpu != options.client_cpu;
  const std::uint16_t port = free_loopback_port();
  // Raise our own priority first: if that is refused, the hub's would be too.
  AutogroupNice autogroup_nice;
  const std::optional<int> nice = raise_priority(options.nice, autogroup_nice);
  HubProcess hub(options.weft, dir / "weft.yaml", dir / "weft.log", port, pin ? options.hub_cpu : -1,
                 nice);
  if (pin) pin_to_cpu(0, options.client_cpu);

  if (!options.json) {
    std::printf("weft ingest benchmark\n  hub      %s (pid %d) on 127.0.0.1:%u, %s\n",
                options.weft.c_str(), hub.pid(), port,
                pin ? ("pinned to CPU " + std::to_string(options.hub_cpu)).c_str() : "not pinned");
    std::printf(
        "  client   %s, %d keep-alive connections, open loop\n",
        pin ? ("pinned to CPU " + std::to_string(options.client_cpu)).c_str() : "not pinned",
        options.connections);
    std::printf("  storage  %s (%s), synchronous=%s\n", storage_url.c_str(),
                options.storage.empty() ? filesystem_type(dir).c_str() : "given",
                options.synchronous.c_str());
    std::printf("  mapping  %s\n", options.mapping == "shipped"
                                        ? "the repository's mappings and schemas (as in production)"
                                        : "none (every event becomes a no_mapping exception)");
    const auto [one, five] = load_average();
    std::printf("  machine  %u CPUs, load average %s %s before the run; %s\n",
                std::thread::hardware_concurrency(), one.c_str(), five.c_str(),
                nice ? ("both at nice " + std::to_string(*nice)).c_str()
                     : "normal priority (could not raise it)");
    std::fflush(stdout);
  }
  if (!pin)
    std::fprintf(stderr, "ingest_bench: CPUs %d and %d are not both available: not pinning\n",
                 options.hub_cpu, options.client_cpu);

  // Ready when /healthz answers.
  if (const auto not_ready = hub.wait_healthy(port, std::chrono::seconds(30))) {
    std::fprintf(stderr, "ingest_bench: %s\n", not_ready->c_str());
    return 1;
  }

  Bench bench{options, std::to_string(::getpid() % 100000), port, hub, pin};
  if (options.warmup > 0) {
    bench.phase("warmup", 'w', options.latency_rate, options.warmup);
    bench.settle();
  }

  std::vector<PhaseReport> reports;
  for (const auto& [name, spec] : phases) {
    PhaseReport r = bench.phase(name, name[0], spec.first, spec.second);
    if (options.json) {
      std::cout << to_json(r, options.timeline).dump() << std::endl;
    } else {
      print_human(r, options.timeline);
    }
    reports.push_back(std::move(r));
    bench.settle();
  }

  const std::string hub_exit = hub.stop();
  bool budget_met = true;
  if (!options.json) std::printf("\nbudget\n");
  for (const auto& r : reports) {
    std::string line;
    bool met = true;
    if (r.name == "throughput") {
      met = r.accepted_per_s >= 20000;
      line = "accepted/s >= 20000 at " + std::to_string(static_cast<long>(r.offered_rate)) +
             "/s offered: " + std::to_string(static_cast<long>(r.accepted_per_s));
    } else {
      met = r.p99_ms < 10 && r.accepted == r.run.offered;
      char text[160];
      std::snprintf(text, sizeof text, "p99 ack < 10 ms at %.0f/s, no errors: p99 %.2f ms, %s",
                    r.offered_rate, r.p99_ms, errors_text(r).c_str());
      line = text;
    }
    budget_met = budget_met && met;
    if (!options.json) std::printf("  %-4s %s\n", met ? "ok" : "MISS", line.c_str());
  }
  if (!options.json) std::printf("  hub stopped: %s\n", hub_exit.c_str());

  if (options.keep) {
    if (!options.json) std::printf("  kept %s\n", dir.c_str());
  } else {
    std::error_code ignored;
    fs::remove_all(dir, ignored);
  }
  return options.check_budget && !budget_met ? 3 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  // The null hub (`--null-hub`): this program answering every request at once, as `weft serve`.
  if (argc > 1 && std::string_view(argv[1]) == "serve") return run_answering_server(argc, argv, nullptr);
  Options options;
  CLI::App app{"Weft ingest benchmark: signed Stripe webhooks against `weft serve`"};
  app.add_option("--weft", options.weft, "The weft binary")->capture_default_str();
  app.add_option("--rate", options.rate, "Throughput phase: offered webhooks per second")
      ->capture_default_str();
  app.add_option("--duration", options.duration, "Throughput phase: seconds")
      ->capture_default_str();
  app.add_option("--latency-rate", options.latency_rate,
                 "Latency phase: offered webhooks per second")
      ->capture_default_str();
  app.add_option("--latency-duration", options.latency_duration, "Latency phase: seconds")
      ->capture_default_str();
  app.add_option("--warmup", options.warmup,
                 "Seconds at the latency rate before the phases (0: none)")
      ->capture_default_str();
  app.add_option("--connections", options.connections, "Keep-alive connections")
      ->capture_default_str()
      ->check(CLI::Range(1, 10000));
  app.add_option("--body-bytes", options.body_bytes, "Minimum body size (padded with whitespace)")
      ->capture_default_str();
  app.add_option("--drain-timeout", options.drain_timeout,
                 "Seconds to wait for answers after the last request is due")
      ->capture_default_str();
  app.add_option("--phases", options.phases, "Comma-separated: throughput, latency")
      ->capture_default_str();
  app.add_option("--hub-cpu", options.hub_cpu, "CPU the hub is pinned to")->capture_default_str();
  app.add_option("--client-cpu", options.client_cpu, "CPU this program is pinned to")
      ->capture_default_str();
  app.add_option("--hub-threads", options.hub_threads, "hub.threads in the config (0: hub default)")
      ->capture_default_str();
  app.add_option("--nice", options.nice,
                 "Nice value for the hub and this program, if allowed (0: leave as is)")
      ->capture_default_str();
  app.add_option("--storage", options.storage,
                 "Diagnostics: storage URL instead of a fresh file (e.g. sqlite::memory:)");
  app.add_option("--synchronous", options.synchronous,
                 "Diagnostics: storage.synchronous (full, normal)")
      ->capture_default_str()
      ->check(CLI::IsMember({"full", "normal"}));
  app.add_option("--commit-interval-ms", options.commit_interval_ms,
                 "Diagnostics: storage.commit_interval_ms (below 0: the hub's default)")
      ->capture_default_str();
  app.add_option("--mapping", options.mapping,
                 "What the hub's mapping stage uses: shipped (mappings/, schemas/) or none")
      ->capture_default_str()
      ->check(CLI::IsMember({"shipped", "none"}));
  app.add_option("--dir", options.dir, "Parent of the temporary directory holding the database")
      ->capture_default_str();
  app.add_flag("--keep", options.keep, "Keep the temporary directory (config, database, hub log)");
  app.add_flag("--json", options.json, "One JSON line per phase instead of the report");
  app.add_option("--timeline", options.timeline,
                 "Also print p99/max per this many seconds of the phase (0: off)")
      ->capture_default_str();
  app.add_flag("--check-budget", options.check_budget, "Exit 3 when a budget is missed");
  app.add_flag("--null-hub", options.null_hub,
               "Measure the load generator alone: the hub is this program answering 200 at once");
  CLI11_PARSE(app, argc, argv);
  if (options.null_hub) options.weft = fs::read_symlink("/proc/self/exe").string();
  if (options.rate <= 0 || options.latency_rate <= 0 || options.duration <= 0 ||
      options.latency_duration <= 0) {
    std::cerr << "ingest_bench: rates and durations must be positive\n";
    return 2;
  }

  install_interrupt_handlers();
  try {
    return run(options);
  } catch (const std::exception& e) {
    std::cerr << "ingest_bench: " << e.what() << '\n';
    return 1;
  }
}