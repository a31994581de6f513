// treecast-bench fanout: one relay fed a ~4 Mbit/s live stream forwards it to
// 1, 10, 50, 100 children on loopback; the relay process's CPU seconds per
// second, CPU seconds per forwarded Gbit (bytes counted at the children) and
// peak RSS, for treecast and, in the same command on the same kind of input
// (x264 640x360@30, 4 Mbit/s, MPEG-TS), for GStreamer's tcpserversink,
// srtsink in listener mode and nginx with the RTMP module.
#pragma once

#include <string>
#include <vector>

namespace treecast::bench {

// "treecast" (the broadcaster's default chunks) or "treecast@MS" (--chunk-ms MS).
bool is_treecast(const std::string& impl);

struct fanout_options {
  std::vector<int> children = {1, 10, 50, 100};
  std::vector<std::string> impls = {"treecast", "tcpserversink", "srtsink", "nginx-rtmp"};
  double seconds = 8;  // measured, after every child receives and 2 s of warm-up
  bool json = false;
};

int run_fanout_bench(const fanout_options& options);

}  // namespace treecast::bench
