#pragma once
// The hub under measurement: the real `weft serve`, started as a child process with its own
// config, optionally pinned to a CPU and at a raised priority, stopped with SIGTERM at the end
// (and on the benchmark's own interrupt, and by the kernel if the benchmark dies first).
//
// Threads: one HubProcess is used from one thread. install_interrupt_handlers() once, early.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace weft::bench {

// SIGINT/SIGTERM stop the running hub (and put back the session's autogroup nice) before this
// process exits; SIGPIPE is ignored.
void install_interrupt_handlers();

class HubProcess {
 public:
  // Starts `weft serve -c config --listen 127.0.0.1:port`, its stdout and stderr appended to
  // `log`. hub_cpu < 0: not pinned. nice: applied in the child when given.
  HubProcess(const std::string& weft, const std::filesystem::path& config,
             const std::filesystem::path& log, std::uint16_t port, int hub_cpu,
             std::optional<int> nice);
  ~HubProcess();
  HubProcess(const HubProcess&) = delete;
  HubProcess& operator=(const HubProcess&) = delete;

  pid_t pid() const { return pid_; }
  // False once the hub has exited (it is then reaped).
  bool alive();
  // SIGTERM (the hub finishes its commits), SIGKILL after 15 s. The hub's exit status.
  std::string stop();
  std::string describe_exit() const;  // "running", "exit N", "signal N"

  // Until GET /healthz answers 200: nullopt, or why not (the hub exited, or did not answer
  // within `timeout`), with the tail of its log.
  std::optional<std::string> wait_healthy(std::uint16_t port, std::chrono::seconds timeout);

  long status_kb(const char* field) const;  // VmHWM, VmRSS of the hub
  bool reset_peak_rss() const;
  double cpu_seconds() const;  // all the hub's threads
  std::string log_tail(std::size_t max_bytes = 4000) const;

 private:
  std::filesystem::path log_;
  pid_t pid_ = -1;
  std::optional<int> exit_status_;
};

// With autogroup scheduling (sched_autogroup_enabled), CPU time is shared between sessions
// first and nice counts only within one, so the session's own weight is raised for the run (the
// hub, forked from here, is in the same session) and put back afterwards: the session is the
// caller's terminal too.
class AutogroupNice {
 public:
  AutogroupNice() = default;
  AutogroupNice(const AutogroupNice&) = delete;
  AutogroupNice& operator=(const AutogroupNice&) = delete;
  ~AutogroupNice();
  void set(int nice);

 private:
  std::optional<int> saved_;
};

// Raises this process's priority (and its autogroup's) to `nice` when allowed (root or
// CAP_SYS_NICE); the value applied, or nullopt when refused or `nice` is 0.
std::optional<int> raise_priority(int nice, AutogroupNice& autogroup);

std::uint16_t free_loopback_port();

// A fresh directory "<parent or $TMPDIR>/<prefix>XXXXXX".
std::filesystem::path make_temp_dir(const std::string& parent, const std::string& prefix);

}  // namespace weft::bench
