// Splits the broadcaster's MPEG-TS into its renditions.
//
// The broadcast pipeline muxes one transport stream with the full video
// (PID full_video_pid), the sound (audio_pid) and, when it encodes one, a
// low video of the same frames with keyframes at the same instants
// (low_video_pid). Each chunk of it is split, packet by packet, into three
// transport streams a demuxer plays on its own, all alike in PIDs and
// tables, so that a player can go from one to the other at a keyframe:
//
//   full   everything but the low video
//   low    everything but the full video, the low video under the full
//          video's PID
//   audio  everything but video (the tables and the sound)
//
// The PMT in each loses the low video's entry (and its CRC is made anew),
// so every rendition declares the one video stream and the sound. Only the
// full video carries the program clock (PCR): a player that switches
// renditions plays them without it (without_pcr), so that tsdemux times
// every one by the PES timestamps alike. Measured: a player that went full
// -> low -> full with the PCR left in fell seconds behind when the PCR came
// back, and showed every frame late from then on; the browser gateway's
// WebRTC pipeline, which plays the full rendition alone, needs the PCR.
//
// Pure logic, no GStreamer. Not thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "ts_program_tables.hpp"

namespace treecast::media {

inline constexpr std::uint16_t full_video_pid = 0x41;
inline constexpr std::uint16_t audio_pid = 0x42;
inline constexpr std::uint16_t low_video_pid = 0x43;

struct rendition_streams {
  std::string full;
  std::string low;  // empty when the stream has no low video
  std::string audio;
};

// The MPEG-2 CRC-32 of PSI sections (polynomial 0x04C11DB7, not reflected).
std::uint32_t mpeg_crc32(std::string_view bytes);

// `pmt_packet` (one 188-byte packet starting a PMT section) without the
// entry of `pid`; the packet unchanged when it has no such entry or is not
// one this code can read (a section spanning packets).
std::string pmt_without_stream(std::string_view pmt_packet, std::uint16_t pid);

class ts_rendition_splitter {
 public:
  // `ts`: whole 188-byte packets (a chunk); anything else is dropped.
  rendition_streams split(std::string_view ts);

 private:
  std::string_view pmt_for_renditions(std::string_view packet);

  ts_program_tables tables_;
  std::string pmt_in_;   // the latest PMT packet seen
  std::string pmt_out_;  // and its rewrite
  bool saw_low_ = false;
  std::uint8_t low_video_cc_ = 0;  // continuity counter of the low video's latest packet
};

}  // namespace treecast::media
