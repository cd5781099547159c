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

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
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

#include "connectors/stripe/stripe_webhook.hpp"

namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace fs = std::filesystem;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;
using Nanos = std::chrono::nanoseconds;

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
  bool keep = false;
  bool json = false;
  bool check_budget = false;
  bool null_hub = false;
  double timeline = 0;  // seconds per line of the latency timeline; 0: none
};

// ---------------------------------------------------------------------------------------------
// The hub process.

std::atomic<pid_t> g_hub_pid{0};
// The session's autogroup nice to put back on an interrupt; kNoRestore when there is none.
constexpr int kNoRestore = 1000;
std::atomic<int> g_autogroup_restore{kNoRestore};

extern "C" void on_interrupt(int signal) {
  const pid_t pid = g_hub_pid.load();
  if (pid > 0) ::kill(pid, SIGTERM);
  if (const int nice = g_autogroup_restore.load(); nice != kNoRestore) {
    // Async-signal-safe: open, write, close, and the digits by hand.
    char text[8];
    int n = 0;
    int v = nice < 0 ? -nice : nice;
    char digits[4];
    int d = 0;
    do {
      digits[d++] = static_cast<char>('0' + v % 10);
      v /= 10;
    } while (v > 0 && d < 4);
    if (nice < 0) text[n++] = '-';
    while (d > 0) text[n++] = digits[--d];
    const int fd = ::open("/proc/self/autogroup", O_WRONLY);
    if (fd >= 0) {
      if (::write(fd, text, static_cast<std::size_t>(n)) < 0) {
        // Nothing more to do on the way out.
      }
      ::close(fd);
    }
  }
  _exit(128 + signal);
}

bool pin_to_cpu(pid_t pid, int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(static_cast<std::size_t>(cpu), &set);
  return sched_setaffinity(pid, sizeof(set), &set) == 0;
}

bool cpu_allowed(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (cpu < 0 || sched_getaffinity(0, sizeof(set), &set) != 0) return false;
  return CPU_ISSET(static_cast<std::size_t>(cpu), &set);
}

