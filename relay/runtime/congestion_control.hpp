// Which TCP congestion control the tree's links use: not BBR.
//
// BBR (v1, the default on some hosts, this lab machine's among them)
// enters ProbeRTT whenever 10 s pass without an RTT sample at its minimum,
// which a steady, app-limited flow of chunks seldom gives it, and holds
// its window at 4 packets for at least 200 ms. Across the netns lab's
// 80 ms round trip that held the broadcaster's 2 Mbit/s stream to a relay
// back ~300 ms every ~10 s (ss: cwnd 200 -> 4 for three round trips, no
// loss), and every viewer below stalled at once: 25-28 of 30 viewers
// stalled, 1.0-1.5% rebuffering. CUBIC has no such phase; Reno neither,
// and every host lets any process choose Reno.
#pragma once

#include <string>

namespace treecast::runtime {

// On a TCP socket whose congestion control is BBR: switches it to CUBIC,
// or to Reno when the host lets this process choose no CUBIC
// (net.ipv4.tcp_allowed_congestion_control). Any other choice of the host
// is kept. Best effort: returns the algorithm the socket ends up with
// ("" when it cannot be read).
std::string avoid_probe_rtt(int socket);

// The host's default algorithm (net.ipv4.tcp_congestion_control) and what
// the tree's links use instead, for one line in the log; "" when the
// default is kept.
std::string congestion_control_note();

}  // namespace treecast::runtime
