// Loopback ports for the benchmarks' baseline programs, which print no
// "listening on" line of their own.
#pragma once

#include <cstdint>

namespace treecast::bench {

// A port free on 127.0.0.1 for `type` (SOCK_STREAM, SOCK_DGRAM) just now.
std::uint16_t free_port(int type);

// Returns once something accepts TCP on 127.0.0.1:port; throws after 5 s.
void wait_listening(std::uint16_t port);

}  // namespace treecast::bench
