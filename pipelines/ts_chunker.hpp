// Cuts the muxer's stream of TS buffers into chunks.
//
// A buffer that starts a keyframe starts a new chunk (flagged), led by
// the PAT and PMT, so a late joiner can begin decoding at a chunk boundary.
//
// Fed whole video frames (each write of the muxer, told which video stream
// it is a frame of), it cuts right after the frame that makes the chunk span
// `target_duration` (its own duration counted), once every video stream has
// written that frame: a chunk per frame at the default leaves as soon as its
// frame is muxed. Sound written since the last frame goes with the next one;
// before a keyframe it leads the keyframe's chunk. Fed packets it cannot
// tell frames in, it cuts at the first buffer of a new PES (a new timestamp)
// once the chunk spans `target_duration` of capture time. Either way at
// `max_bytes`. A chunk is dated by its oldest content: streams come in the
// order they were encoded (ts_mux_on_arrival.hpp), not by timestamp.
//
// Pure logic, no GStreamer: the broadcast pipeline feeds it from its appsink.
// Not thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
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
  // captured; `frame_of`: the video stream (PID) when `bytes` is one whole
  // frame of it.
  void push(std::span<const std::uint8_t> bytes, bool keyframe, std::uint64_t capture_time_us,
            std::optional<std::uint16_t> frame_of = std::nullopt);

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
  void open(std::span<const std::uint8_t> bytes, bool keyframe, std::uint64_t capture_time_us);
  // The chunk in progress, sound alone so far, becomes the keyframe's.
  void lead_keyframe(std::uint64_t capture_time_us);
  // Notes a whole frame of video stream `pid`; whether it ends the chunk.
  bool frame_ends_chunk(std::uint16_t pid, std::uint64_t capture_time_us);

  struct frame_times {
    std::int64_t last_us = 0;
    std::int64_t interval_us = 0;
  };

  bool open_ = false;
  bool whole_frames_ = false;                    // fed whole frames: cut after them
  bool frame_in_chunk_ = false;                  // the chunk in progress holds a frame
  std::optional<std::uint64_t> key_capture_us_;  // of the chunk's keyframe
  std::map<std::uint16_t, frame_times> frames_;  // by video PID
  std::uint64_t last_capture_us_ = 0;
  std::uint64_t next_seq_ = 0;
};

}  // namespace treecast::media
