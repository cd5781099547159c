#include "support/process.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <functional>
#include <future>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string_view>
#include <system_error>
#include <thread>

extern char** environ;

namespace weft::test {

namespace {

std::string errno_text(const std::string& what, int error) {
  return what + ": " + std::strerror(error);
}

// Everything the child needs, prepared before fork: after fork only async-signal-safe calls.
struct ExecPlan {
  std::vector<std::string> argv_storage;
  std::vector<std::string> env_storage;
  std::vector<char*> argv;
  std::vector<char*> envp;
  std::string program;
  std::string stderr_path;
  std::string stdout_path;
  std::string working_dir;

  explicit ExecPlan(const ProcessOptions& options) : program(options.program) {
    argv_storage.push_back(options.program);
    argv_storage.insert(argv_storage.end(), options.args.begin(), options.args.end());
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
      const std::string entry(*e);
      const std::string name = entry.substr(0, entry.find('='));
      bool overridden = false;
      for (const auto& [k, v] : options.env) overridden = overridden || k == name;
      if (!overridden) env_storage.push_back(entry);
    }
    for (const auto& [k, v] : options.env) env_storage.push_back(k + "=" + v);
    for (auto& a : argv_storage) argv.push_back(a.data());
    argv.push_back(nullptr);
    for (auto& e : env_storage) envp.push_back(e.data());
    envp.push_back(nullptr);
    stderr_path = options.stderr_path.string();
    stdout_path = options.stdout_path.string();
    working_dir = options.working_dir.string();
  }
};

// In the child: reports errno through the pipe to the parent, then exits.
[[noreturn]] void child_failed(int report_fd, int error) {
  [[maybe_unused]] const ssize_t n = ::write(report_fd, &error, sizeof error);
  ::_exit(127);
}

// In the child: never returns. Reports a failure as errno through `report_fd`.
[[noreturn]] void exec_child(const ExecPlan& plan, pid_t parent, int report_fd) {
  auto die = [&report_fd](int error) { child_failed(report_fd, error); };
  // Dies with the spawner thread, i.e. with the test process.
  if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) die(errno);
  if (::getppid() != parent) ::_exit(1);  // the test already died
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  ::signal(SIGPIPE, SIG_DFL);
  ::signal(SIGINT, SIG_DFL);
  ::signal(SIGTERM, SIG_DFL);

  // Keep the report pipe at fd 3 and close everything else the test had open (client
  // sockets, other children's pipes), so the child holds nothing of ours.
  if (report_fd != 3) {
    if (::dup2(report_fd, 3) < 0) die(errno);
    report_fd = 3;
  }
  ::fcntl(3, F_SETFD, FD_CLOEXEC);
#ifdef SYS_close_range
  if (::syscall(SYS_close_range, 4U, ~0U, 0U) != 0)
#endif
  {
    const long max_fd = ::sysconf(_SC_OPEN_MAX);
    for (long fd = 4; fd < (max_fd > 0 && max_fd < 65536 ? max_fd : 65536); ++fd) {
      ::close(static_cast<int>(fd));
    }
  }
  auto redirect = [&](const std::string& path, int target) {
    if (path.empty()) return;
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd < 0) die(errno);
    if (::dup2(fd, target) < 0) die(errno);
    ::close(fd);
  };
  redirect(plan.stderr_path, STDERR_FILENO);
  redirect(plan.stdout_path, STDOUT_FILENO);
  if (!plan.working_dir.empty() && ::chdir(plan.working_dir.c_str()) != 0) die(errno);
  ::execve(plan.program.c_str(), plan.argv.data(), plan.envp.data());
  child_failed(report_fd, errno);
}

// Forks on behalf of callers, from one thread that lives until the test process exits, so
// that PR_SET_PDEATHSIG (tied to the forking thread) fires only when the test dies.
class Spawner {
 public:
  static Spawner& instance() {
    // Leaked on purpose: the thread must outlive every static destructor that may still
    // own a Process.
    static Spawner* spawner = new Spawner();  // NOLINT(cppcoreguidelines-owning-memory)
    return *spawner;
  }

