// Ctrl-C, SIGTERM or SIGHUP during a lab run: the run stops waiting and
// cleans up (every process, every namespace) instead of dying half-way.
#pragma once

#include <chrono>

namespace treecast::lab {

class interrupt_signal {
 public:
  interrupt_signal();   // installs the handlers (one instance per process)
  ~interrupt_signal();  // restores the default dispositions

  // Waits until `deadline`; false when a signal came first (or before).
  bool wait_until(std::chrono::steady_clock::time_point deadline) const;
  bool raised() const;
};

}  // namespace treecast::lab