class HubProcess {
 public:
  // hub_cpu < 0: not pinned.
  HubProcess(const Options& options, const fs::path& config, const fs::path& log,
             std::uint16_t port, int hub_cpu, std::optional<int> nice)
      : log_(log) {
    std::vector<std::string> args = {options.weft, "serve",
                                     "-c",         config.string(),
                                     "--listen",   "127.0.0.1:" + std::to_string(port)};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    const int log_fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log_fd < 0) throw std::runtime_error("cannot create " + log.string());
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      // The hub must not outlive the benchmark, whatever way the benchmark ends.
      ::prctl(PR_SET_PDEATHSIG, SIGTERM);
      if (hub_cpu >= 0) pin_to_cpu(0, hub_cpu);
      if (nice) ::setpriority(PRIO_PROCESS, 0, *nice);
      ::dup2(log_fd, STDOUT_FILENO);
      ::dup2(log_fd, STDERR_FILENO);
      ::execv(argv[0], argv.data());
      const std::string message = "exec " + args[0] + " failed\n";
      if (::write(STDERR_FILENO, message.data(), message.size()) < 0) {
        // Nothing more to do: the parent sees exit code 127.
      }
      _exit(127);
    }
    ::close(log_fd);
    g_hub_pid = pid_;
  }

  ~HubProcess() { stop(); }
  HubProcess(const HubProcess&) = delete;
  HubProcess& operator=(const HubProcess&) = delete;

  pid_t pid() const { return pid_; }

  // False once the hub has exited (it is then reaped).
  bool alive() {
    if (pid_ <= 0) return false;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      exit_status_ = status;
      pid_ = -1;
      g_hub_pid = 0;
      return false;
    }
    return true;
  }

  // SIGTERM (the hub finishes its commits), SIGKILL after 15 s. The hub's exit status.
  std::string stop() {
    if (!alive()) return describe_exit();
    ::kill(pid_, SIGTERM);
    const auto deadline = Clock::now() + std::chrono::seconds(15);
    while (alive() && Clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (alive()) {
      ::kill(pid_, SIGKILL);
      int status = 0;
      ::waitpid(pid_, &status, 0);
      exit_status_ = status;
      pid_ = -1;
      g_hub_pid = 0;
    }
    return describe_exit();
  }

  std::string describe_exit() const {
    if (!exit_status_) return "running";
    const int s = *exit_status_;
    if (WIFEXITED(s)) return "exit " + std::to_string(WEXITSTATUS(s));
    if (WIFSIGNALED(s)) return "signal " + std::to_string(WTERMSIG(s));
    return "status " + std::to_string(s);
  }

  // A field of /proc/<pid>/status in kB (VmHWM, VmRSS); 0 when unreadable.
  long status_kb(std::string_view field) const {
    std::ifstream in("/proc/" + std::to_string(pid_) + "/status");
    std::string line;
    while (std::getline(in, line)) {
      if (line.compare(0, field.size(), field) == 0 && line.size() > field.size() &&
          line[field.size()] == ':') {
        return std::strtol(line.c_str() + field.size() + 1, nullptr, 10);
      }
    }
    return 0;
  }

  // Resets VmHWM to the current RSS (Linux >= 4.0), so that a phase reports its own peak.
  bool reset_peak_rss() const {
    std::ofstream out("/proc/" + std::to_string(pid_) + "/clear_refs");
    out << "5";
    return static_cast<bool>(out.flush());
  }

  // User + system CPU time of all the hub's threads.
  double cpu_seconds() const {
    std::ifstream in("/proc/" + std::to_string(pid_) + "/stat");
    std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const std::size_t paren = stat.rfind(')');
    if (paren == std::string::npos) return 0;
    std::istringstream fields(stat.substr(paren + 2));
    std::string field;
    double ticks = 0;
    // After "pid (comm) ": state is field 3; utime and stime are fields 14 and 15.
    for (int i = 3; i <= 15 && fields >> field; ++i) {
      if (i == 14 || i == 15) ticks += std::strtod(field.c_str(), nullptr);
    }
    return ticks / static_cast<double>(::sysconf(_SC_CLK_TCK));
  }

  std::string log_tail(std::size_t max_bytes = 4000) const {
    std::ifstream in(log_, std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return text.size() > max_bytes ? text.substr(text.size() - max_bytes) : text;
  }

 private:
  fs::path log_;
  pid_t pid_ = -1;
  std::optional<int> exit_status_;
};

std::uint16_t free_loopback_port() {
  net::io_context ioc;
  tcp::acceptor acceptor(ioc, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
  return acceptor.local_endpoint().port();
}

// Busy (not idle, not iowait) seconds of one CPU since boot, from /proc/stat; 0 if unknown.
// Pinning keeps the hub and this program apart, not other processes away: comparing a CPU's
// busy time with the hub's own CPU time shows whether anything else ran there.
double cpu_busy_seconds(int cpu) {
  if (cpu < 0) return 0;
  std::ifstream in("/proc/stat");
  const std::string want = "cpu" + std::to_string(cpu);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string name;
    fields >> name;
    if (name != want) continue;
    double ticks[10] = {};
    for (double& t : ticks) fields >> t;
    double busy = 0;
    for (int i = 0; i < 10; ++i) {
      if (i != 3 && i != 4 && i < 8) busy += ticks[i];  // idle, iowait; guest is in user already
    }
    return busy / static_cast<double>(::sysconf(_SC_CLK_TCK));
  }
  return 0;
}

// ---------------------------------------------------------------------------------------------
// Plain requests to the hub's ops endpoints, with a timeout.

struct SimpleResponse {
  int status = 0;
  std::string body;
};

std::optional<SimpleResponse> http_get(std::uint16_t port, const std::string& target,
                                       std::chrono::milliseconds timeout) {
  net::io_context ioc(1);
  beast::tcp_stream stream(ioc);
  bhttp::request<bhttp::empty_body> request(bhttp::verb::get, target, 11);
  request.set(bhttp::field::host, "127.0.0.1:" + std::to_string(port));
  request.keep_alive(false);
  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(64 * 1024 * 1024);
  std::optional<SimpleResponse> result;
  stream.expires_after(timeout);
  stream.async_connect(
      tcp::endpoint(net::ip::make_address("127.0.0.1"), port), [&](beast::error_code ec) {
        if (ec) return;
        bhttp::async_write(stream, request, [&](beast::error_code wec, std::size_t) {
          if (wec) return;
          bhttp::async_read(stream, buffer, parser, [&](beast::error_code rec, std::size_t) {
            if (rec) return;
            result = SimpleResponse{static_cast<int>(parser.get().result_int()),
                                    std::move(parser.get().body())};
          });
        });
      });
  ioc.run();
  return result;
}

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
  bool ok = false;
};