  Result<pid_t, std::string> spawn(const ExecPlan& plan) {
    std::packaged_task<Result<pid_t, std::string>()> task([&plan] { return fork_exec(plan); });
    auto future = task.get_future();
    {
      std::lock_guard lock(mutex_);
      tasks_.push_back(std::move(task));
    }
    cv_.notify_one();
    return future.get();
  }

 private:
  Spawner() {
    std::thread([this] { run(); }).detach();
  }

  void run() {
    // Signals meant for the test process go to other threads.
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, nullptr);
    for (;;) {
      std::packaged_task<Result<pid_t, std::string>()> task;
      {
        std::unique_lock lock(mutex_);
        cv_.wait(lock, [this] { return !tasks_.empty(); });
        task = std::move(tasks_.front());
        tasks_.pop_front();
      }
      task();
    }
  }

  static Result<pid_t, std::string> fork_exec(const ExecPlan& plan) {
    int report[2];
    if (::pipe2(report, O_CLOEXEC) != 0) return fail(errno_text("pipe2", errno));
    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid < 0) {
      const int e = errno;
      ::close(report[0]);
      ::close(report[1]);
      return fail(errno_text("fork", e));
    }
    if (pid == 0) {
      ::close(report[0]);
      exec_child(plan, parent, report[1]);
    }
    ::close(report[1]);
    int child_errno = 0;
    ssize_t n;
    do {
      n = ::read(report[0], &child_errno, sizeof child_errno);
    } while (n < 0 && errno == EINTR);
    ::close(report[0]);
    if (n > 0) {  // exec failed: the child has exited with 127
      int ignored = 0;
      ::waitpid(pid, &ignored, 0);
      return fail(errno_text("cannot execute " + plan.program, child_errno));
    }
    return pid;
  }

  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::packaged_task<Result<pid_t, std::string>()>> tasks_;
};

ExitStatus decode(int raw) {
  ExitStatus s;
  if (WIFEXITED(raw)) {
    s.exited = true;
    s.code = WEXITSTATUS(raw);
  } else if (WIFSIGNALED(raw)) {
    s.signaled = true;
    s.signal = WTERMSIG(raw);
  }
  return s;
}

}  // namespace

std::string ExitStatus::to_string() const {
  if (exited) return "exit " + std::to_string(code);
  if (signaled) {
    const char* name = sigabbrev_np(signal);
    return "signal " + std::to_string(signal) +
           (name != nullptr ? std::string(" (SIG") + name + ")" : "");
  }
  return "unknown";
}

Result<Process, std::string> Process::spawn(const ProcessOptions& options) {
  if (options.program.empty()) return fail(std::string("no program to run"));
  const ExecPlan plan(options);
  auto pid = Spawner::instance().spawn(plan);
  if (!pid) return fail(std::move(pid).error());
  return Process(*pid);
}

Process::Process(Process&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)), status_(std::move(other.status_)) {}

Process& Process::operator=(Process&& other) noexcept {
  if (this != &other) {
    if (running()) stop(SIGKILL, std::chrono::seconds(10));
    pid_ = std::exchange(other.pid_, -1);
    status_ = std::move(other.status_);
  }
  return *this;
}

Process::~Process() {
  if (running()) stop(SIGKILL, std::chrono::seconds(10));
}

bool Process::reap(bool block) {
  if (pid_ <= 0 || status_) return true;
  int raw = 0;
  pid_t r;
  do {
    r = ::waitpid(pid_, &raw, block ? 0 : WNOHANG);
  } while (r < 0 && errno == EINTR);
  if (r == pid_) {
    status_ = decode(raw);
    return true;
  }
  if (r < 0) {  // ECHILD: someone else reaped it; nothing more to learn
    status_ = ExitStatus{};
    return true;
  }
  return false;
}

