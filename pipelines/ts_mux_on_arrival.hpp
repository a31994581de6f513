// "tsmuxonarrival": mpegtsmux that writes each buffer as it arrives.
//
// mpegtsmux (an aggregator without a deadline of its own) writes buffers in
// timestamp order, so it holds every buffer until each of its other pads has
// one: Opus sound, ready 16 ms after capture, waited for the next video frame
// (100-145 ms after capture at 15 fps, 60-75 ms at 30 fps), and the low video
// for the full video's next frame; a frame's chunk could only close when the
// next frame came. This subclass gives the aggregator a deadline already
// past whenever a buffer waits, once the muxer's streams are set up (its
// first buffer went out with every pad's caps known), so buffers leave in the
// order they arrive. Streams of a TS are demuxed by PID: the order across
// them is free, and each stream's own order is kept. Its writes are stamped
// as mpegtsmux stamps them (ts_pes.hpp says how to date them).
#pragma once

namespace treecast::media {

inline constexpr const char* ts_mux_on_arrival_factory = "tsmuxonarrival";

// Registers the element with GStreamer (once per process; gst_init() first).
// Throws std::runtime_error when mpegtsmux is missing.
void register_ts_mux_on_arrival();

}  // namespace treecast::media
