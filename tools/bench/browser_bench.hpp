// treecast-bench browsers: an office relay serving the stream to browsers
// (--serve-browsers) on loopback, with 0, then each count of real headless
// Chromium pages watching: the relay's CPU (and the CPU each browser adds),
// glass-to-glass in the browsers per frame (the page's own figures, from
// the stream's clock), and beside it a native headless viewer on the same
// broadcaster at the same depth (its per-second play latency).
#pragma once

#include <chrono>
#include <vector>

namespace treecast::bench {

struct browser_options {
  std::vector<int> browsers{1, 3};  // pages watching, one run each, after a run with none
  std::chrono::seconds window{20};  // measured per run, after every page plays
  bool json = false;
};

int run_browser_bench(const browser_options& options);

}  // namespace treecast::bench
