// Cuts the muxer's stream of TS buffers into chunks.
//
// A buffer that starts a keyframe starts a new chunk (flagged), led by
// the PAT and PMT, so a late joiner can begin decoding at a chunk boundary. Otherwise a chunk is
// cut at the first buffer of a new PES (a new timestamp) once the chunk spans `target_duration` of
// capture time, or when it reaches `max_bytes`.
//
// Pure logic, no GStreamer: the broadcast pipeline feeds it from its appsink.
// Not thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>

#include "media_chunk.hpp"
#include "ts_program_tables.hpp"

namespace treecast::media {

class ts_chunker {
 public:
  struct config {
    // Capture time one chunk spans at most (except a lone long PES).
    std::chrono::microseconds target_duration = std::chrono::milliseconds(200);
    // Bytes after which a chunk is cut whatever its duration; below the
    // wire's maximum frame size.
    std::size_t max_bytes = 1024 * 1024;
  };

  using sink = std::function<void(media_chunk&&)>;

  // Keyframes this close in capture time are of one frame (the full and the
  // low video's): they start one chunk, not two.
  static constexpr std::int64_t same_frame_us = 5'000;

  ts_chunker(config cfg, sink out);

  // One muxer output buffer: `bytes` whole TS packets; `keyframe` when the
  // buffer starts a keyframe; `capture_time_us` the wall time its content was
  // captured.
  void push(std::span<const std::uint8_t> bytes, bool keyframe, std::uint64_t capture_time_us);

  // Emits the chunk in progress, if any.
  void flush();

  std::uint64_t chunks_emitted() const { return next_seq_; }

 private:
  config config_;
  sink out_;
  media_chunk current_;
  // The stream's latest PAT and PMT, put first in every keyframe chunk that
  // does not start with them: mpegtsmux writes them on its own schedule, and
  // a demuxer that joins at a keyframe chunk needs them before the picture.
  ts_program_tables tables_;
  bool open_ = false;
  std::uint64_t last_capture_us_ = 0;
  std::uint64_t next_seq_ = 0;
};

}  // namespace treecast::media
