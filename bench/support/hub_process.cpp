#include "support/hub_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio.hpp>
#include <csignal>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <thread>
#include <vector>

#include "support/cpu.hpp"
#include "support/metrics_scrape.hpp"

namespace weft::bench {

namespace {

using Clock = std::chrono::steady_clock;

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

bool write_autogroup(int nice) {
  std::ofstream out("/proc/self/autogroup");
  out << nice;
  return static_cast<bool>(out.flush());
}

}  // namespace

void install_interrupt_handlers() {
  std::signal(SIGPIPE, SIG_IGN);
  std::signal(SIGINT, on_interrupt);
  std::signal(SIGTERM, on_interrupt);
}

HubProcess::HubProcess(const std::string& weft, const std::filesystem::path& config,
                       const std::filesystem::path& log, std::uint16_t port, int hub_cpu,
                       std::optional<int> nice)
    : log_(log) {
  std::vector<std::string> args = {weft,     "serve", "-c", config.string(), "--listen",
                                   "127.0.0.1:" + std::to_string(port)};
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

HubProcess::~HubProcess() { stop(); }

bool HubProcess::alive() {
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

std::string HubProcess::stop() {
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

std::string HubProcess::describe_exit() const {
  if (!exit_status_) return "running";
  const int s = *exit_status_;
  if (WIFEXITED(s)) return "exit " + std::to_string(WEXITSTATUS(s));
  if (WIFSIGNALED(s)) return "signal " + std::to_string(WTERMSIG(s));
  return "status " + std::to_string(s);
}

std::optional<std::string> HubProcess::wait_healthy(std::uint16_t port,
                                                    std::chrono::seconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    if (!alive()) {
      return "the hub exited at start (" + describe_exit() + "); its log:\n" + log_tail();
    }
    const auto health = http_get(port, "/healthz", std::chrono::milliseconds(500));
    if (health && health->status == 200) return std::nullopt;
    if (Clock::now() > deadline) {
      return "the hub did not answer /healthz within " + std::to_string(timeout.count()) +
             " s; its log:\n" + log_tail();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

long HubProcess::status_kb(const char* field) const { return bench::status_kb(pid_, field); }

bool HubProcess::reset_peak_rss() const { return bench::reset_peak_rss(pid_); }

double HubProcess::cpu_seconds() const { return process_cpu_seconds(pid_); }

std::string HubProcess::log_tail(std::size_t max_bytes) const {
  std::ifstream in(log_, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return text.size() > max_bytes ? text.substr(text.size() - max_bytes) : text;
}

AutogroupNice::~AutogroupNice() {
  if (saved_) write_autogroup(*saved_);
  g_autogroup_restore = kNoRestore;
}

void AutogroupNice::set(int nice) {
  std::ifstream in("/proc/self/autogroup");  // "/autogroup-9 nice 0"
  std::string group, word;
  int current = 0;
  if (!(in >> group >> word >> current) || word != "nice") return;
  if (write_autogroup(nice)) {
    saved_ = current;
    g_autogroup_restore = current;
  }
}

std::optional<int> raise_priority(int nice, AutogroupNice& autogroup) {
  if (nice == 0 || ::setpriority(PRIO_PROCESS, 0, nice) != 0) return std::nullopt;
  autogroup.set(nice);
  return nice;
}

std::uint16_t free_loopback_port() {
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::acceptor acceptor(
      ioc, boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
  return acceptor.local_endpoint().port();
}

std::filesystem::path make_temp_dir(const std::string& parent, const std::string& prefix) {
  const std::filesystem::path base =
      parent.empty() ? std::filesystem::temp_directory_path() : std::filesystem::path(parent);
  std::string pattern = (base / (prefix + "XXXXXX")).string();
  if (::mkdtemp(pattern.data()) == nullptr)
    throw std::runtime_error("cannot create a directory in " + base.string());
  return pattern;
}

}  // namespace weft::bench