// The q-quantile of the observations between two scrapes of a histogram, interpolated
// within a bucket as Prometheus' histogram_quantile does.
double histogram_quantile(const std::map<double, double>& before,
                          const std::map<double, double>& after, double q) {
  std::vector<std::pair<double, double>> delta;  // le, cumulative count
  for (const auto& [le, count] : after) {
    const auto it = before.find(le);
    delta.emplace_back(le, count - (it == before.end() ? 0 : it->second));
  }
  if (delta.empty() || delta.back().second <= 0) return 0;
  const double rank = q * delta.back().second;
  double lower = 0;
  double below = 0;
  for (const auto& [le, cumulative] : delta) {
    if (cumulative >= rank) {
      if (std::isinf(le)) return lower;
      const double in_bucket = cumulative - below;
      return in_bucket <= 0 ? le : lower + (le - lower) * (rank - below) / in_bucket;
    }
    lower = le;
    below = cumulative;
  }
  return lower;
}

HubMetrics scrape(std::uint16_t port) {
  HubMetrics m;
  const auto response = http_get(port, "/metrics", std::chrono::seconds(10));
  if (!response || response->status != 200) return m;
  std::istringstream in(response->body);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const std::size_t space = line.rfind(' ');
    if (space == std::string::npos) continue;
    const std::string series = line.substr(0, space);
    const double value = std::strtod(line.c_str() + space + 1, nullptr);
    const std::string name = series.substr(0, series.find('{'));
    if (name == "weft_storage_commit_batch_size_sum")
      m.batch_sum = value;
    else if (name == "weft_storage_commit_batch_size_count")
      m.batch_count = value;
    else if (name == "weft_storage_commit_seconds_sum")
      m.commit_seconds_sum = value;
    else if (name == "weft_ingest_ack_seconds_sum")
      m.ack_sum = value;
    else if (name == "weft_ingest_ack_seconds_count")
      m.ack_count = value;
    else if (name == "weft_ingest_ack_seconds_bucket") {
      const std::size_t le = series.find("le=\"");
      if (le != std::string::npos) {
        const std::string bound = series.substr(le + 4, series.find('"', le + 4) - le - 4);
        m.ack_buckets[bound == "+Inf" ? HUGE_VAL : std::strtod(bound.c_str(), nullptr)] = value;
      }
    } else if (name == "weft_webhooks_total" &&
               series.find("connector=\"" + std::string(kConnector) + "\"") != std::string::npos &&
               series.find("outcome=\"accepted\"") != std::string::npos) {
      m.accepted = value;
    }
  }
  m.ok = true;
  return m;
}

// ---------------------------------------------------------------------------------------------
// Requests: realistic Stripe invoice events (pretty-printed, as Stripe sends them), each with
// its own event id, signed as Stripe signs them.

// A template with ${name} placeholders, split once so that filling it is a few appends.
class Template {
 public:
  explicit Template(std::string_view text) {
    std::size_t pos = 0;
    for (;;) {
      const std::size_t open = text.find("${", pos);
      if (open == std::string_view::npos) {
        literals_.emplace_back(text.substr(pos));
        return;
      }
      const std::size_t close = text.find('}', open);
      literals_.emplace_back(text.substr(pos, open - pos));
      names_.emplace_back(text.substr(open + 2, close - open - 2));
      pos = close + 1;
    }
  }
  const std::vector<std::string>& names() const { return names_; }
  // values[i] fills names()[i].
  void fill(const std::vector<std::string>& values, std::string& out) const {
    out.clear();
    for (std::size_t i = 0; i < names_.size(); ++i) {
      out += literals_[i];
      out += values[i];
    }
    out += literals_.back();
  }

 private:
  std::vector<std::string> literals_;
  std::vector<std::string> names_;
};

constexpr std::string_view kInvoiceEvent = R"json({
  "id": "evt_${event_id}",
  "object": "event",
  "api_version": "2023-10-16",
  "created": ${created},
  "data": {
    "object": {
      "id": "in_${invoice_id}",
      "object": "invoice",
      "amount_due": ${amount},
      "amount_paid": ${amount_paid},
      "amount_remaining": ${amount_remaining},
      "attempt_count": ${attempts},
      "attempted": ${attempted},
      "auto_advance": false,
      "billing_reason": "subscription_cycle",
      "charge": ${charge},
      "collection_method": "charge_automatically",
      "created": ${created},
      "currency": "usd",
      "customer": "cus_${customer_id}",
      "customer_email": "billing+${customer_id}@example.com",
      "hosted_invoice_url": "https://invoice.stripe.com/i/acct_1WeftBench/test_${invoice_id}",
      "lines": {
        "object": "list",
        "data": [
          {
            "id": "il_${invoice_id}",
            "object": "line_item",
            "amount": ${amount},
            "currency": "usd",
            "description": "${quantity} × ${plan_name} (at $${unit_dollars} / month)",
            "period": { "end": ${period_end}, "start": ${period_start} },
            "price": {
              "id": "price_${plan_id}",
              "billing_scheme": "per_unit",
              "currency": "usd",
              "product": "prod_${plan_id}",
              "recurring": { "interval": "month", "interval_count": 1, "usage_type": "licensed" },
              "type": "recurring",
              "unit_amount": ${unit_amount}
            },
            "proration": false,
            "quantity": ${quantity},
            "subscription": "sub_${customer_id}",
            "type": "subscription"
          }
        ],
        "has_more": false,
        "total_count": 1,
        "url": "/v1/invoices/in_${invoice_id}/lines"
      },
      "livemode": false,
      "metadata": { "erp_customer": "C-${customer_id}", "region": "${region}" },
      "number": "WEFT-${number}",
      "paid": ${paid},
      "period_end": ${period_end},
      "period_start": ${period_start},
      "status": "${status}",
      "status_transitions": { "finalized_at": ${finalized_at}, "paid_at": ${paid_at} },
      "subscription": "sub_${customer_id}",
      "subtotal": ${amount},
      "tax": 0,
      "total": ${amount}
    }
  },
  "livemode": false,
  "pending_webhooks": 1,
  "request": { "id": null, "idempotency_key": null },
  "type": "${type}"
})json";

