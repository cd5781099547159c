// Engine benchmark: how many three-step workflows per second `weft serve` runs end to end, and
// how long one takes. Run by `make bench` (scripts/bench.sh), never by the tests.
// docs/benchmarks.md describes the method and records the figures.
//
// The whole path is measured: a signed Stripe invoice.paid webhook → the durable raw event →
// the mapping (jq) → a canonical event → a workflow instance → three call steps, each an HTTP
// POST to a stand-in platform (EffectTarget, in this process, answering after a fixed latency)
// → every transition group-committed in SQLite. A workflow is complete when its third step's
// effect reaches the target; its end-to-end latency runs from the time its webhook was due to
// be sent (open loop, as in the ingest benchmark: a slow hub cannot slow the generator down)
// to that moment.

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "support/cpu.hpp"
#include "support/effect_target.hpp"
#include "support/hub_process.hpp"
#include "support/load_generator.hpp"
#include "support/metrics_scrape.hpp"
#include "support/relay_hub.hpp"
#include "support/report.hpp"
#include "support/stripe_workload.hpp"
#include "support/workflow_hub.hpp"

namespace {

using namespace weft::bench;
namespace fs = std::filesystem;

constexpr std::string_view kConnector = "stripe";
constexpr std::string_view kSecret = "whsec_bench";
constexpr double kBudget = 3500;  // completed workflows/s, synchronous=FULL, 2 cores

struct Options {
  std::string weft = WEFT_BINARY;
  bool durable_hub = true;  // false: the relay or Node-RED, which keep nothing
  double rate = 3500;
  double duration = 10;
  double warmup = 2;  // seconds at min(rate, 500)/s before the phases, not reported
  bool max = false;   // search for the highest sustainable rate instead of one phase
  double max_start = 500;
  double max_p99_ms = 1000;  // a rate is sustainable when every workflow completes, at this p99
  int keys = 0;              // business keys; 0: one per workflow (all run concurrently)
  int workers = 256;         // engine.workers
  std::size_t engine_max_batch = 0;
  int hub_threads = 2;
  double target_latency_ms = 5;
  int target_threads = 1;
  int connections = 256;
  std::size_t body_bytes = 2048;
  double drain_timeout = 30;  // seconds without a completion before giving up on the rest
  int hub_cpu = -1;           // -1: the hub may use every CPU
  int nice = -20;
  std::string synchronous = "full";
  double commit_interval_ms = -1;  // below 0: the hub's default
  std::string dir;
  bool keep = false;
  bool json = false;
  bool check_budget = false;
};

// ---------------------------------------------------------------------------------------------
// Completions: the third step's effects, as the target sees them.

class Completions {
 public:
  void record(const weft::test::Effect& e) {
    if (e.step != "third") return;
    {
      std::lock_guard lock(mutex_);
      effects_.push_back({e.invoice, e.at});
    }
    changed_.notify_all();
  }
  // Everything recorded since the last take.
  std::vector<std::pair<std::string, Clock::time_point>> take() {
    std::lock_guard lock(mutex_);
    return std::exchange(effects_, {});
  }
  std::size_t pending() const {
    std::lock_guard lock(mutex_);
    return effects_.size();
  }
  // Until at least `n` are pending or `timeout` passes without a new one.
  void wait_for(std::size_t n, std::chrono::duration<double> idle_timeout) {
    std::unique_lock lock(mutex_);
    std::size_t seen = effects_.size();
    while (effects_.size() < n) {
      const auto limit = std::chrono::duration_cast<Clock::duration>(idle_timeout);
      if (!changed_.wait_for(lock, limit, [&] { return effects_.size() != seen; })) return;
      seen = effects_.size();
    }
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::pair<std::string, Clock::time_point>> effects_;
};

// ---------------------------------------------------------------------------------------------
// Requests: invoice.paid events; request i's invoice is in_<prefix><base36(i)>, which the
// third step sends back to the target.

struct PhaseWorkload {
  Workload workload;
  std::unordered_map<std::string, std::size_t> index_of_invoice;
};

PhaseWorkload make_workload(const std::string& prefix, std::size_t count, double rate,
                            std::int64_t start_unix, std::uint16_t port, const Options& options) {
  static constexpr const char* kRegions[] = {"emea", "amer", "apac"};
  const std::string host = "127.0.0.1:" + std::to_string(port);
  PhaseWorkload w;
  w.workload.requests.reserve(count);
  w.index_of_invoice.reserve(count);
  std::string body;
  InvoiceEvent e;
  e.kind = InvoiceEvent::Kind::paid;
  for (std::size_t i = 0; i < count; ++i) {
    const std::int64_t due = start_unix + static_cast<std::int64_t>(static_cast<double>(i) / rate);
    const std::uint64_t customer =
        options.keys > 0 ? i % static_cast<std::size_t>(options.keys) : i;
    e.created = due;
    e.event_id = prefix + base36(i, 8);
    e.invoice_id = prefix + base36(i, 8);
    e.customer_id = options.keys > 0 ? "Key" + base36(customer, 6) : prefix + base36(i, 8);
    e.charge_id = prefix + base36(i, 8);
    e.plan = static_cast<int>(i % 3);
    e.quantity = 1 + static_cast<int>(i % 5);
    e.region = kRegions[customer % 3];
    e.number = base36(customer, 6) + "-" + std::to_string(i + 1);
    render_invoice_event(e, options.body_bytes, body);
    w.workload.body_bytes += body.size();
    w.workload.requests.push_back(stripe_webhook_request(host, kConnector, kSecret, due, body));
    w.index_of_invoice.emplace("in_" + e.invoice_id, i);
  }
  return w;
}

// ---------------------------------------------------------------------------------------------
// One phase and its report.

struct PhaseReport {
  std::string name;
  double offered_rate = 0;
  double duration_s = 0;
  std::size_t offered = 0;
  std::size_t accepted = 0;  // 2xx webhooks
  std::string webhook_errors;
  double ack_p99_ms = 0;
  std::size_t completed = 0;
  double steady_from_s = 0;
  double steady_per_s = 0;    // completions during [steady_from, duration] per second
  double overall_per_s = 0;   // completed / (last completion - start), at least the duration
  double last_completion_s = 0;
  double p50_ms = 0, p90_ms = 0, p99_ms = 0, max_ms = 0;  // due → third effect
  double write_p99_ms = 0;                                 // actual write → third effect
  double transitions = 0;
  double transitions_per_s = 0;
  double engine_commits = 0;
  double engine_commit_mean_ms = 0;
  double engine_batch_mean = 0;
  double ingest_commit_mean_ms = 0;
  double ingest_batch_mean = 0;
  double pipeline_batch_mean_ms = 0;
  double pipeline_batches = 0;
  double outbound_mean_ms = 0;
  double outbound_p99_ms = 0;
  long hub_peak_rss_kb = 0;
  double hub_cpu_pct = 0;    // % of one core, all threads
  double bench_cpu_pct = 0;  // this process: load generator, target
  double machine_busy_pct = 0;  // every CPU together, % of one core
  bool sustainable = false;
};

std::string errors_text(const RunResult& run) {
  std::string out;
  auto add = [&out](const std::string& what, std::size_t n) {
    if (n == 0) return;
    if (!out.empty()) out += ", ";
    out += what + ": " + std::to_string(n);
  };
  for (const auto& [status, n] : run.by_status) {
    if (status < 200 || status >= 300) add("HTTP " + std::to_string(status), n);
  }
  add("connection errors", run.transport_errors);
  add("unanswered", run.unanswered);
  add("never sent", run.unsent);
  return out.empty() ? "none" : out;
}

struct Bench {
  const Options& options;
  std::string run_id;
  std::uint16_t port;
  HubProcess& hub;
  Completions& completions;
  int phases_run = 0;

