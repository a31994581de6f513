// The broadcaster the benchmarks measure treecast with: the same media as
// their GStreamer baselines (x264 640x360@30 at 4 Mbit/s), one child slot.
#pragma once

#include <string>
#include <vector>

namespace treecast::bench {

// Its arguments; `chunk_ms` 0 leaves --chunk-ms at the broadcaster's default.
inline std::vector<std::string> bench_broadcaster_args(int chunk_ms = 0) {
  std::vector<std::string> args{"--resolution", "640x360", "--fps",          "30",
                                "--bitrate",    "4000",    "--max-children", "1"};
  if (chunk_ms > 0) {
    args.insert(args.end(), {"--chunk-ms", std::to_string(chunk_ms)});
  }
  return args;
}

}  // namespace treecast::bench
