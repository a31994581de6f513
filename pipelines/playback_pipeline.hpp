// The viewer's media pipeline:
//
//   appsrc (TS bytes) -> tsdemux -+-> h264parse -> avdec_h264 -> [overlay] -> video sink
//                                 +-> opusdec -> audio sink
//
// The sinks play in sync with the pipeline clock, started when the first
// chunk arrives. Every frame is due a target after the live edge (the
// arrival delay of the freshest chunks): that is the jitter buffer. Chunks
// play out smoothly as long as each arrives within the target; a frame that
// comes later stands the picture still until it is there, and the target
// grows by its lateness so the next such hiccup is covered, shrinking back
// slowly towards `latency` while frames come on time (jitter_target.hpp).
// The join's backlog (from the newest keyframe) is decoded but not played
// in real time.
//
// With a window (window_controls.hpp: scaling, full screen, mute, volume),
// video gets a status overlay (key `o` toggles it) and audio goes to the
// default output; headless, both go to fakesinks that keep the same timing.
// push() may be called from any thread; handlers are called on streaming
// threads.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "frame_latency.hpp"
#include "jitter_target.hpp"
#include "stall_meter.hpp"
#include "window_controls.hpp"

typedef struct _GstElement GstElement;

namespace treecast::media {

struct playback_settings {
  // Decode and time playback, but show and play nothing.
  bool headless = true;
  // The jitter buffer's floor and start: how long after the live edge (the
  // arrival of the freshest chunks) frames are shown while they come on
  // time. Glass-to-glass latency is the arrival delay (chunk duration +
  // path) plus the target, which late frames grow above this.
  std::chrono::milliseconds latency = default_latency;
  // Whether the status overlay starts visible (windowed only).
  bool overlay = true;
  // The window's title, and which sink draws into it (window_controls.hpp).
  std::string title = "treecast";
  video_output output = video_output::automatic;
};

// What the viewer saw of the stream standing still (stall_meter).
struct stall_figures {
  std::uint64_t stalls = 0;
  std::int64_t stall_ms = 0;
  std::int64_t watch_ms = 0;  // first frame -> now
  double rebuffer_ratio = 0;  // stall time / watch time
  stall_meter::stall last;    // the latest stall that ended
};

class playback_pipeline {
 public:
  using error_handler = std::function<void(const std::string&)>;

  // Throws std::runtime_error naming a missing element.
  playback_pipeline(playback_settings settings, error_handler on_error);
  ~playback_pipeline();

  playback_pipeline(const playback_pipeline&) = delete;
  playback_pipeline& operator=(const playback_pipeline&) = delete;

  void stop();

  // Feeds TS bytes (any rendition: each carries the same program clock,
  // ts_renditions.hpp; say rendition_changed() before a new one). `capture_time_us`
  // is the wall time the first byte was captured. The first push starts the
  // clock. Throws std::runtime_error when the pipeline will not play (e.g.
  // no display).
  void push(std::string_view ts, std::uint64_t capture_time_us);

  // Replaces the overlay's text (no effect headless).
  void set_overlay_text(const std::string& text);

  std::uint64_t video_frames() const { return video_frames_.load(); }
  std::uint64_t audio_buffers() const { return audio_buffers_.load(); }
  // Called once, on a streaming thread, with the wall time (us) the first
  // frame is due on screen, or on sound alone the first sound is due to be
  // heard (what the viewer first gets: an audio-only start counted only
  // its first trial's frame, 13-37 s in, in the lab's startup p99). Set it
  // before the first push().
  void set_first_frame_handler(std::function<void(std::uint64_t)> handler);

  // Capture-to-screen delay of the latest frame (ms); -1 before the first.
  long long playback_latency_ms() const;
  // The same for every frame shown so far, as a histogram.
  frame_latency::snapshot_t frame_latencies() const;
  // Media held ahead of the picture on screen (ms): newest chunk received
  // minus the frame being shown; -1 before the first frame.
  long long buffer_ms() const;
  // The jitter buffer's target as it stands (ms after the live edge): the
  // latency setting, grown by late frames, shrinking back slowly.
  long long jitter_target_ms() const;

  // Frames are expected up to `lateness` after the live edge (jitter_target's
  // expect_lateness): before the first frame on time, the jitter buffer
  // starts that deep.
  void expect_lateness(std::chrono::microseconds lateness);

  // Time the picture stood still so far (an ongoing freeze included), not
  // counting time on sound alone.
  stall_figures stalls() const;
  // The same for the sound: gaps a listener heard.
  stall_figures audio_gaps() const;

  // The stream pushed from now on is another rendition (sound alone shows
  // no picture; a video rendition shows its first at its keyframe): the
  // picture is not timed until its next frame.
  // `picture`: whether it has one (sound alone has none: until a rendition
  // with a picture comes, no frame is shown or timed).
  void rendition_changed(bool picture);

  // Times playback was moved in time to keep the jitter buffer's target
  // (1 at the first frame; more when the path to the broadcaster or the
  // target changed).
  std::uint64_t re_anchors() const;

  // The sound's mute and volume (keys m, Up, Down in the window), and
  // whether the window is full screen.
  bool muted() const;
  double volume() const;
  bool fullscreen() const;
  // What draws the picture (windowed; x when headless).
  video_output output() const { return output_; }

  // True when a display could be opened for a video window.
  static bool display_available();

  struct timing;  // streaming-thread state, defined in the .cpp

 private:
  stall_figures figures_of(const stall_meter& m) const;

  playback_settings settings_;
  GstElement* pipeline_ = nullptr;
  GstElement* source_ = nullptr;
  GstElement* video_sink_ = nullptr;
  GstElement* fit_ = nullptr;  // the x output's scaler caps, else null
  GstElement* volume_ = nullptr;
  std::unique_ptr<window_controls> window_;  // windowed only
  video_output output_ = video_output::x;
  bool playing_ = false;
  // rendition_changed() was called: the next push() starts the rendition.
  std::atomic<bool> rendition_changed_{false};
  std::unique_ptr<timing> timing_;
  std::atomic<std::uint64_t> video_frames_{0};
  std::atomic<std::uint64_t> audio_buffers_{0};
  std::atomic<std::uint64_t> newest_capture_us_{0};
};

}  // namespace treecast::media
