#pragma once
// Whole-process test support: child processes the test starts, signals and reaps itself, a
// temporary directory that cleans up after itself, and a free loopback port.
//
// Children are bound to the test: each is started with PR_SET_PDEATHSIG = SIGKILL from a
// spawner thread that lives as long as the test process, so a test that crashes or is
// killed leaves no server behind holding a port. (The death signal follows the *thread* that
// forked, which is why spawning does not happen on the caller's thread.)
//
// Threads: a Process may be used from one thread at a time; distinct Process objects and
// spawn() calls from several threads are fine.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "weft/result.hpp"

namespace weft::test {

struct ProcessOptions {
  std::string program;                                   // path to the executable
  std::vector<std::string> args;                         // not including argv[0]
  std::vector<std::pair<std::string, std::string>> env;  // added to (or replacing in) ours
  std::filesystem::path stderr_path;  // appended to; empty: inherit the test's stderr
  std::filesystem::path stdout_path;  // appended to; empty: inherit the test's stdout
  std::filesystem::path working_dir;  // empty: the test's
};

// How a child ended.
struct ExitStatus {
  bool exited = false;  // normal exit: `code` holds the exit code
  int code = 0;
  bool signaled = false;  // killed: `signal` holds the signal
  int signal = 0;
  std::string to_string() const;  // "exit 0", "signal 9 (Killed)"
};

class Process {
 public:
  // Starts the child. The error says what failed (fork, or exec: a missing binary is
  // reported here, not as an exit code 127 later).
  static Result<Process, std::string> spawn(const ProcessOptions& options);

  Process(Process&& other) noexcept;
  Process& operator=(Process&& other) noexcept;
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  // A child still running is killed with SIGKILL and reaped.
  ~Process();

  pid_t pid() const { return pid_; }
  // True until the child has been reaped (by wait_for / running / the destructor).
  bool running();
  // Sends a signal; false when the child has already been reaped.
  bool kill(int signal);
  // Waits up to `timeout` for the child to end and reaps it. nullopt on timeout.
  std::optional<ExitStatus> wait_for(std::chrono::milliseconds timeout);
  // The status of a child already reaped.
  const std::optional<ExitStatus>& exit_status() const { return status_; }
  // kill(signal) then wait_for(timeout); SIGKILL after the timeout if it is still alive.
  ExitStatus stop(int signal, std::chrono::milliseconds timeout);

 private:
  explicit Process(pid_t pid) : pid_(pid) {}
  bool reap(bool block);

  pid_t pid_ = -1;
  std::optional<ExitStatus> status_;
};

#ifdef WEFT_BINARY
// The `weft` binary under test: $WEFT_BINARY when set (to run the tests against another
// build), else the one CMake built next to the test (the WEFT_BINARY compile definition).
inline std::string weft_binary() {
  const char* env = std::getenv("WEFT_BINARY");
  return env != nullptr && *env != '\0' ? std::string(env) : std::string(WEFT_BINARY);
}
#endif

// A port on 127.0.0.1 that was free a moment ago: bound to port 0, read back, closed. Another
// process may still take it before the test binds it; servers that set SO_REUSEADDR can bind
// it again right away.
std::uint16_t free_loopback_port();

// A fresh directory under $TMPDIR (or /tmp), removed with everything in it on destruction
// unless keep() was called (do that when a test fails, to look at what it left) or the
// environment sets WEFT_TEST_KEEP_DIRS=1 (to look at what a passing test left).
class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "weft-test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }
  // Writes `text` to the file `name` inside it (creating sub-folders); the file's path.
  std::filesystem::path write(const std::string& name, const std::string& text) const;
  void keep() { keep_ = true; }

 private:
  std::filesystem::path path_;
  bool keep_ = false;
};

// A command run to its end: its exit code (-1 when it did not exit normally within the
// timeout) and what it wrote.
struct CommandResult {
  int code = -1;
  std::string out, err;
};
// Runs `program args…` and waits up to `timeout`; its output goes through files in `dir`
// named after `name` (kept there for a failure's post-mortem).
CommandResult run_command(const std::string& program, const std::vector<std::string>& args,
                          const std::filesystem::path& dir, const std::string& name,
                          std::chrono::milliseconds timeout = std::chrono::seconds(30));

// Whole file as bytes; empty when it cannot be read.
std::string read_file(const std::filesystem::path& path);
// The last `max_bytes` of a file (for quoting a server's log in a failure message).
std::string tail_of_file(const std::filesystem::path& path, std::size_t max_bytes = 4096);
// Writes (replacing) a file; throws std::runtime_error on failure (tests set-up only).
void write_file(const std::filesystem::path& path, const std::string& content);

}  // namespace weft::test
