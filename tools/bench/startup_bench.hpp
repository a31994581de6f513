// treecast-bench startup: a viewer launched again and again against a live
// broadcast on loopback; launch -> first frame on screen (the viewer's
// "first-frame ms=" line), directly under the broadcaster (depth 1) and
// under a relay (depth 2), in the same run.
#pragma once

namespace treecast::bench {

struct startup_options {
  int runs = 10;  // viewer launches per placement
  bool json = false;
};

int run_startup_bench(const startup_options& options);

}  // namespace treecast::bench
