#include "window_controls.hpp"

#include <gst/gst.h>
#include <gst/video/videooverlay.h>

#include <algorithm>
#include <stdexcept>

#include "gst_support.hpp"

namespace treecast::media {

namespace {

constexpr double volume_step = 0.1;
constexpr double max_volume = 1.5;

const char* sink_factory(video_output output) {
  switch (output) {
    case video_output::xv:
      return "xvimagesink";
    case video_output::gl:
      return "glimagesink";
    default:
      return "ximagesink";
  }
}

// Whether the output's sink exists and opens this display (the X sinks open
// it, and xvimagesink finds its XVideo port, on the way to READY).
bool opens(video_output output) {
  return element_opens(sink_factory(output));
}

}  // namespace

video_output parse_video_output(const std::string& text) {
  if (text == "auto") {
    return video_output::automatic;
  }
  if (text == "xv") {
    return video_output::xv;
  }
  if (text == "gl") {
    return video_output::gl;
  }
  if (text == "x") {
    return video_output::x;
  }
  throw std::invalid_argument("--video-output must be auto, xv, gl or x, not '" + text + "'");
}

const char* video_output_name(video_output output) {
  switch (output) {
    case video_output::automatic:
      return "auto";
    case video_output::xv:
      return "xv";
    case video_output::gl:
      return "gl";
    case video_output::x:
      return "x";
  }
  return "?";
}

video_output choose_video_output(video_output wanted) {
  if (wanted != video_output::automatic) {
    if (!opens(wanted)) {
      throw std::runtime_error(std::string("the video output '") + video_output_name(wanted) +
                               "' (" + sink_factory(wanted) + ") does not open on this display");
    }
    return wanted;
  }
  // Not GL unless asked: where no GPU renders it (Mesa's llvmpipe, Xvfb) it
  // took 62% of a core at 1280x720 full screen against 11% for software
  // scaling, and held back the first frame (median 407 ms against 169 ms).
  return opens(video_output::xv) ? video_output::xv : video_output::x;
}

std::string video_sink_description(video_output output) {
  // handle-events=false: the window's own thread takes keys and clicks.
  const std::string sink_options = " name=vsink sync=true handle-events=false";
  switch (output) {
    case video_output::xv:
      return "xvimagesink force-aspect-ratio=true" + sink_options;
    case video_output::gl:
      return "glimagesink force-aspect-ratio=true" + sink_options;
    default:
      // ximagesink does not scale: videoscale makes the picture the
      // window's size, black bars keeping its aspect.
      return "videoscale add-borders=true ! capsfilter name=fit ! ximagesink" + sink_options;
  }
}

window_controls::window_controls(const std::string& title, elements borrowed,
                                 std::function<void()> on_close)
    : elements_(borrowed), on_close_(std::move(on_close)) {
  window_ = std::make_unique<video_window>(
      title, 640, 360,
      video_window::events{.key = [this](const std::string& key) { on_key(key); },
                           .double_click = [this] { window_->toggle_fullscreen(); },
                           .resized = [this](int width, int height) { on_resized(width, height); },
                           .exposed = [this] { expose(); },
                           .closed = [this] { on_close_(); }});
  gst_video_overlay_set_window_handle(GST_VIDEO_OVERLAY(elements_.video_sink),
                                      static_cast<guintptr>(window_->handle()));
  if (elements_.fit) {
    on_resized(640, 360);
  }
  window_->start();
}

window_controls::~window_controls() = default;

void window_controls::fit_to_picture(int width, int height) {
  const long long area = static_cast<long long>(width) * height;
  long long fitted = fitted_area_.load();
  do {
    if (width <= 0 || height <= 0 || area <= fitted) {
      return;
    }
  } while (!fitted_area_.compare_exchange_weak(fitted, area));
  window_->resize(width, height);
}

void window_controls::on_key(const std::string& key) {
  if (key == "f") {
    window_->toggle_fullscreen();
  } else if (key == "Escape" && window_->fullscreen()) {
    window_->toggle_fullscreen();
  } else if (key == "q" || key == "Escape") {
    on_close_();
  } else if (key == "m") {
    g_object_set(elements_.volume, "mute", !volume_muted(elements_.volume), nullptr);
  } else if (key == "Up" || key == "plus" || key == "KP_Add") {
    g_object_set(elements_.volume, "volume",
                 std::min(max_volume, volume_level(elements_.volume) + volume_step), nullptr);
  } else if (key == "Down" || key == "minus" || key == "KP_Subtract") {
    g_object_set(elements_.volume, "volume",
                 std::max(0.0, volume_level(elements_.volume) - volume_step), nullptr);
  } else if (key == "o" && elements_.overlay) {
    gboolean silent = FALSE;
    g_object_get(elements_.overlay, "silent", &silent, nullptr);
    g_object_set(elements_.overlay, "silent", !silent, nullptr);
  }
}

bool volume_muted(GstElement* volume) {
  gboolean mute = FALSE;
  g_object_get(volume, "mute", &mute, nullptr);
  return mute;
}

double volume_level(GstElement* volume) {
  gdouble level = 1.0;
  g_object_get(volume, "volume", &level, nullptr);
  return level;
}

void window_controls::on_resized(int width, int height) {
  if (elements_.fit) {
    GstCaps* caps =
        gst_caps_new_simple("video/x-raw", "width", G_TYPE_INT, width, "height", G_TYPE_INT, height,
                            "pixel-aspect-ratio", GST_TYPE_FRACTION, 1, 1, nullptr);
    g_object_set(elements_.fit, "caps", caps, nullptr);
    gst_caps_unref(caps);
  }
  expose();
}

void window_controls::expose() {
  gst_video_overlay_expose(GST_VIDEO_OVERLAY(elements_.video_sink));
}

}  // namespace treecast::media