// The complete HTTP/1.1 request bytes of each webhook, ready to write.
struct Workload {
  std::vector<std::string> requests;
  std::size_t body_bytes = 0;  // total
};

std::string base36(std::uint64_t v, std::size_t width) {
  static constexpr char kDigits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
  std::string out(width, '0');
  for (std::size_t i = width; i-- > 0 && v > 0; v /= 36) out[i] = kDigits[v % 36];
  return out;
}

// `count` webhooks, ids unique per (run, phase); request i is signed with the time it is
// due at (assuming the phase starts at `start_unix`), so that the 300 s signature tolerance
// holds for phases of any length.
Workload make_workload(std::string_view run_id, char phase, std::size_t count, double rate,
                       std::int64_t start_unix, std::uint16_t port, std::size_t body_bytes) {
  static const Template tmpl(kInvoiceEvent);
  struct Plan {
    const char* id;
    const char* name;
    int unit_amount;
  };
  static constexpr Plan kPlans[] = {
      {"Starter", "Starter plan", 1900}, {"Pro", "Pro plan", 4900}, {"Team", "Team plan", 9900}};
  static constexpr const char* kTypes[] = {"invoice.created", "invoice.finalized", "invoice.paid",
                                           "invoice.payment_succeeded"};
  static constexpr const char* kRegions[] = {"emea", "amer", "apac"};

  std::mt19937_64 rng(0x5eed0000ULL + static_cast<unsigned char>(phase));
  const std::string host = "127.0.0.1:" + std::to_string(port);
  Workload w;
  w.requests.reserve(count);
  std::vector<std::string> values(tmpl.names().size());
  std::string body;
  for (std::size_t i = 0; i < count; ++i) {
    const std::int64_t due = start_unix + static_cast<std::int64_t>(static_cast<double>(i) / rate);
    const std::uint64_t customer = rng() % 20000;
    const Plan& plan = kPlans[rng() % 3];
    const int quantity = 1 + static_cast<int>(rng() % 5);
    const int amount = plan.unit_amount * quantity;
    const std::size_t kind = i % 4;
    const bool paid = kind >= 2;
    const std::int64_t period_start = due - 30 * 86400;
    for (std::size_t n = 0; n < values.size(); ++n) {
      const std::string& name = tmpl.names()[n];
      std::string& v = values[n];
      if (name == "event_id")
        v = std::string("1Bn") + phase + std::string(run_id) + base36(i, 8);
      else if (name == "invoice_id")
        v = std::string("1Bn") + phase + base36(i / 4, 8) + std::string(run_id);
      else if (name == "customer_id")
        v = "Bench" + base36(customer, 6);
      else if (name == "created")
        v = std::to_string(due);
      else if (name == "amount")
        v = std::to_string(amount);
      else if (name == "amount_paid")
        v = std::to_string(paid ? amount : 0);
      else if (name == "amount_remaining")
        v = std::to_string(paid ? 0 : amount);
      else if (name == "attempts")
        v = paid ? "1" : "0";
      else if (name == "attempted")
        v = paid ? "true" : "false";
      else if (name == "charge")
        v = paid ? "\"ch_3Bn" + base36(i, 10) + "\"" : "null";
      else if (name == "quantity")
        v = std::to_string(quantity);
      else if (name == "plan_name")
        v = plan.name;
      else if (name == "plan_id")
        v = std::string("1") + plan.id + "Monthly";
      else if (name == "unit_amount")
        v = std::to_string(plan.unit_amount);
      else if (name == "unit_dollars")
        v = std::to_string(plan.unit_amount / 100) + ".00";
      else if (name == "period_start")
        v = std::to_string(period_start);
      else if (name == "period_end")
        v = std::to_string(due);
      else if (name == "region")
        v = kRegions[customer % 3];
      else if (name == "number")
        v = base36(customer, 6) + "-" + std::to_string(i / 4 + 1);
      else if (name == "paid")
        v = paid ? "true" : "false";
      else if (name == "status")
        v = kind == 0 ? "draft" : (paid ? "paid" : "open");
      else if (name == "finalized_at")
        v = kind == 0 ? "null" : std::to_string(due);
      else if (name == "paid_at")
        v = paid ? std::to_string(due) : "null";
      else if (name == "type")
        v = kTypes[kind];
      else
        v.clear();
    }
    tmpl.fill(values, body);
    // Stripe bodies vary in size; pad through metadata-like whitespace to the size asked for,
    // keeping the JSON valid (trailing whitespace after the object is allowed).
    if (body.size() < body_bytes) body.append(body_bytes - body.size(), ' ');
    const std::string signature =
        weft::connectors::stripe::SignatureVerifier::sign(kSecret, due, body);
    std::string request;
    request.reserve(body.size() + 400);
    request += "POST /hooks/";
    request += kConnector;
    request += " HTTP/1.1\r\nHost: ";
    request += host;
    request +=
        "\r\nUser-Agent: Stripe/1.0 (+https://stripe.com/docs/webhooks)\r\n"
        "Accept: */*; q=0.5, application/xml\r\nCache-Control: no-cache\r\n"
        "Content-Type: application/json; charset=utf-8\r\nStripe-Signature: ";
    request += signature;
    request += "\r\nContent-Length: ";
    request += std::to_string(body.size());
    request += "\r\n\r\n";
    request += body;
    w.body_bytes += body.size();
    w.requests.push_back(std::move(request));
  }
  return w;
}

