// The broadcaster's media pipeline:
//
//   source -+-> x264enc (zerolatency) -> h264parse ---------+  (sources: media_source.hpp)
//           +-> videoscale -> x264enc (low) -> h264parse ---+-> tsmuxonarrival -> appsink
//   sound  -> opusenc ---------------------------------------+           -> ts_chunker
//                                                                         -> ts_rendition_splitter
//
// The low video (--low-rendition, on by default) is the same frames at
// ~360p and a third of the bitrate, keyframes at the same frames (no scene
// cut keyframes in either), so that every chunk splits into three
// renditions a viewer can switch between at a keyframe (ts_renditions.hpp).
//
// The muxer writes each buffer as it comes (ts_mux_on_arrival.hpp): the sound
// does not wait for the next video frame. Each write is dated by the wall time
// its content was captured (its PES timestamp mapped through the pipeline
// clock: ts_pes.hpp, muxer_intake.hpp), and the chunker cuts chunks from the
// writes, right after a frame. Chunks and errors are reported on GStreamer
// streaming threads: the handlers must be thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "media_chunk.hpp"

typedef struct _GstElement GstElement;

namespace treecast::media {

struct broadcast_settings {
  // Where the picture and sound come from (media_source.hpp): "test" =
  // moving test pattern with a running clock and a 440 Hz tone.
  std::string source = "test";
  std::string device = "/dev/video0";  // --source camera
  int width = 640;
  int height = 360;
  int fps = 30;
  int video_kbps = 2000;
  int audio_kbps = 64;
  // Frames between keyframes; 0 = one a second. Late joiners start at one.
  int keyframe_interval = 0;
  // Capture time one chunk spans: a frame at 30 fps, so that no frame waits
  // for others before it is sent.
  std::chrono::milliseconds chunk_duration{33};
  // Also encode the low video (ts_renditions.hpp).
  bool low_rendition = true;

  // Empty when valid, otherwise which setting is out of range, named as
  // the broadcaster's flag.
  std::string validate() const;
};

// The low rendition's picture size (~360p, or half a smaller picture; even,
// at least 16x16) and video bitrate (a third of the full one, 50 at least).
std::pair<int, int> low_rendition_size(int width, int height);
int low_rendition_kbps(int video_kbps);

class broadcast_pipeline {
 public:
  using chunk_handler = std::function<void(media_chunk&&)>;
  using error_handler = std::function<void(const std::string&)>;

  // Throws std::runtime_error naming the missing element or bad setting.
  broadcast_pipeline(broadcast_settings settings, chunk_handler on_chunk, error_handler on_error);
  ~broadcast_pipeline();

  broadcast_pipeline(const broadcast_pipeline&) = delete;
  broadcast_pipeline& operator=(const broadcast_pipeline&) = delete;

  // Starts capturing. Throws std::runtime_error when the pipeline will not play.
  void start();

  // Stops capturing; no handler is called after it returns.
  void stop();

  // Encoded video frames and audio buffers so far.
  std::uint64_t video_frames() const { return video_frames_.load(); }
  std::uint64_t audio_buffers() const { return audio_buffers_.load(); }
  std::uint64_t chunks() const { return chunks_.load(); }
  // Nanoseconds the video encoder spent on frames so far (time from a raw
  // frame entering x264enc to its encoded frame leaving): encoder load is its
  // rate of growth per wall second.
  std::uint64_t encoder_busy_ns() const { return encode_busy_ns_.load(); }

  // The GStreamer pipeline description used (for logs).
  const std::string& description() const { return description_; }

  struct state;  // streaming-thread state, defined in the .cpp

 private:
  broadcast_settings settings_;
  std::string description_;
  GstElement* pipeline_ = nullptr;
  std::unique_ptr<state> state_;
  std::atomic<std::uint64_t> video_frames_{0};
  std::atomic<std::uint64_t> audio_buffers_{0};
  std::atomic<std::uint64_t> chunks_{0};
  std::atomic<std::uint64_t> encode_busy_ns_{0};
};

}  // namespace treecast::media
