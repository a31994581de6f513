// The viewer's media pipeline:
//
//   appsrc (TS bytes) -> tsdemux -+-> h264parse -> avdec_h264 -> video sink
//                                 +-> opusdec -> audio sink
//
// With a window, video goes to ximagesink and audio to the default output;
// headless, both go to fakesinks and only the counters tell what was decoded.
// push() may be called from any thread; handlers are called on streaming
// threads.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

typedef struct _GstElement GstElement;

namespace treecast::media {

struct playback_settings {
  // Decode only and count; no window, no sound.
  bool headless = true;
};

class playback_pipeline {
 public:
  using error_handler = std::function<void(const std::string&)>;

  // Throws std::runtime_error naming a missing element.
  playback_pipeline(playback_settings settings, error_handler on_error);
  ~playback_pipeline();

  playback_pipeline(const playback_pipeline&) = delete;
  playback_pipeline& operator=(const playback_pipeline&) = delete;

  // Throws std::runtime_error when the pipeline will not play (e.g. no display).
  void start();
  void stop();

  // Feeds TS bytes without copying them: `keep_alive` owns the memory until
  // GStreamer is done with it.
  void push(const void* data, std::size_t size, std::shared_ptr<const void> keep_alive);

  std::uint64_t video_frames() const { return video_frames_.load(); }
  std::uint64_t audio_buffers() const { return audio_buffers_.load(); }

  // True when a display could be opened for a video window.
  static bool display_available();

 private:
  playback_settings settings_;
  GstElement* pipeline_ = nullptr;
  GstElement* source_ = nullptr;
  std::atomic<std::uint64_t> video_frames_{0};
  std::atomic<std::uint64_t> audio_buffers_{0};
};

}  // namespace treecast::media
