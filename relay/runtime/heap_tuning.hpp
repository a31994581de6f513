// The programs' allocator setting, made once at start.
#pragma once

namespace treecast::runtime {

// Keeps up to 64 MiB of freed heap for reuse instead of handing it back to
// the kernel at once. A peer sending a chunk per frame to many children
// frees and reallocates its TLS and frame buffers ~3 000 times a second;
// glibc trimmed the heap top after each burst and every page faulted in
// again: a relay feeding 100 children spent half its CPU there
// (treecast-bench fanout, 33 ms chunks: 0.53-0.55 -> 0.20-0.26 CPU s per
// forwarded Gbit). Not done by the GStreamer plugin: its host process owns
// the allocator.
void keep_freed_heap();

}  // namespace treecast::runtime