// ---------------------------------------------------------------------------------------------
// The open-loop load generator: one thread, `connections` keep-alive connections.

struct RunResult {
  std::size_t offered = 0;  // requests due during the phase
  std::size_t sent = 0;     // written to a connection
  std::map<int, std::size_t> by_status;
  std::size_t transport_errors = 0;          // connection failed before an answer
  std::size_t unanswered = 0;                // sent, and no answer by the end of the drain period
  std::size_t unsent = 0;                    // still waiting for a free connection at that point
  std::vector<std::int64_t> ack_ns;          // 2xx: from the due time to the answer
  std::vector<std::int64_t> wire_ns;         // 2xx: from the actual write to the answer
  std::vector<std::int64_t> ack_by_request;  // ack_ns of request i, or -1 without a 2xx
  std::vector<std::int64_t> send_lag_ns;     // every request sent: from its due time to its write
  double elapsed_s = 0;  // from start to the last answer (at least the duration)
  double client_cpu_s = 0;
};

class LoadRun {
 public:
  LoadRun(std::uint16_t port, const Workload& workload, double rate, double duration,
          int connections, double drain_timeout)
      : ioc_(1),
        endpoint_(net::ip::make_address("127.0.0.1"), port),
        workload_(workload),
        interval_ns_(1e9 / rate),
        duration_(duration),
        drain_timeout_(drain_timeout),
        timer_(ioc_),
        deadline_timer_(ioc_),
        connections_(static_cast<std::size_t>(connections)) {
    due_.resize(workload.requests.size());
    sent_at_.resize(workload.requests.size());
    result_.ack_by_request.assign(workload.requests.size(), -1);
  }

  // Connects every connection first (not timed), then runs the phase.
  RunResult run() {
    for (auto& c : conns_storage()) {
      beast::error_code ec;
      c->socket.connect(endpoint_, ec);
      if (ec) throw std::runtime_error("cannot connect to the hub: " + ec.message());
      c->socket.set_option(tcp::no_delay(true), ec);
      idle_.push_back(c.get());
    }
    rusage before{};
    ::getrusage(RUSAGE_THREAD, &before);
    start_ = Clock::now();
    last_answer_ = start_;
    schedule();
    deadline_timer_.expires_at(start_ + to_nanos(duration_ + drain_timeout_));
    deadline_timer_.async_wait([this](beast::error_code ec) {
      if (!ec) finish();
    });
    ioc_.run();
    rusage after{};
    ::getrusage(RUSAGE_THREAD, &after);

    result_.offered = workload_.requests.size();
    result_.unanswered = result_.sent - answered_ - result_.transport_errors;
    result_.unsent = workload_.requests.size() - result_.sent;
    result_.elapsed_s =
        std::max(duration_, std::chrono::duration<double>(last_answer_ - start_).count());
    result_.client_cpu_s = cpu_seconds(after) - cpu_seconds(before);
    return std::move(result_);
  }

