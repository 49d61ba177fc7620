// Runs a program with a deadline and captures its exit code, stdout and stderr (for CLI tests).
#pragma once

#include <chrono>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <stdexcept>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace derivcache::test {

struct process_result {
  int exit_code = -1;   ///< -1 when killed at the deadline
  std::string out;
  std::string err;
};

/// Starts `argv[0]` with `argv`, its stdout/stderr sent to `out_fd`/`err_fd` (-1: inherited); the pipes
/// are made with O_CLOEXEC, so a child holds no other end open. posix_spawn, not fork+exec: the test process has simulator and CAF
/// threads, and a forked child that allocates before exec can deadlock on a lock another thread held at
/// fork time (seen under ASan, whose allocator has no fork handler in GCC 12: the engine never started).
inline pid_t spawn_or_throw(const std::vector<std::string>& argv, int out_fd, int err_fd) {
  std::vector<char*> args;
  for (const auto& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (out_fd >= 0)
    posix_spawn_file_actions_adddup2(&actions, out_fd, STDOUT_FILENO);
  if (err_fd >= 0)
    posix_spawn_file_actions_adddup2(&actions, err_fd, STDERR_FILENO);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0)
    throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(rc));
  return pid;
}

inline process_result run_process(const std::vector<std::string>& argv,
                                  std::chrono::milliseconds deadline = std::chrono::seconds{30}) {
  int out_pipe[2], err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0)
    throw std::runtime_error("pipe failed");
  pid_t pid = spawn_or_throw(argv, out_pipe[1], err_pipe[1]);
  close(out_pipe[1]);
  close(err_pipe[1]);
  process_result result;
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  std::string* sinks[2] = {&result.out, &result.err};
  const auto until = std::chrono::steady_clock::now() + deadline;
  int open_fds = 2;
  bool killed = false;
  while (open_fds > 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      kill(pid, SIGKILL);
      killed = true;
      break;
    }
    if (poll(fds, 2, static_cast<int>(left.count())) <= 0)
      continue;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP)))
        continue;
      char buf[65536];
      auto n = read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        sinks[i]->append(buf, static_cast<std::size_t>(n));
      } else {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  for (auto& f : fds)
    if (f.fd >= 0)
      close(f.fd);
  int status = 0;
  waitpid(pid, &status, 0);
  result.exit_code = !killed && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

} // namespace derivcache::test

namespace derivcache::test {

/// A running child process whose output is read as it comes (for signal, log and streaming tests).
/// Its stderr is always read; with `merge_stdout` its stdout goes to the same place.
class child_process {
public:
  explicit child_process(const std::vector<std::string>& argv, bool merge_stdout = false) {
    int err_pipe[2];
    if (pipe2(err_pipe, O_CLOEXEC) != 0)
      throw std::runtime_error("pipe failed");
    pid_ = spawn_or_throw(argv, merge_stdout ? err_pipe[1] : -1, err_pipe[1]);
    close(err_pipe[1]);
    err_fd_ = err_pipe[0];
  }
  ~child_process() {
    if (pid_ > 0 && !exited_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (err_fd_ >= 0)
      close(err_fd_);
  }
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  /// The child's process id (for /proc/<pid>/status).
  pid_t pid() const { return pid_; }

  /// Reads stderr until `needle` has appeared `times` times in all or the deadline passes; true when it has.
  bool wait_for_stderr(const std::string& needle, std::chrono::milliseconds deadline, std::size_t times = 1) {
    const auto until = std::chrono::steady_clock::now() + deadline;
    while (occurrences(needle) < times) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
      if (left.count() <= 0)
        return false;
      pollfd fd{err_fd_, POLLIN, 0};
      if (poll(&fd, 1, static_cast<int>(left.count())) <= 0)
        continue;
      char buf[4096];
      auto n = read(err_fd_, buf, sizeof buf);
      if (n <= 0)
        return occurrences(needle) >= times;
      stderr_.append(buf, static_cast<std::size_t>(n));
    }
    return true;
  }

  /// How often `needle` appears in what was read of stderr so far.
  std::size_t occurrences(const std::string& needle) const {
    std::size_t n = 0;
    for (auto at = stderr_.find(needle); at != std::string::npos; at = stderr_.find(needle, at + needle.size()))
      ++n;
    return n;
  }

  /// Sends `sig` and waits up to `deadline` for the exit; the exit code, or -1 when it did not exit in time.
  int signal_and_wait(int sig, std::chrono::milliseconds deadline) {
    kill(pid_, sig);
    const auto until = std::chrono::steady_clock::now() + deadline;
    int status = 0;
    while (std::chrono::steady_clock::now() < until) {
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        exited_ = true;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      // Drain stderr while waiting so the child never blocks on a full pipe.
      pollfd fd{err_fd_, POLLIN, 0};
      if (poll(&fd, 1, 10) > 0) {
        char buf[4096];
        auto n = read(err_fd_, buf, sizeof buf);
        if (n > 0)
          stderr_.append(buf, static_cast<std::size_t>(n));
      }
    }
    return -1;
  }

  const std::string& stderr_text() const { return stderr_; }

  /// SIGKILL, as a crash would end it.
  void kill_hard() {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    exited_ = true;
  }

private:
  pid_t pid_ = -1;
  int err_fd_ = -1;
  bool exited_ = false;
  std::string stderr_;
};

} // namespace derivcache::test
