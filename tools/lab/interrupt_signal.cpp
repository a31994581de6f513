#include "interrupt_signal.hpp"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <stdexcept>

namespace treecast::lab {
namespace {

int wake_pipe[2] = {-1, -1};  // self-pipe: the handler writes, waits poll it
std::atomic<bool> got_signal{false};

void on_signal(int) {
  got_signal = true;
  const char byte = 1;
  [[maybe_unused]] const auto written = ::write(wake_pipe[1], &byte, 1);
}

}  // namespace

interrupt_signal::interrupt_signal() {
  if (::pipe2(wake_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
    throw std::runtime_error("interrupt_signal: pipe failed");
  }
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  for (const int s : {SIGINT, SIGTERM, SIGHUP}) {
    ::sigaction(s, &action, nullptr);
  }
}

interrupt_signal::~interrupt_signal() {
  for (const int s : {SIGINT, SIGTERM, SIGHUP}) {
    std::signal(s, SIG_DFL);
  }
  ::close(wake_pipe[0]);
  ::close(wake_pipe[1]);
}

bool interrupt_signal::raised() const {
  return got_signal;
}

bool interrupt_signal::wait_until(std::chrono::steady_clock::time_point deadline) const {
  while (!got_signal) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      return true;
    }
    pollfd fd{wake_pipe[0], POLLIN, 0};
    ::poll(&fd, 1, static_cast<int>(std::min<long long>(left.count(), 1000)));
  }
  return false;
}

}  // namespace treecast::lab