 private:
  struct Conn {
    // Beast sizes each read by the buffer's capacity (at least 512 bytes): room for a whole
    // answer means one read per answer.
    explicit Conn(net::io_context& ioc) : socket(ioc) { buffer.reserve(16 * 1024); }
    tcp::socket socket;
    beast::flat_buffer buffer;
    std::optional<bhttp::response_parser<bhttp::string_body>> parser;
    std::size_t current = 0;
  };

  static Nanos to_nanos(double seconds) { return Nanos(static_cast<std::int64_t>(seconds * 1e9)); }
  static double cpu_seconds(const rusage& u) {
    return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
  }
  Clock::time_point due_time(std::size_t i) const {
    return start_ + Nanos(static_cast<std::int64_t>(static_cast<double>(i) * interval_ns_));
  }

  std::vector<std::unique_ptr<Conn>>& conns_storage() {
    if (conns_.empty()) {
      for (std::size_t i = 0; i < connections_; ++i) conns_.push_back(std::make_unique<Conn>(ioc_));
    }
    return conns_;
  }

  // Makes every request that is due by now ready to go, then sleeps until the next one.
  void schedule() {
    if (finished_) return;
    const auto now = Clock::now();
    const std::size_t total = workload_.requests.size();
    while (next_ < total && due_time(next_) <= now) {
      const std::size_t i = next_++;
      due_[i] = due_time(i);
      if (!idle_.empty()) {
        Conn* c = idle_.back();
        idle_.pop_back();
        send(*c, i);
      } else {
        backlog_.push_back(i);
      }
    }
    if (next_ < total) {
      timer_.expires_at(due_time(next_));
      timer_.async_wait([this](beast::error_code ec) {
        if (!ec) schedule();
      });
    } else {
      maybe_finish();
    }
  }

  void send(Conn& c, std::size_t i) {
    c.current = i;
    sent_at_[i] = Clock::now();
    result_.send_lag_ns.push_back(Nanos(sent_at_[i] - due_[i]).count());
    ++result_.sent;
    const std::string& bytes = workload_.requests[i];
    net::async_write(c.socket, net::buffer(bytes), [this, &c](beast::error_code ec, std::size_t) {
      if (ec) return on_failure(c);
      c.parser.emplace();
      c.parser->body_limit(1024 * 1024);
      bhttp::async_read(c.socket, c.buffer, *c.parser,
                        [this, &c](beast::error_code rec, std::size_t) { on_answer(c, rec); });
    });
  }

  void on_answer(Conn& c, beast::error_code ec) {
    if (ec) return on_failure(c);
    const auto now = Clock::now();
    last_answer_ = now;
    ++answered_;
    const int status = static_cast<int>(c.parser->get().result_int());
    ++result_.by_status[status];
    if (status >= 200 && status < 300) {
      result_.ack_ns.push_back(Nanos(now - due_[c.current]).count());
      result_.ack_by_request[c.current] = result_.ack_ns.back();
      result_.wire_ns.push_back(Nanos(now - sent_at_[c.current]).count());
    }
    if (!c.parser->get().keep_alive()) return reconnect(c);
    release(c);
  }

  void release(Conn& c) {
    if (!backlog_.empty()) {
      const std::size_t i = backlog_.front();
      backlog_.pop_front();
      return send(c, i);
    }
    idle_.push_back(&c);
    maybe_finish();
  }

  void on_failure(Conn& c) {
    if (finished_) return;
    ++result_.transport_errors;
    reconnect(c);
  }

  void reconnect(Conn& c) {
    beast::error_code ignored;
    c.socket.close(ignored);
    c.buffer.clear();
    c.socket.async_connect(endpoint_, [this, &c](beast::error_code ec) {
      if (finished_) return;
      if (ec) {
        // The hub is gone or refusing: retry shortly rather than spin.
        auto retry = std::make_shared<net::steady_timer>(ioc_, std::chrono::milliseconds(50));
        retry->async_wait([this, &c, retry](beast::error_code) {
          if (!finished_) reconnect(c);
        });
        return;
      }
      beast::error_code nd;
      c.socket.set_option(tcp::no_delay(true), nd);
      release(c);
    });
  }

  void maybe_finish() {
    if (next_ == workload_.requests.size() && backlog_.empty() && idle_.size() == conns_.size()) {
      finish();
    }
  }

