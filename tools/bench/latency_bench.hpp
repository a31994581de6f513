// treecast-bench latency: a chain of depth 6 on loopback (source -> 5 relays
// -> viewer), for treecast and for srtsink/srtsrc relays at SRT's default
// latency (120 ms) and at lower ones (frames lost counted), in the same command on the same kind of
// input (x264 640x360@30, 4 Mbit/s): capture -> arrival at depth 1 and depth 6, the latency each
// hop adds (p50, p99), and treecast's glass-to-glass at the viewer (capture -> played).
#pragma once

#include <string>
#include <vector>

namespace treecast::bench {

// One treecast chain's settings: the broadcaster's --chunk-ms and the
// viewer's --latency; 0 leaves a program at its default.
struct treecast_profile {
  int chunk_ms = 0;
  int latency_ms = 0;
  std::string name() const;  // "default", "200/300", "40/default", ...
};

// "default" or CHUNK/LATENCY, each a number of ms or "default".
treecast_profile parse_treecast_profile(const std::string& text);

struct latency_options {
  std::vector<treecast_profile> treecast{treecast_profile{}};  // one treecast chain each
  double seconds = 20;  // measured after the chain delivers and 3 s of warm-up
  std::vector<int> srt_latencies_ms{120, 20};  // one SRT chain each (120: SRT's default)
  bool json = false;
};

int run_latency_bench(const latency_options& options);

}  // namespace treecast::bench
