// The viewer's window: a plain X11 window the video sink draws into (through
// GstVideoOverlay), with what a person expects of it: a title, keys, double
// click, resizing, full screen and the close button.
//
// Pure Xlib on a thread of its own, with its own display connection; what
// the events mean is the owner's business (callbacks, called on that thread).
// Requests from other threads (resize, full screen) are handed to the
// thread through a pipe.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>

namespace treecast::media {

class video_window {
 public:
  struct events {
    // A key pressed in the window, by its X keysym name ("f", "m", "Up",
    // "Escape", "plus", "minus").
    std::function<void(const std::string& key)> key;
    // Two clicks of the first button within 400 ms.
    std::function<void()> double_click;
    // The window's inside changed size (resized by hand, full screen).
    std::function<void(int width, int height)> resized;
    // Part of the window must be drawn again.
    std::function<void()> exposed;
    // The window manager's close button.
    std::function<void()> closed;
  };

  // Opens $DISPLAY and maps a window of `width` x `height` titled `title`.
  // Throws std::runtime_error when the display does not open.
  video_window(const std::string& title, int width, int height, events on);
  // Starts the window's thread: events are reported from then on.
  void start();
  ~video_window();

  video_window(const video_window&) = delete;
  video_window& operator=(const video_window&) = delete;

  // The X window id, for gst_video_overlay_set_window_handle().
  std::uintptr_t handle() const { return window_; }

  // Thread-safe requests, carried out on the window's thread.
  void toggle_fullscreen();
  void resize(int width, int height);

  bool fullscreen() const { return fullscreen_.load(); }

  struct x_state;  // Xlib handles, defined in the .cpp

 private:
  void run();
  void request(char command);

  std::unique_ptr<x_state> x_;
  std::uintptr_t window_ = 0;
  events on_;
  int wake_pipe_[2] = {-1, -1};
  std::atomic<bool> fullscreen_{false};
  std::atomic<int> wanted_width_{0};
  std::atomic<int> wanted_height_{0};
  std::thread thread_;
};

}  // namespace treecast::media
