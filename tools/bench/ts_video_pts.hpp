// The PTS of each video PES that starts in a run of 188-byte MPEG-TS packets:
// how the latency benchmark follows one frame through SRT relays that carry
// only bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>

namespace treecast::bench {

// Calls `on_pts` (90 kHz, 33 bits) for every PES start of a video stream
// (stream id 0xE0..0xEF); packets must be aligned (the 1316-byte buffers of
// mpegtsmux alignment=7 and srtsrc are).
void for_each_video_pts(const std::uint8_t* data, std::size_t size,
                        const std::function<void(std::uint64_t)>& on_pts);

// The same with each PES start's byte offset in `data` and whether it starts
// a keyframe (the packet's random access indicator, which mpegtsmux sets).
void for_each_video_pes(
    const std::uint8_t* data, std::size_t size,
    const std::function<void(std::size_t offset, std::uint64_t pts, bool keyframe)>& on_pes);

}  // namespace treecast::bench
