// One program the lab runs, with every incarnation it had (a restart starts
// a new process with the same command; the old one's output is kept).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "child_process.hpp"

namespace treecast::lab {

struct lab_peer {
  std::string name;  // "broadcaster", "relay3", "viewer17"
  std::string role;  // "broadcaster", "relay", "viewer"
  std::string site;  // "" for the origin
  std::vector<std::string> argv;
  std::string log_path;
  std::vector<std::unique_ptr<testing::child_process>> runs;  // last = current
  // Every run's stdout lines as they were when the run's time was up (taken
  // before stopping, so shutdown messages do not count).
  std::vector<std::vector<std::string>> output;
  bool alive = false;   // the current run was not killed
  bool frozen = false;  // the current run is stopped (SIGSTOP)

  testing::child_process& current() { return *runs.back(); }
};

}  // namespace treecast::lab
