// A program started by a test: its stdout is read line by line on a thread
// so the test can wait for a line with a deadline; its stderr goes to a log
// file. The destructor kills and reaps it if the test did not stop it.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace treecast::testing {

class child_process {
 public:
  // Starts `argv[0]` with the arguments; stderr is appended to `log_path`,
  // stdout copied to `log_path`.stdout.
  // Throws std::runtime_error when the program cannot be started.
  child_process(std::vector<std::string> argv, const std::string& log_path);
  ~child_process();

  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  // The first stdout line, from line `from` on, for which `match` is true;
  // nullopt if none came before the deadline or the process closed stdout.
  std::optional<std::string> wait_for_line(const std::function<bool(const std::string&)>& match,
                                           std::chrono::milliseconds timeout, std::size_t from = 0);

  // Every stdout line so far (and, once stdout is closed, what followed the
  // last newline).
  std::vector<std::string> lines() const;

  void send_signal(int signal);

  // Waits for the process to end and for its stdout to be read to the end
  // (so lines() is then complete); its exit code (128 + signal when
  // killed), or nullopt at the deadline.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout);

  pid_t pid() const { return pid_; }

 private:
  void read_stdout(int fd);

  pid_t pid_ = -1;
  std::optional<int> exit_code_;
  std::ofstream stdout_copy_;  // stdout kept beside the log, for post-mortems
  std::thread reader_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::string> lines_;
  bool stdout_closed_ = false;
};

// "key=value" fields of a status line.
std::map<std::string, std::string> status_fields(const std::string& line);

// True for a program's "status ..." line.
bool is_status(const std::string& line);

// A status line's numeric field; -1 when it is absent or "-".
long long status_value(const std::string& line, const std::string& key);

// The whole text of a file ("" when it cannot be read): program logs.
std::string read_file(const std::string& path);

// The port in a "listening on HOST:PORT" line.
std::uint16_t listening_port(const std::string& line);

}  // namespace treecast::testing
