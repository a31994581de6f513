// treecast-bench repair: real processes on loopback; a relay with children
// is killed (crash) or stopped (freeze) again and again; each child's repair
// time (kill -> the stream flowing again) and the chunks lost.
#pragma once

#include <string>

namespace treecast::bench {

struct repair_options {
  int rounds = 5;    // per failure kind
  int children = 3;  // of the victim
  bool json = false;
};

// Runs the benchmark, prints a table (and a JSON object as the last line
// with json). Returns the process exit code.
int run_repair_bench(const repair_options& options);

}  // namespace treecast::bench
