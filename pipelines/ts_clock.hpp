// The program clock (PCR) of an MPEG-TS, packet by packet.
//
// The muxer writes the clock in the adaptation field of the full video's
// packets. Whoever leaves those packets out of a stream (the low and the
// sound-alone renditions, ts_renditions.hpp; the player's video gate after a
// gap, ts_video_gate.hpp) keeps the clock with a packet of the clock alone
// in its place: without it tsdemux timestamps nothing, and the decoders
// count frames instead (a picture back after a gap then shows as late as
// it was away).
//
// Pure logic, no GStreamer.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace treecast::media {

// Whether the 188-byte `packet` carries a PCR.
bool has_pcr(std::string_view packet);

// A packet of `pid` with the PCR of `packet` and nothing else: an adaptation
// field alone, no payload, so the continuity counter stays `cc` (the last
// one the stream used on that PID).
std::string clock_only_packet(std::string_view packet, std::uint16_t pid, std::uint8_t cc);

// Rewrites the PID of a 188-byte packet in place.
void set_packet_pid(std::string& packet, std::uint16_t pid);

}  // namespace treecast::media