  PhaseReport phase(const std::string& name, double rate, double duration) {
    const auto count = static_cast<std::size_t>(std::llround(rate * duration));
    const std::string prefix = "wb" + run_id + base36(static_cast<std::uint64_t>(phases_run++), 2);
    const std::int64_t now_unix = std::chrono::duration_cast<std::chrono::seconds>(
                                      std::chrono::system_clock::now().time_since_epoch())
                                      .count();
    const PhaseWorkload w = make_workload(prefix, count, rate, now_unix, port, options);
    if (!hub.alive()) throw std::runtime_error("the hub exited (" + hub.describe_exit() + ")");
    completions.take();  // stragglers of an earlier phase
    hub.reset_peak_rss();
    const MetricsSample before = MetricsSample::scrape(port);
    const double hub_cpu_before = hub.cpu_seconds();
    const double self_cpu_before = self_cpu_seconds();
    const double busy_before = all_cpus_busy_seconds();

    LoadRun load(port, w.workload, rate, duration, options.connections, options.drain_timeout);
    RunResult run = load.run();
    std::size_t accepted = 0;
    for (const auto& [status, n] : run.by_status) {
      if (status >= 200 && status < 300) accepted += n;
    }
    // Every accepted webhook becomes a workflow: wait for their third effects.
    completions.wait_for(accepted, std::chrono::duration<double>(options.drain_timeout));
    const auto effects = completions.take();

    const double hub_cpu_after = hub.cpu_seconds();
    const double self_cpu_after = self_cpu_seconds();
    const double busy_after = all_cpus_busy_seconds();
    const MetricsSample after = MetricsSample::scrape(port);

    PhaseReport r;
    r.name = name;
    r.offered_rate = rate;
    r.duration_s = duration;
    r.offered = count;
    r.accepted = accepted;
    r.webhook_errors = errors_text(run);
    std::sort(run.ack_ns.begin(), run.ack_ns.end());
    r.ack_p99_ms = percentile_ms(run.ack_ns, 0.99);
    r.hub_peak_rss_kb = hub.status_kb("VmHWM");

    // Steady state: after the first second (or fifth of the phase), until the last due time.
    r.steady_from_s = std::min(1.0, duration / 5);
    const double interval_s = 1.0 / rate;
    std::vector<std::int64_t> e2e;
    std::vector<std::int64_t> from_write;
    std::size_t in_window = 0;
    Clock::time_point last = run.start;
    for (const auto& [invoice, at] : effects) {
      const auto it = w.index_of_invoice.find(invoice);
      if (it == w.index_of_invoice.end()) continue;  // an earlier phase's
      const auto due = run.start + std::chrono::duration_cast<Clock::duration>(
                                       std::chrono::duration<double>(
                                           static_cast<double>(it->second) * interval_s));
      e2e.push_back(Nanos(at - due).count());
      if (run.sent_at[it->second] != Clock::time_point{})
        from_write.push_back(Nanos(at - run.sent_at[it->second]).count());
      const double t = std::chrono::duration<double>(at - run.start).count();
      if (t >= r.steady_from_s && t < duration) ++in_window;
      last = std::max(last, at);
    }
    r.completed = e2e.size();
    r.steady_per_s = static_cast<double>(in_window) / (duration - r.steady_from_s);
    r.last_completion_s = std::chrono::duration<double>(last - run.start).count();
    const double elapsed = std::max(duration, r.last_completion_s);
    r.overall_per_s = static_cast<double>(r.completed) / elapsed;
    std::sort(e2e.begin(), e2e.end());
    std::sort(from_write.begin(), from_write.end());
    r.p50_ms = percentile_ms(e2e, 0.50);
    r.p90_ms = percentile_ms(e2e, 0.90);
    r.p99_ms = percentile_ms(e2e, 0.99);
    r.max_ms = percentile_ms(e2e, 1.0);
    r.write_p99_ms = percentile_ms(from_write, 0.99);

    if (!before.ok() || !after.ok()) std::fprintf(stderr, "workflow_bench: could not read /metrics\n");
    auto delta = [&](const char* metric) { return after.sum(metric) - before.sum(metric); };
    r.transitions = delta("weft_state_transitions_total");
    r.transitions_per_s = r.transitions / elapsed;
    r.engine_commits = delta("weft_engine_commit_seconds_count");
    r.engine_commit_mean_ms = histogram_mean(before, after, "weft_engine_commit_seconds") * 1e3;
    r.engine_batch_mean = histogram_mean(before, after, "weft_engine_commit_batch_size");
    r.ingest_commit_mean_ms = histogram_mean(before, after, "weft_storage_commit_seconds") * 1e3;
    r.ingest_batch_mean = histogram_mean(before, after, "weft_storage_commit_batch_size");
    r.pipeline_batches = delta("weft_pipeline_batch_seconds_count");
    r.pipeline_batch_mean_ms = histogram_mean(before, after, "weft_pipeline_batch_seconds") * 1e3;
    r.outbound_mean_ms = histogram_mean(before, after, "weft_outbound_seconds") * 1e3;
    r.outbound_p99_ms = histogram_quantile(before.buckets("weft_outbound_seconds"),
                                           after.buckets("weft_outbound_seconds"), 0.99) *
                        1e3;
    r.hub_cpu_pct = (hub_cpu_after - hub_cpu_before) / elapsed * 100;
    r.bench_cpu_pct = (self_cpu_after - self_cpu_before) / elapsed * 100;
    r.machine_busy_pct = (busy_after - busy_before) / elapsed * 100;
    r.sustainable = r.accepted == r.offered && r.completed == r.accepted &&
                    r.steady_per_s >= 0.95 * rate && r.p99_ms <= options.max_p99_ms;
    return r;
  }
};

nlohmann::json to_json(const PhaseReport& r) {
  return {{"phase", r.name},
          {"offered_rate", r.offered_rate},
          {"duration_s", r.duration_s},
          {"offered", r.offered},
          {"accepted", r.accepted},
          {"webhook_errors", r.webhook_errors},
          {"ack_p99_ms", round3(r.ack_p99_ms)},
          {"completed", r.completed},
          {"completed_per_s_steady", round3(r.steady_per_s)},
          {"steady_from_s", round3(r.steady_from_s)},
          {"completed_per_s_overall", round3(r.overall_per_s)},
          {"last_completion_s", round3(r.last_completion_s)},
          {"e2e_ms",
           {{"p50", round3(r.p50_ms)},
            {"p90", round3(r.p90_ms)},
            {"p99", round3(r.p99_ms)},
            {"max", round3(r.max_ms)}}},
          {"e2e_from_write_p99_ms", round3(r.write_p99_ms)},
          {"transitions", r.transitions},
          {"transitions_per_s", round3(r.transitions_per_s)},
          {"engine_commits", r.engine_commits},
          {"engine_commit_mean_ms", round3(r.engine_commit_mean_ms)},
          {"engine_batch_mean", round3(r.engine_batch_mean)},
          {"ingest_commit_mean_ms", round3(r.ingest_commit_mean_ms)},
          {"ingest_batch_mean", round3(r.ingest_batch_mean)},
          {"pipeline_batches", r.pipeline_batches},
          {"pipeline_batch_mean_ms", round3(r.pipeline_batch_mean_ms)},
          {"outbound_mean_ms", round3(r.outbound_mean_ms)},
          {"outbound_p99_ms", round3(r.outbound_p99_ms)},
          {"hub_peak_rss_kb", r.hub_peak_rss_kb},
          {"hub_cpu_pct", round3(r.hub_cpu_pct)},
          {"bench_cpu_pct", round3(r.bench_cpu_pct)},
          {"machine_busy_pct", round3(r.machine_busy_pct)},
          {"sustainable", r.sustainable}};
}

void print_human(const PhaseReport& r, const Options& options) {
  std::printf("\n== %s: %.0f/s offered for %.0f s, %s ==\n", r.name.c_str(), r.offered_rate,
              r.duration_s,
              options.keys > 0 ? (std::to_string(options.keys) + " business keys").c_str()
                               : "one business key per workflow");
  std::printf("  webhooks         %zu of %zu accepted (errors: %s), ack p99 %.2f ms\n", r.accepted,
              r.offered, r.webhook_errors.c_str(), r.ack_p99_ms);
  std::printf("  completed        %.0f/s steady (%.1f–%.0f s); %zu workflows, last at %.2f s: "
              "%.0f/s overall\n",
              r.steady_per_s, r.steady_from_s, r.duration_s, r.completed, r.last_completion_s,
              r.overall_per_s);
  std::printf("  end-to-end ms    p50 %.1f  p90 %.1f  p99 %.1f  max %.1f  (webhook due → third "
              "effect; from the write: p99 %.1f)\n",
              r.p50_ms, r.p90_ms, r.p99_ms, r.max_ms, r.write_p99_ms);
  std::printf("  transitions      %.0f/s, %.2f per workflow; engine: %.0f commits, %.1f per "
              "commit, mean %.2f ms\n",
              r.transitions_per_s, r.completed ? r.transitions / static_cast<double>(r.completed) : 0,
              r.engine_commits, r.engine_batch_mean, r.engine_commit_mean_ms);
  std::printf("  ingest, pipeline ingest commit %.1f events, mean %.2f ms; pipeline %.0f batches, "
              "mean %.2f ms\n",
              r.ingest_batch_mean, r.ingest_commit_mean_ms, r.pipeline_batches,
              r.pipeline_batch_mean_ms);
  std::printf("  calls            mean %.2f ms, p99 ~%.2f ms (target latency %.1f ms)\n",
              r.outbound_mean_ms, r.outbound_p99_ms, options.target_latency_ms);
  std::printf("  hub              peak RSS %.1f MB, CPU %.0f%% of one core\n",
              static_cast<double>(r.hub_peak_rss_kb) / 1024.0, r.hub_cpu_pct);
  std::printf("  bench process    CPU %.0f%% of one core (load generator, target)\n",
              r.bench_cpu_pct);
  std::printf("  machine          %.0f%% of %u CPUs busy, of which %.0f%% neither hub nor bench\n",
              r.machine_busy_pct / std::max(1u, std::thread::hardware_concurrency()),
              std::thread::hardware_concurrency(),
              std::max(0.0, r.machine_busy_pct - r.hub_cpu_pct - r.bench_cpu_pct) /
                  std::max(1u, std::thread::hardware_concurrency()));
  std::printf("  sustainable      %s\n", r.sustainable ? "yes" : "no");
  std::fflush(stdout);
}

int run(const Options& options) {
  const fs::path dir = make_temp_dir(options.dir, "weft-wfbench-");
  Completions completions;
  weft::test::EffectTarget target(weft::test::EffectTargetOptions{
      std::chrono::microseconds(static_cast<std::int64_t>(options.target_latency_ms * 1000)),
      options.target_threads});
  if (auto started = target.start(); !started) {
    std::fprintf(stderr, "workflow_bench: the target did not start: %s\n", started.error().c_str());
    return 1;
  }
  target.on_effect([&completions](const weft::test::Effect& e) { completions.record(e); });

  const std::uint16_t port = free_loopback_port();
  weft::test::WorkflowHubOptions hub_options;
  hub_options.hub_threads = options.hub_threads;
  hub_options.engine_workers = options.workers;
  hub_options.engine_max_batch = options.engine_max_batch;
  hub_options.synchronous = options.synchronous;
  if (options.commit_interval_ms >= 0) hub_options.commit_interval_ms = options.commit_interval_ms;
  weft::test::write_workflow_hub(dir, port, target.base_url(), std::string(kSecret), hub_options);

  AutogroupNice autogroup_nice;
  const std::optional<int> nice = raise_priority(options.nice, autogroup_nice);
  const bool pin = options.hub_cpu >= 0 && cpu_allowed(options.hub_cpu);
  HubProcess hub(options.weft, dir / "weft.yaml", dir / "weft.log", port,
                 pin ? options.hub_cpu : -1, nice);
  if (!options.json) {
    // engine.workers and hub.threads are Weft's settings; the relay and Node-RED have their own.
    const std::string settings = options.durable_hub
                                     ? "engine.workers " + std::to_string(options.workers) +
                                           ", hub.threads " + std::to_string(options.hub_threads)
                                     : "its own settings";
    std::printf("weft workflow benchmark\n  hub      %s (pid %d) on 127.0.0.1:%u, %s; %s\n",
                options.weft.c_str(), hub.pid(), port,
                pin ? ("pinned to CPU " + std::to_string(options.hub_cpu)).c_str() : "not pinned",
                settings.c_str());
    std::printf("  target   EffectTarget at %s, %.1f ms latency, %d thread(s), in this process\n",
                target.base_url().c_str(), options.target_latency_ms, options.target_threads);
    std::printf("  client   %d keep-alive connections, open loop, %zu-byte invoice.paid webhooks\n",
                options.connections, options.body_bytes);
    if (options.durable_hub) {
      std::printf("  storage  %s (%s), synchronous=%s\n", (dir / "weft.db").c_str(),
                  filesystem_type(dir).c_str(), options.synchronous.c_str());
    } else {
      std::printf("  storage  none: this hub keeps nothing (no Weft metrics either)\n");
    }
    const auto [one, five] = load_average();
    std::printf("  machine  %u CPUs, load average %s %s before the run; %s\n",
                std::thread::hardware_concurrency(), one.c_str(), five.c_str(),
                nice ? ("hub and bench at nice " + std::to_string(*nice)).c_str()
                     : "normal priority (could not raise it)");
    std::fflush(stdout);
  }
  if (const auto not_ready = hub.wait_healthy(port, std::chrono::seconds(30))) {
    std::fprintf(stderr, "workflow_bench: %s\n", not_ready->c_str());
    return 1;
  }

  Bench bench{options, base36(static_cast<std::uint64_t>(::getpid()) % 46656, 3), port, hub,
              completions};
  if (options.warmup > 0) bench.phase("warmup", std::min(options.rate, 500.0), options.warmup);

  std::vector<PhaseReport> reports;
  auto report = [&](PhaseReport r) {
    if (options.json) {
      std::cout << to_json(r).dump() << std::endl;
    } else {
      print_human(r, options);
    }
    reports.push_back(std::move(r));
  };
  double best = 0;
  if (!options.max) {
    report(bench.phase("steady", options.rate, options.duration));
  } else {
    // Double until a rate is not sustainable, then bisect between the last two.
    double good = 0;
    double bad = 0;
    for (double rate = options.max_start; hub.alive(); rate *= 2) {
      PhaseReport r = bench.phase("max-search", rate, options.duration);
      const bool ok = r.sustainable;
      report(std::move(r));
      if (!ok) {
        bad = rate;
        break;
      }
      good = rate;
    }
    for (int i = 0; i < 3 && bad > 0 && hub.alive(); ++i) {
      const double rate = std::round((good + bad) / 2 / 50) * 50;
      if (rate <= good || rate >= bad) break;
      PhaseReport r = bench.phase("max-search", rate, options.duration);
      (r.sustainable ? good : bad) = rate;
      report(std::move(r));
    }
    best = good;
  }

  const std::string hub_exit = hub.stop();
  target.stop();
  const auto counts = target.counts();
  bool met = false;
  if (options.max) {
    met = best >= kBudget;
    if (!options.json)
      std::printf("\nhighest sustainable rate: %.0f workflows/s (every workflow completed, steady "
                  "rate within 5%%, p99 ≤ %.0f ms)\n",
                  best, options.max_p99_ms);
    else
      std::cout << nlohmann::json{{"max_sustainable_per_s", best}}.dump() << std::endl;
  } else {
    const PhaseReport& r = reports.back();
    met = r.offered_rate >= kBudget && r.steady_per_s >= kBudget && r.completed == r.offered;
  }
  if (!options.json) {
    std::printf("\nbudget\n  %-4s completed workflows/s >= %.0f: %.0f/s\n", met ? "ok" : "MISS",
                kBudget, options.max ? best : reports.back().steady_per_s);
    std::printf("  target saw %lld requests, %lld effects, %lld redeliveries, %lld without a key\n",
                static_cast<long long>(counts.requests), static_cast<long long>(counts.effects),
                static_cast<long long>(counts.redeliveries),
                static_cast<long long>(counts.without_key));
    std::printf("  hub stopped: %s\n", hub_exit.c_str());
  }
  if (options.keep) {
    if (!options.json) std::printf("  kept %s\n", dir.c_str());
  } else {
    std::error_code ignored;
    fs::remove_all(dir, ignored);
  }
  return options.check_budget && !met ? 3 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  // The relay hub (`--relay-hub`): this program in the hub's place, as `weft serve`.
  if (argc > 1 && std::string_view(argv[1]) == "serve") return run_relay_hub(argc, argv);
  Options options;
  CLI::App app{
      "Weft engine benchmark: webhook → mapping → 3-step workflow against a local target"};
  app.add_option("--weft", options.weft, "The weft binary")->capture_default_str();
  app.add_option("--rate", options.rate, "Offered webhooks (workflows) per second")
      ->capture_default_str();
  app.add_option("--duration", options.duration, "Seconds per phase")->capture_default_str();
  app.add_option("--warmup", options.warmup, "Seconds at min(rate, 500)/s first (0: none)")
      ->capture_default_str();
  app.add_flag("--max", options.max,
               "Find the highest sustainable rate: double from --max-start, then bisect");
  app.add_option("--max-start", options.max_start, "First rate of --max")->capture_default_str();
  app.add_option("--max-p99-ms", options.max_p99_ms,
                 "--max: the end-to-end p99 a sustainable rate may have")
      ->capture_default_str();
  app.add_option("--keys", options.keys,
                 "Business keys the workflows share (0: one each, all run concurrently)")
      ->capture_default_str();
  app.add_option("--workers", options.workers, "engine.workers in the hub's config")
      ->capture_default_str()
      ->check(CLI::Range(1, 1024));
  app.add_option("--engine-max-batch", options.engine_max_batch,
                 "engine.max_batch in the hub's config (0: the hub's default)")
      ->capture_default_str();
  app.add_option("--hub-threads", options.hub_threads, "hub.threads in the hub's config")
      ->capture_default_str();
  app.add_option("--target-latency-ms", options.target_latency_ms,
                 "The target's answer delay per call")
      ->capture_default_str();
  app.add_option("--target-threads", options.target_threads, "The target's network threads")
      ->capture_default_str();
  app.add_option("--connections", options.connections, "Keep-alive connections for webhooks")
      ->capture_default_str()
      ->check(CLI::Range(1, 10000));
  app.add_option("--body-bytes", options.body_bytes, "Minimum webhook body size")
      ->capture_default_str();
  app.add_option("--drain-timeout", options.drain_timeout,
                 "Seconds without a new completion before a phase gives up on the rest")
      ->capture_default_str();
  app.add_option("--hub-cpu", options.hub_cpu, "Pin the hub to this CPU (-1: not pinned)")
      ->capture_default_str();
  app.add_option("--nice", options.nice,
                 "Nice value for the hub and this program, if allowed (0: leave as is)")
      ->capture_default_str();
  app.add_option("--synchronous", options.synchronous, "Diagnostics: storage.synchronous")
      ->capture_default_str()
      ->check(CLI::IsMember({"full", "normal"}));
  app.add_option("--commit-interval-ms", options.commit_interval_ms,
                 "Diagnostics: storage.commit_interval_ms (below 0: the hub's default)")
      ->capture_default_str();
  app.add_option("--dir", options.dir, "Parent of the temporary directory holding the database")
      ->capture_default_str();
  app.add_flag("--keep", options.keep, "Keep the temporary directory (config, database, hub log)");
  app.add_flag("--json", options.json, "One JSON line per phase instead of the report");
  app.add_flag("--check-budget", options.check_budget, "Exit 3 when the budget is missed");
  bool relay_hub = false;
  app.add_flag("--relay-hub", relay_hub,
               "Diagnostics: the hub is this program relaying each webhook's three calls, with no storage, "
               "mapping or engine (the ceiling of this flow on this machine)");
  bool node_red = false;
  app.add_flag("--node-red", node_red,
               "Comparison: the hub is Node-RED running the same flow without durability "
               "(bench/node-red; scripts/bench.sh node-red installs it)")
      ->excludes("--relay-hub");
  CLI11_PARSE(app, argc, argv);
  if (relay_hub) options.weft = std::filesystem::read_symlink("/proc/self/exe").string();
  if (node_red) options.weft = WEFT_NODE_RED_SERVE;
  options.durable_hub = !relay_hub && !node_red;
  if (options.rate <= 0 || options.duration <= 0 || options.max_start <= 0) {
    std::cerr << "workflow_bench: rates and durations must be positive\n";
    return 2;
  }
  install_interrupt_handlers();
  try {
    return run(options);
  } catch (const std::exception& e) {
    std::cerr << "workflow_bench: " << e.what() << '\n';
    return 1;
  }
}
