// What a process has used, read from /proc: for the benchmarks' CPU and
// memory figures.
#pragma once

#include <sys/types.h>

namespace treecast::bench {

// CPU seconds (user + system, all threads) the process has used so far.
double cpu_seconds(pid_t pid);

// Its peak resident set (VmHWM), MiB.
double peak_rss_mb(pid_t pid);

}  // namespace treecast::bench
