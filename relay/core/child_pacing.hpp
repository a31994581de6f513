// How fast we send to a child whose downlink is narrow (it said so in its
// JoinRequest or StandbyRequest: what its first join timed).
//
// A router in front of a narrow link holds only so much (the netns lab's
// shapers: 200 ms). A join's backlog sent at once, or the catch-up behind
// it on a link the stream nearly fills, overran it: TCP's slow start lost
// packets there, and the recovery stood the picture still (30-viewer lab,
// 1 Mbit/s viewers on the low rendition, before this: 2-7 of 9 stalled for
// 50-340 ms each within two seconds of their join; chunks 240 ms apart
// where they came 66 ms apart). Paced (the kernel's SO_MAX_PACING_RATE on
// that child's socket) a little below what the link carries, the queue
// stays short and nothing is lost; the backlog drains more slowly instead.
//
// Never below what the renditions it asked for take (stream_margin above
// their measured bytes): a join's timing can read a link low (a 150 kbit/s
// link's padding overran the same router: timed at 82-121), and pacing
// below the stream would leave the child ever further behind.
#pragma once

#include <cstdint>

#include "core/chunk_window.hpp"
#include "wire/messages.hpp"

namespace treecast::core {

// Bytes per second to send a child whose downlink was timed at
// `downlink_kbps`, whose renditions took `stream_bytes_per_second` lately.
double child_pace(std::uint32_t downlink_kbps, double stream_bytes_per_second);

// What the frames of the renditions `wants` took lately: their bytes over
// the newest stream_rate_span of capture time in `window`, per second (0
// when the window holds less).
double stream_bytes_per_second(const chunk_window& window, wire::rendition_set wants);

inline constexpr duration stream_rate_span = std::chrono::seconds(2);
// Of the child's timed downlink: the timing reads a shaper's bucket too
// (1 Mbit/s links timed at up to 1 110).
inline constexpr double downlink_share = 0.9;
// Above the stream: what a keyframe's burst and the backlog's catch-up get.
inline constexpr double stream_margin = 1.1;

}  // namespace treecast::core
