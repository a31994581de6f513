// Lets a viewer skip video to the next keyframe after a gap while audio
// keeps playing.
//
// It reads the MPEG-TS packets going to the player, learns the video PID from
// the PAT and PMT, and, while closed, drops the packets of that PID but their
// program clock (ts_clock.hpp) and keeps every other one (audio, tables). After a gap the video
// decoder would otherwise show a smeared picture built on missing references until the next IDR
// frame; with the gate closed it gets nothing until a keyframe chunk opens the gate again.
//
// Pure logic, no GStreamer. Not thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "ts_program_tables.hpp"

namespace treecast::media {

class ts_video_gate {
 public:
  // Passes `ts` (whole 188-byte packets) through, without the video packets
  // while the gate is closed. Tables are read either way. Bytes that are not
  // whole TS packets are dropped (chunks are cut at packet boundaries).
  std::string filter(std::string_view ts);

  void close() { open_ = false; }
  void open() { open_ = true; }
  bool is_open() const { return open_; }

  const ts_program_tables& tables() const { return tables_; }

 private:
  bool open_ = true;
  ts_program_tables tables_;
  std::uint8_t video_cc_ = 0;  // continuity counter of the latest video packet passed
};

}  // namespace treecast::media