  void finish() {
    if (finished_) return;
    finished_ = true;
    timer_.cancel();
    deadline_timer_.cancel();
    for (auto& c : conns_) {
      beast::error_code ignored;
      c->socket.close(ignored);
    }
  }

  net::io_context ioc_;
  tcp::endpoint endpoint_;
  const Workload& workload_;
  double interval_ns_;
  double duration_;
  double drain_timeout_;
  net::steady_timer timer_;
  net::steady_timer deadline_timer_;
  std::size_t connections_;
  std::vector<std::unique_ptr<Conn>> conns_;
  std::vector<Conn*> idle_;
  std::deque<std::size_t> backlog_;
  std::vector<Clock::time_point> due_;
  std::vector<Clock::time_point> sent_at_;
  Clock::time_point start_;
  Clock::time_point last_answer_;
  std::size_t next_ = 0;
  std::size_t answered_ = 0;
  bool finished_ = false;
  RunResult result_;
};

// ---------------------------------------------------------------------------------------------
// The null hub: `ingest_bench serve -c FILE --listen HOST:PORT` answers every request at once
// (200, an accepted-looking body) on one thread. `--null-hub` runs the benchmark against it,
// which measures the load generator alone: what it can offer, and the latency floor of this
// machine's loopback.

class NullSession : public std::enable_shared_from_this<NullSession> {
 public:
  explicit NullSession(tcp::socket socket) : socket_(std::move(socket)) {
    buffer_.reserve(64 * 1024);
  }
  void read() {
    parser_.emplace();
    parser_->body_limit(16 * 1024 * 1024);
    bhttp::async_read(socket_, buffer_, *parser_,
                      [self = shared_from_this()](beast::error_code ec, std::size_t) {
                        if (!ec) self->write();
                      });
  }

 private:
  void write() {
    const bool keep_alive = parser_->get().keep_alive();
    const bool metrics = parser_->get().target() == "/metrics";
    response_ = {};
    response_.result(bhttp::status::ok);
    response_.version(11);
    response_.set(bhttp::field::content_type, metrics ? "text/plain" : "application/json");
    response_.body() = metrics ? "" : R"({"status":"accepted","connector":"stripe"})";
    response_.keep_alive(keep_alive);
    response_.prepare_payload();
    bhttp::async_write(socket_, response_,
                       [self = shared_from_this(), keep_alive](beast::error_code ec, std::size_t) {
                         if (!ec && keep_alive) self->read();
                       });
  }

  tcp::socket socket_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  bhttp::response<bhttp::string_body> response_;
};

int run_null_hub(int argc, char** argv) {
  std::string listen;
  for (int i = 2; i + 1 < argc; ++i) {
    if (std::string_view(argv[i]) == "--listen") listen = argv[i + 1];
  }
  const std::size_t colon = listen.rfind(':');
  if (colon == std::string::npos) {
    std::cerr << "null hub: --listen HOST:PORT is required\n";
    return 2;
  }
  net::io_context ioc(1);
  tcp::acceptor acceptor(
      ioc, tcp::endpoint(net::ip::make_address(listen.substr(0, colon)),
                         static_cast<std::uint16_t>(std::stoi(listen.substr(colon + 1)))));
  std::function<void()> accept = [&] {
    acceptor.async_accept([&](beast::error_code ec, tcp::socket socket) {
      if (!ec) {
        beast::error_code ignored;
        socket.set_option(tcp::no_delay(true), ignored);
        std::make_shared<NullSession>(std::move(socket))->read();
      }
      accept();
    });
  };
  accept();
  ioc.run();
  return 0;
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
  double hub_ack_mean_ms = 0;
  double hub_ack_p99_ms = 0;
  long hub_peak_rss_kb = 0;
  double hub_cpu_pct = 0;
  double client_cpu_pct = 0;
  double hub_core_busy_pct = -1;  // everything that ran on the hub's CPU; -1: not pinned
  double mean_body_bytes = 0;
};

// Nearest-rank percentile of sorted values, in ms.
double percentile_ms(const std::vector<std::int64_t>& sorted, double p) {
  if (sorted.empty()) return 0;
  const auto rank = static_cast<std::size_t>(std::ceil(p * static_cast<double>(sorted.size())));
  return static_cast<double>(sorted[std::min(sorted.size(), std::max<std::size_t>(rank, 1)) - 1]) /
         1e6;
}

