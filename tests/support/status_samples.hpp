// A program's status lines as counters over time (frames and audio buffers
// decoded, or encoded at the broadcaster), so that a test can compare what
// two programs counted over the same window.
#pragma once

#include <vector>

#include "child_process.hpp"

namespace treecast::testing {

struct status_sample {
  double t_ms;
  double frames;
  double audio;
};

// Every `status ` line `p` printed so far, in order.
std::vector<status_sample> status_samples(const child_process& p);

// A counter at time `t` (ms), interpolated between the samples around it.
double counter_at(const std::vector<status_sample>& s, double t, double status_sample::*field);

}  // namespace treecast::testing