bool Process::running() { return pid_ > 0 && !reap(false); }

bool Process::kill(int signal) {
  if (!running()) return false;
  return ::kill(pid_, signal) == 0;
}

std::optional<ExitStatus> Process::wait_for(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return std::nullopt;
  if (reap(false)) return status_;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
#ifdef SYS_pidfd_open
  // A pidfd becomes readable when the child ends: no polling loop needed.
  const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0));
  if (pidfd >= 0) {
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      pollfd p{pidfd, POLLIN, 0};
      const int r = ::poll(&p, 1, static_cast<int>(std::max<std::int64_t>(0, left.count())));
      if (r < 0 && errno == EINTR) continue;
      break;
    }
    ::close(pidfd);
    if (reap(false)) return status_;
    return std::nullopt;
  }
#endif
  // Old kernels: poll the condition.
  while (std::chrono::steady_clock::now() < deadline) {
    if (reap(false)) return status_;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  if (reap(false)) return status_;
  return std::nullopt;
}

ExitStatus Process::stop(int signal, std::chrono::milliseconds timeout) {
  if (kill(signal)) {
    if (auto s = wait_for(timeout)) return *s;
    ::kill(pid_, SIGKILL);
    reap(true);
  }
  return status_.value_or(ExitStatus{});
}

std::uint16_t free_loopback_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  // sockaddr_in and sockaddr are the same object for the socket API.
  auto* generic = reinterpret_cast<sockaddr*>(&addr);
  if (::bind(fd, generic, sizeof addr) != 0 || ::getsockname(fd, generic, &len) != 0) {
    const int e = errno;
    ::close(fd);
    throw std::system_error(e, std::generic_category(), "bind 127.0.0.1:0");
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

TempDir::TempDir(const std::string& prefix) {
  std::error_code ec;
  auto base = std::filesystem::temp_directory_path(ec);
  if (ec) base = "/tmp";
  std::string pattern = (base / (prefix + "-XXXXXX")).string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw std::system_error(errno, std::generic_category(), "mkdtemp " + pattern);
  }
  path_ = pattern;
  const char* keep = std::getenv("WEFT_TEST_KEEP_DIRS");
  keep_ = keep != nullptr && *keep != '\0' && std::string_view(keep) != "0";
}

TempDir::~TempDir() {
  if (keep_) {
    std::fprintf(stderr, "kept %s\n", path_.c_str());
    return;
  }
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

CommandResult run_command(const std::string& program, const std::vector<std::string>& args,
                          const std::filesystem::path& dir, const std::string& name,
                          std::chrono::milliseconds timeout) {
  ProcessOptions options;
  options.program = program;
  options.args = args;
  options.stdout_path = dir / (name + ".out");
  options.stderr_path = dir / (name + ".err");
  std::filesystem::remove(options.stdout_path);
  std::filesystem::remove(options.stderr_path);
  CommandResult result;
  auto spawned = Process::spawn(options);
  if (!spawned) {
    result.err = spawned.error();
    return result;
  }
  const auto status = spawned->wait_for(timeout);
  if (status && status->exited) result.code = status->code;
  result.out = read_file(options.stdout_path);
  result.err = read_file(options.stderr_path);
  return result;
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string tail_of_file(const std::filesystem::path& path, std::size_t max_bytes) {
  std::string all = read_file(path);
  if (all.size() <= max_bytes) return all;
  return "…" + all.substr(all.size() - max_bytes);
}

std::filesystem::path TempDir::write(const std::string& name, const std::string& text) const {
  const auto file = path_ / name;
  std::filesystem::create_directories(file.parent_path());
  write_file(file, text);
  return file;
}

void write_file(const std::filesystem::path& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw std::runtime_error("cannot write " + path.string());
  out << content;
  out.close();
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

}  // namespace weft::test
