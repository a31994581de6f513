// treecast-bench latency: a chain of depth 6 on loopback (source -> 5 relays
// -> viewer), for treecast and for srtsink/srtsrc relays at SRT's default
// latency (120 ms) and at lower ones (frames lost counted), in the same command on the same kind of
// input (x264 640x360@30, 4 Mbit/s): capture -> arrival at depth 1 and depth 6, the latency each
// hop adds (p50, p99), and treecast's glass-to-glass at the viewer (capture -> played).
#pragma once

#include <vector>

namespace treecast::bench {

struct latency_options {
  double seconds = 20;  // measured after the chain delivers and 3 s of warm-up
  std::vector<int> srt_latencies_ms{120, 20};  // one SRT chain each (120: SRT's default)
  bool json = false;
};

int run_latency_bench(const latency_options& options);

}  // namespace treecast::bench
