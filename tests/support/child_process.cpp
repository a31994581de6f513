#include "child_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

extern char** environ;

namespace treecast::testing {

child_process::child_process(std::vector<std::string> argv, const std::string& log_path) {
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) {
    throw std::runtime_error("pipe failed");
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, log_path.c_str(),
                                   O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  std::vector<char*> args;
  for (auto& a : argv) {
    args.push_back(a.data());
  }
  args.push_back(nullptr);
  const int rc = posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(out[1]);
  if (rc != 0) {
    close(out[0]);
    throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(rc));
  }
  stdout_copy_.open(log_path + ".stdout", std::ios::trunc);
  reader_ = std::thread([this, fd = out[0]] { read_stdout(fd); });
}

child_process::~child_process() {
  if (!exit_code_) {
    send_signal(SIGKILL);
    wait_exit(std::chrono::seconds(10));
  }
  if (reader_.joinable()) {
    reader_.join();  // stdout closes when the process is gone
  }
}

void child_process::read_stdout(int fd) {
  std::string pending;
  char buffer[4096];
  for (;;) {
    const ssize_t n = read(fd, buffer, sizeof buffer);
    if (n <= 0) {
      break;
    }
    pending.append(buffer, static_cast<std::size_t>(n));
    std::size_t newline;
    while ((newline = pending.find('\n')) != std::string::npos) {
      {
        const std::lock_guard lock(mutex_);
        lines_.push_back(pending.substr(0, newline));
      }
      stdout_copy_ << pending.substr(0, newline + 1) << std::flush;
      changed_.notify_all();
      pending.erase(0, newline + 1);
    }
  }
  close(fd);
  {
    const std::lock_guard lock(mutex_);
    if (!pending.empty()) {
      lines_.push_back(pending);  // the last line, unterminated
      stdout_copy_ << pending << std::flush;
    }
    stdout_closed_ = true;
  }
  changed_.notify_all();
}

std::optional<std::string> child_process::wait_for_line(
    const std::function<bool(const std::string&)>& match, std::chrono::milliseconds timeout,
    std::size_t from) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::unique_lock lock(mutex_);
  std::size_t next = from;
  for (;;) {
    for (; next < lines_.size(); ++next) {
      if (match(lines_[next])) {
        return lines_[next];
      }
    }
    if (stdout_closed_) {
      return std::nullopt;
    }
    if (changed_.wait_until(lock, deadline) == std::cv_status::timeout) {
      return std::nullopt;
    }
  }
}

std::vector<std::string> child_process::lines() const {
  const std::lock_guard lock(mutex_);
  return lines_;
}

void child_process::send_signal(int signal) {
  if (pid_ > 0 && !exit_code_) {
    kill(pid_, signal);
  }
}

std::optional<int> child_process::wait_exit(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  if (!exit_code_) {
    // waitpid has no timeout; a pidfd becomes readable when the process ends.
    const int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid_, 0));
    if (pidfd >= 0) {
      pollfd ready{pidfd, POLLIN, 0};
      const int n = poll(&ready, 1, static_cast<int>(timeout.count()));
      close(pidfd);
      if (n == 0) {
        return std::nullopt;
      }
    }
    int status = 0;
    if (waitpid(pid_, &status, pidfd >= 0 ? 0 : WNOHANG) != pid_) {
      return std::nullopt;
    }
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  // The reader thread may not have read the last lines yet: wait for it to
  // reach the end of stdout, so lines() after wait_exit() is complete.
  std::unique_lock lock(mutex_);
  changed_.wait_until(lock, deadline, [this] { return stdout_closed_; });
  return exit_code_;
}

bool is_status(const std::string& line) {
  return line.rfind("status ", 0) == 0;
}

long long status_value(const std::string& line, const std::string& key) {
  const auto fields = status_fields(line);
  const auto it = fields.find(key);
  return it == fields.end() || it->second == "-" ? -1 : std::stoll(it->second);
}

std::map<std::string, std::string> status_fields(const std::string& line) {
  std::map<std::string, std::string> fields;
  std::istringstream words(line);
  std::string word;
  while (words >> word) {
    if (const auto eq = word.find('='); eq != std::string::npos) {
      fields[word.substr(0, eq)] = word.substr(eq + 1);
    }
  }
  return fields;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::uint16_t listening_port(const std::string& line) {
  const auto colon = line.rfind(':');
  return static_cast<std::uint16_t>(std::stoi(line.substr(colon + 1)));
}

}  // namespace treecast::testing
