// The viewer's window and what a person does to it: `f` or a double click
// toggles full screen (Escape leaves it), `m` mutes, Up/Down (or +/-) change
// the volume, `o` toggles the status overlay, `q` or the close button ends
// watching. Resizing scales the picture, keeping its aspect.
//
// The picture is drawn by a scaling video sink into the window
// (GstVideoOverlay): xvimagesink where XVideo is offered, else ximagesink
// behind videoscale, whose output size follows the window; glimagesink when
// asked for.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "video_window.hpp"

typedef struct _GstElement GstElement;

namespace treecast::media {

enum class video_output { automatic, xv, gl, x };

// "auto" | "xv" | "gl" | "x"; throws std::invalid_argument otherwise.
video_output parse_video_output(const std::string& text);

// The first output that opens on this display when `wanted` is automatic,
// else `wanted`. Throws std::runtime_error when the one asked for does not
// open (its element is missing, or the display does not offer it).
video_output choose_video_output(video_output wanted);

const char* video_output_name(video_output output);

// The end of the windowed video branch for `output`, from raw video to the
// sink named "vsink" (and, for x, the capsfilter named "fit").
std::string video_sink_description(video_output output);

// The sound's mute and level (0 silent .. 1.5), read off the playback's
// volume element.
bool volume_muted(GstElement* volume);
double volume_level(GstElement* volume);

class window_controls {
 public:
  // Borrowed elements of the playback pipeline; `fit` is null unless the
  // output is x.
  struct elements {
    GstElement* video_sink = nullptr;
    GstElement* fit = nullptr;
    GstElement* volume = nullptr;
    GstElement* overlay = nullptr;
  };

  // Opens the window (at 640x360 until the picture's size is known) and
  // points the video sink at it. `on_close`: the person asked to stop
  // watching (any thread). Throws std::runtime_error when no display opens.
  window_controls(const std::string& title, elements borrowed, std::function<void()> on_close);
  ~window_controls();

  window_controls(const window_controls&) = delete;
  window_controls& operator=(const window_controls&) = delete;

  // The picture's size, when known or changed: the window takes it when it
  // is larger than any before (any thread): a window does not shrink when
  // the rendition steps down (the sink scales the smaller picture up). A
  // windowed viewer starts on the full rendition, so the window opens at
  // the broadcast's size and does not grow either: measured, resizing the
  // window while the decoder's caps change (a switch) races the software
  // scaler's caps (not-negotiated, 1 run in ~4).
  void fit_to_picture(int width, int height);

  bool fullscreen() const { return window_->fullscreen(); }

  // What a key (X keysym name) does; public for the window's thread.
  void on_key(const std::string& key);

 private:
  void on_resized(int width, int height);
  void expose();

  elements elements_;
  std::function<void()> on_close_;
  std::atomic<long long> fitted_area_{0};  // the largest picture the window took
  std::unique_ptr<video_window> window_;
};

}  // namespace treecast::media