// Requests grouped by when they were due: how many got a 2xx, and their p99 and max ack
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
  auto round3 = [](double v) { return std::round(v * 1000) / 1000; };
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

  // Waits (at most 15 s) until the hub has committed what the last phase left queued, so that
  // one phase's backlog does not count against the next.
  void settle() {
    const auto deadline = Clock::now() + std::chrono::seconds(15);
    double last = -1;
    while (Clock::now() < deadline && hub.alive()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
      const HubMetrics m = scrape(port);
      if (m.batch_count == last) return;
      last = m.batch_count;
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
      << "\n"
      << "connectors:\n  " << kConnector << ":\n    type: stripe\n"
      << "    base_url: http://127.0.0.1:7171\n    api_key: sk_test_bench\n"
      << "    webhook_secret: " << kSecret << "\n";
  if (!out.flush()) throw std::runtime_error("cannot write " + path.string());
}

std::string filesystem_type(const fs::path& path) {
  struct statfs s {};
  if (::statfs(path.c_str(), &s) != 0) return "unknown";
  switch (static_cast<unsigned long>(s.f_type)) {
    case 0xEF53:
      return "ext4";
    case 0x01021994:
      return "tmpfs";
    case 0x58465342:
      return "xfs";
    case 0x9123683E:
      return "btrfs";
    case 0x794c7630:
      return "overlayfs";
    default: {
      char hex[32];
      std::snprintf(hex, sizeof hex, "0x%lx", static_cast<unsigned long>(s.f_type));
      return hex;
    }
  }
}

// With autogroup scheduling (sched_autogroup_enabled), CPU time is shared between sessions
// first and nice counts only within one, so the session's own weight is raised for the run (the
// hub, forked from here, is in the same session) and put back afterwards: the session is the
// caller's terminal too.
class AutogroupNice {
 public:
  AutogroupNice() = default;
  AutogroupNice(const AutogroupNice&) = delete;
  AutogroupNice& operator=(const AutogroupNice&) = delete;
  ~AutogroupNice() {
    if (saved_) write(*saved_);
    g_autogroup_restore = kNoRestore;
  }
  void set(int nice) {
    std::ifstream in("/proc/self/autogroup");  // "/autogroup-9 nice 0"
    std::string group, word;
    int current = 0;
    if (!(in >> group >> word >> current) || word != "nice") return;
    if (write(nice)) {
      saved_ = current;
      g_autogroup_restore = current;
    }
  }

 private:
  static bool write(int nice) {
    std::ofstream out("/proc/self/autogroup");
    out << nice;
    return static_cast<bool>(out.flush());
  }
  std::optional<int> saved_;
};

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

  const fs::path base = options.dir.empty() ? fs::temp_directory_path() : fs::path(options.dir);
  std::string pattern = (base / "weft-bench-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr)
    throw std::runtime_error("cannot create a directory in " + base.string());
  const fs::path dir = pattern;
  const fs::path db = dir / "weft.db";
  const std::string storage_url =
      options.storage.empty() ? "sqlite:" + db.string() : options.storage;
  write_config(dir / "weft.yaml", storage_url, options);

  const bool pin = cpu_allowed(options.hub_cpu) && cpu_allowed(options.client_cpu) &&
                   options.hub_cpu != options.client_cpu;
  const std::uint16_t port = free_loopback_port();
  // Raise our own priority first: if that is refused, the hub's would be too.
  std::optional<int> nice;
  AutogroupNice autogroup_nice;
  if (options.nice != 0 && ::setpriority(PRIO_PROCESS, 0, options.nice) == 0) {
    nice = options.nice;
    autogroup_nice.set(options.nice);
  }
  HubProcess hub(options, dir / "weft.yaml", dir / "weft.log", port, pin ? options.hub_cpu : -1,
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
    std::ifstream loadavg("/proc/loadavg");
    std::string one, five;
    loadavg >> one >> five;
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
  const auto ready_deadline = Clock::now() + std::chrono::seconds(30);
  for (;;) {
    if (!hub.alive()) {
      std::fprintf(stderr, "ingest_bench: the hub exited at start (%s); its log:\n%s\n",
                   hub.describe_exit().c_str(), hub.log_tail().c_str());
      return 1;
    }
    const auto health = http_get(port, "/healthz", std::chrono::milliseconds(500));
    if (health && health->status == 200) break;
    if (Clock::now() > ready_deadline) {
      std::fprintf(stderr,
                   "ingest_bench: the hub did not answer /healthz within 30 s; its log:\n%s\n",
                   hub.log_tail().c_str());
      return 1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
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
  if (argc > 1 && std::string_view(argv[1]) == "serve") return run_null_hub(argc, argv);
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

  std::signal(SIGPIPE, SIG_IGN);
  std::signal(SIGINT, on_interrupt);
  std::signal(SIGTERM, on_interrupt);
  try {
    return run(options);
  } catch (const std::exception& e) {
    std::cerr << "ingest_bench: " << e.what() << '\n';
    return 1;
  }
}
